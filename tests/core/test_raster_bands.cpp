// Band choice and per-raster radiometry (raster_bands.h) on generated GeoTIFFs: a 6-band UInt16
// scene, and a second delivery of it with every raw value x4 and band scale 0.25 (the same
// physical values under another gain).
#include <gtest/gtest.h>

#include "musecl/geo/chip_extractor.h"
#include "musecl/geo/raster_bands.h"
#include "musecl/geo/zonal_stats.h"

#include <gdal_priv.h>

#include <cmath>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Scene {
  int width = 96, height = 96, bands = 6;
  int gain = 1;              // raw = physical * gain, written with scale 1/gain
  bool rgbInterp = false;    // mark bands 3,2,1 as Red, Green, Blue
  bool nodataBand6 = false;  // band 6 entirely nodata
};

// Physical value of band b at (x, y): a smooth field per band plus seeded noise, within 0-4000 so
// gain 4 still fits UInt16.
std::string writeScene(const fs::path &path, const Scene &s) {
  GDALAllRegister();
  GDALDriver *gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDataset *ds = gtiff->Create(path.string().c_str(), s.width, s.height, s.bands, GDT_UInt16, nullptr);
  double gt[6] = {500000, 30, 0, 4500000, 0, -30};
  ds->SetGeoTransform(gt);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> noise(0, 200);
  std::vector<std::uint16_t> px(static_cast<std::size_t>(s.width) * s.height);
  for (int b = 1; b <= s.bands; ++b) {
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x)
        px[static_cast<std::size_t>(y) * s.width + x] =
            static_cast<std::uint16_t>((300 * b + 20 * x + 10 * y + noise(rng)) * s.gain);
    GDALRasterBand *band = ds->GetRasterBand(b);
    EXPECT_EQ(
        band->RasterIO(GF_Write, 0, 0, s.width, s.height, px.data(), s.width, s.height, GDT_UInt16, 0, 0, nullptr),
        CE_None);
    if (s.gain != 1) band->SetScale(1.0 / s.gain);
    if (s.rgbInterp && b <= 3)
      band->SetColorInterpretation(b == 3 ? GCI_RedBand : b == 2 ? GCI_GreenBand : GCI_BlueBand);
    if (s.nodataBand6 && b == 6) {
      band->SetNoDataValue(0);
      std::vector<std::uint16_t> zero(px.size(), 0);
      EXPECT_EQ(
          band->RasterIO(GF_Write, 0, 0, s.width, s.height, zero.data(), s.width, s.height, GDT_UInt16, 0, 0, nullptr),
          CE_None);
    }
  }
  GDALClose(ds);
  return path.string();
}

class RasterBands : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("musecl_raster_bands_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

musecl::RegionRings box(double x0, double y0, double side) {
  return {{{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}, {x0, y0}}};
}

// A size x size GeoTIFF of 1-unit pixels whose top-left corner is (0, size): pixel (col, row)
// covers x col..col+1, y size-row-1..size-row. Close it with GDALClose.
GDALDataset *unitGridTiff(const std::string &path, int size, int bands, GDALDataType type) {
  GDALAllRegister();
  GDALDataset *ds =
      GetGDALDriverManager()->GetDriverByName("GTiff")->Create(path.c_str(), size, size, bands, type, nullptr);
  double gt[6] = {0, 1, 0, static_cast<double>(size), 0, -1};
  ds->SetGeoTransform(gt);
  return ds;
}

}  // namespace

TEST_F(RasterBands, DefaultIsTheRgbColourInterpretationElseTheFirstThree) {
  Scene s;
  EXPECT_EQ(musecl::chooseRgbBands(writeScene(dir_ / "plain.tif", s), ""), (std::vector<int>{1, 2, 3}));
  s.rgbInterp = true;
  EXPECT_EQ(musecl::chooseRgbBands(writeScene(dir_ / "rgb.tif", s), ""), (std::vector<int>{3, 2, 1}));
  s = Scene{};
  s.bands = 1;
  EXPECT_EQ(musecl::chooseRgbBands(writeScene(dir_ / "one.tif", s), ""), (std::vector<int>{1, 1, 1}));
}

TEST_F(RasterBands, ExplicitListsAndTheirErrors) {
  const std::string path = writeScene(dir_ / "six.tif", Scene{});
  EXPECT_EQ(musecl::chooseRgbBands(path, "4,3,2"), (std::vector<int>{4, 3, 2}));
  EXPECT_EQ(musecl::chooseRgbBands(path, "5"), (std::vector<int>{5, 5, 5}));
  EXPECT_EQ(musecl::chooseRgbBands(path, "6, 5, 4"), (std::vector<int>{6, 5, 4}));
  try {
    musecl::chooseRgbBands(path, "4,7,2");
    FAIL() << "band 7 of a 6-band raster was accepted";
  } catch (const std::runtime_error &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("band 7"), std::string::npos) << m;
    EXPECT_NE(m.find("six.tif"), std::string::npos) << m;
    EXPECT_NE(m.find("6 band(s)"), std::string::npos) << m;
  }
  EXPECT_THROW(musecl::chooseRgbBands(path, "4,x,2"), std::runtime_error);
  EXPECT_THROW(musecl::chooseRgbBands(path, "4,3"), std::runtime_error);
  EXPECT_THROW(musecl::chooseRgbBands(path, "0,1,2"), std::runtime_error);
}

TEST_F(RasterBands, AllNodataBandIsNamed) {
  Scene s;
  s.nodataBand6 = true;
  const std::string path = writeScene(dir_ / "hole.tif", s);
  try {
    musecl::measureRadiometry(path, {6, 5, 4});
    FAIL() << "an all-nodata band was measured";
  } catch (const std::runtime_error &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("band 6"), std::string::npos) << m;
    EXPECT_NE(m.find("no valid pixel"), std::string::npos) << m;
  }
}

TEST_F(RasterBands, PercentilesArePhysicalAndGainInvariant) {
  Scene s;
  const std::string a = writeScene(dir_ / "gain1.tif", s);
  s.gain = 4;
  const std::string b = writeScene(dir_ / "gain4.tif", s);
  const musecl::Radiometry ra = musecl::measureRadiometry(a, {4, 3, 2}), rb = musecl::measureRadiometry(b, {4, 3, 2});
  ASSERT_EQ(ra.channels.size(), 3u);
  for (std::size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(ra.channels[c].band, rb.channels[c].band);
    // Raw x4 with scale 0.25 is exactly the same physical value.
    EXPECT_DOUBLE_EQ(ra.channels[c].lo, rb.channels[c].lo);
    EXPECT_DOUBLE_EQ(ra.channels[c].hi, rb.channels[c].hi);
  }
  // Band 4 spans 1200 + 0..(20*95 + 10*95 + 200) = 1200..4250; the 2nd/98th percentiles lie inside
  // and well away from the ends.
  EXPECT_GT(ra.channels[0].lo, 1200);
  EXPECT_LT(ra.channels[0].lo, 1800);
  EXPECT_GT(ra.channels[0].hi, 3600);
  EXPECT_LT(ra.channels[0].hi, 4250);
  EXPECT_TRUE(musecl::radiometryMismatch(ra, rb).empty());
  // A scene twice as bright is flagged, naming the band.
  musecl::Radiometry bright = ra;
  for (auto &c : bright.channels) c.lo *= 2, c.hi *= 2;
  const std::string warning = musecl::radiometryMismatch(ra, bright);
  EXPECT_NE(warning.find("band 4"), std::string::npos) << warning;
}

TEST_F(RasterBands, ChipsOfTwoGainsNormaliseToTheSameBytes) {
  Scene s;
  const std::string a = writeScene(dir_ / "gain1.tif", s);
  s.gain = 4;
  const std::string b = writeScene(dir_ / "gain4.tif", s);
  const musecl::Radiometry r = musecl::measureRadiometry(a, {4, 3, 2});
  musecl::ChipOptions o;
  o.size = 64;
  musecl::ChipExtractor ea(a, o), eb(b, o);
  int compared = 0, maxDiff = 0;
  std::vector<std::uint8_t> ca, cb, cDark;
  for (int k = 0; k < 4; ++k) {
    // Regions of 20 pixels (600 m) at four places of the scene.
    const musecl::RegionRings region = box(500000 + 300 + 600 * k, 4500000 - 2400 + 300 * k, 600);
    const std::string pa = (dir_ / ("a" + std::to_string(k) + ".tif")).string(),
                      pb = (dir_ / ("b" + std::to_string(k) + ".tif")).string();
    ASSERT_TRUE(ea.extract(region, pa).written);
    ASSERT_TRUE(eb.extract(region, pb).written);
    ASSERT_TRUE(musecl::loadChipBands(pa, 64, r, ca));
    ASSERT_TRUE(musecl::loadChipBands(pb, 64, r, cb));
    ASSERT_EQ(ca.size(), cb.size());
    for (std::size_t i = 0; i < ca.size(); ++i) maxDiff = std::max(maxDiff, std::abs(int(ca[i]) - int(cb[i])));
    if (k == 0) cDark = ca;
    ++compared;
  }
  EXPECT_EQ(compared, 4);
  // The chips hold raw integers cut by bilinear resampling, so the x4 delivery rounds 4x finer:
  // after scaling, a pixel may differ by a quarter of a raw count, at most 1 grey level.
  EXPECT_LE(maxDiff, 1);
  // And brightness is kept across regions: the first region (the scene's dark corner) is darker
  // on average than the last; a per-chip stretch would make both span 0-255.
  double dark = 0, bright = 0;
  for (std::uint8_t v : cDark) dark += v;
  for (std::uint8_t v : ca) bright += v;
  EXPECT_LT(dark, 0.8 * bright);
}

TEST_F(RasterBands, ByteRastersKeepTheirValues) {
  const std::string path = (dir_ / "byte.tif").string();
  GDALDataset *ds = unitGridTiff(path, 8, 3, GDT_Byte);
  std::vector<std::uint8_t> px(64);
  for (int b = 1; b <= 3; ++b) {
    for (int i = 0; i < 64; ++i) px[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i * b);
    ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 8, 8, px.data(), 8, 8, GDT_Byte, 0, 0, nullptr), CE_None);
  }
  GDALClose(ds);
  const musecl::Radiometry r = musecl::measureRadiometry(path, {1, 2, 3});
  for (const auto &c : r.channels) {
    EXPECT_EQ(c.lo, 0);
    EXPECT_EQ(c.hi, 255);
  }
  std::vector<std::uint8_t> chw;
  ASSERT_TRUE(musecl::loadChipBands(path, 8, r, chw));
  for (int b = 0; b < 3; ++b)
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(chw[static_cast<std::size_t>(b * 64 + i)], static_cast<std::uint8_t>(i * (b + 1)))
          << "band " << b + 1 << " pixel " << i;
}

TEST_F(RasterBands, ZonalStatisticsAreExactAndSkipNodata) {
  // 10 x 10 pixels of 1 unit, two bands: band 1 = column index, band 2 = 5 everywhere except a
  // nodata (-1) column 0. Region A covers columns 0-3 of rows 0-1; B is a sliver inside one pixel;
  // C lies outside the raster.
  const std::string path = (dir_ / "zonal.tif").string();
  GDALDataset *ds = unitGridTiff(path, 10, 2, GDT_Float32);
  std::vector<float> b1(100), b2(100);
  for (int k = 0; k < 100; ++k) {
    b1[static_cast<std::size_t>(k)] = static_cast<float>(k % 10);
    b2[static_cast<std::size_t>(k)] = k % 10 == 0 ? -1.0f : 5.0f;
  }
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 10, 10, b1.data(), 10, 10, GDT_Float32, 0, 0, nullptr),
            CE_None);
  ASSERT_EQ(ds->GetRasterBand(2)->RasterIO(GF_Write, 0, 0, 10, 10, b2.data(), 10, 10, GDT_Float32, 0, 0, nullptr),
            CE_None);
  ds->GetRasterBand(2)->SetNoDataValue(-1);
  ds->GetRasterBand(1)->SetDescription("ndvi");
  GDALClose(ds);
  const std::vector<musecl::RegionRings> regions{box(0, 8, 4), box(6.2, 3.2, 0.3), box(50, 50, 2)};
  const musecl::ZonalStatistics z = musecl::zonalBandStatistics(path, regions);
  ASSERT_EQ(z.bands, 2);
  EXPECT_EQ(z.names, (std::vector<std::string>{"ndvi_mean", "b2_mean", "ndvi_std", "b2_std"}));
  ASSERT_EQ(z.has, (std::vector<std::uint8_t>{1, 1, 0}));
  EXPECT_EQ(z.regionsWithValues(), 2u);
  // A: x 0-4, y 8-12 (clipped to y <= 10): pixel centres x 0.5..3.5 in rows 0-1; band 1 = 0,1,2,3.
  EXPECT_FLOAT_EQ(z.values[0], 1.5f);                // mean of 0..3
  EXPECT_FLOAT_EQ(z.values[1], 5.0f);                // band 2 without the nodata column
  EXPECT_NEAR(z.values[2], std::sqrt(1.25f), 1e-6);  // population std of 0..3
  EXPECT_FLOAT_EQ(z.values[3], 0.0f);
  // B: a 0.3-unit sliver at x 6.2-6.5 holds no pixel centre: the pixel under its centre, column 6.
  EXPECT_FLOAT_EQ(z.values[4], 6.0f);
  EXPECT_FLOAT_EQ(z.values[6], 0.0f);
  // Cancelling stops.
  EXPECT_THROW(musecl::zonalBandStatistics(path, regions, [](std::size_t done) { return done < 1; }),
               std::runtime_error);
}

TEST_F(RasterBands, SmallRegionsAreAreaWeightedAndLargeOnesTakePixelCentres) {
  // Band 1 = 100 x column, column 9 NaN (nodata). A 1 x 1 region at x 0.25-1.25 covers three
  // quarters of column 0 and a quarter of column 1, but only column 0's centre: weighted, mean 25
  // and std sqrt(1875); by centres it would be 0. A 5 x 5 region shifted the same way holds 25
  // centres (columns 0-4): centres, mean 200 (weighted would give 225).
  const std::string path = (dir_ / "weights.tif").string();
  GDALDataset *ds = unitGridTiff(path, 10, 1, GDT_Float32);
  std::vector<float> b1(100);
  for (int k = 0; k < 100; ++k)
    b1[static_cast<std::size_t>(k)] =
        k % 10 == 9 ? std::numeric_limits<float>::quiet_NaN() : 100.0f * static_cast<float>(k % 10);
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 10, 10, b1.data(), 10, 10, GDT_Float32, 0, 0, nullptr),
            CE_None);
  ds->GetRasterBand(1)->SetNoDataValue(std::numeric_limits<double>::quiet_NaN());  // as feature rasters have
  GDALClose(ds);
  const musecl::ZonalStatistics z = musecl::zonalBandStatistics(path, {box(0.25, 9, 1), box(0.25, 0, 5), box(8, 0, 2)});
  ASSERT_EQ(z.has, (std::vector<std::uint8_t>{1, 1, 1}));
  EXPECT_NEAR(z.values[4], 800.0f, 1e-4) << "column 9 is NaN nodata: column 8 alone";
  EXPECT_NEAR(z.values[0], 25.0f, 1e-4);
  EXPECT_NEAR(z.values[1], std::sqrt(1875.0f), 1e-3);
  EXPECT_NEAR(z.values[2], 200.0f, 1e-4);
  EXPECT_NEAR(z.values[3], std::sqrt(20000.0f), 1e-2);  // population std of 0, 100, ..., 400
}

TEST(ZonalStatistics, SideBySideJoinsEachRegionsRowsAndNeedsBoth) {
  musecl::ZonalStatistics a, b;
  a.bands = 1;
  a.values = {1, 10, 2, 20};  // two regions: mean, std
  a.has = {1, 1};
  a.validPixels = {5};
  a.names = {"b1_mean", "b1_std"};
  b.bands = 2;
  b.values = {3, 4, 30, 40, 5, 6, 50, 60};
  b.has = {1, 0};
  b.validPixels = {7, 8};
  b.names = {"b1_mean", "b2_mean", "b1_std", "b2_std"};
  const musecl::ZonalStatistics z = musecl::sideBySide(a, b);
  EXPECT_EQ(z.bands, 3);
  EXPECT_EQ(z.values, (std::vector<float>{1, 10, 3, 4, 30, 40, 2, 20, 5, 6, 50, 60}));
  EXPECT_EQ(z.has, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(z.validPixels, (std::vector<std::size_t>{5, 7, 8}));
  EXPECT_EQ(z.names.back(), "ctx_b2_std");
  b.has = {1};
  EXPECT_THROW(musecl::sideBySide(a, b), std::invalid_argument);
}

TEST_F(RasterBands, AGroundWindowCutsEveryChipAtOneScaleCentredOnItsRegion) {
  const std::string path = writeScene(dir_ / "scene.tif", Scene{});
  musecl::ChipOptions o;
  o.size = 64;
  o.groundWindow = 1500;  // metres (the scene's CRS units)
  musecl::ChipExtractor e(path, o);
  // A 300 m and a 900 m region: both chips cover 1500 m, centred on the region.
  for (const double side : {300.0, 900.0}) {
    const std::string chip = (dir_ / ("w" + std::to_string(static_cast<int>(side)) + ".tif")).string();
    const double x0 = 501000, y0 = 4498000;
    ASSERT_TRUE(e.extract(box(x0, y0, side), chip).written);
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(chip.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    ASSERT_TRUE(ds);
    double gt[6];
    ASSERT_EQ(ds->GetGeoTransform(gt), CE_None);
    EXPECT_DOUBLE_EQ(gt[1] * 64, 1500.0) << "side " << side;
    EXPECT_DOUBLE_EQ(gt[0], x0 + side / 2 - 750) << "centred, side " << side;
    EXPECT_DOUBLE_EQ(gt[3], y0 + side / 2 + 750) << "centred, side " << side;
  }
}

TEST_F(RasterBands, AllBandsPutRgbFirstAndListsMustBeWellFormed) {
  Scene s;
  s.rgbInterp = true;  // bands 3, 2, 1 are R, G, B
  const std::string path = writeScene(dir_ / "rgb6.tif", s);
  EXPECT_EQ(musecl::chooseAllBands(path, ""), (std::vector<int>{3, 2, 1, 4, 5, 6}));
  EXPECT_EQ(musecl::chooseAllBands(path, "2,5"), (std::vector<int>{2, 5}));
  EXPECT_EQ(musecl::chooseAllBands(writeScene(dir_ / "plain6.tif", Scene{}), ""), (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_THROW(musecl::chooseAllBands(path, "4,3,2,"), std::runtime_error) << "a trailing comma is a typo, not a band";
}

TEST_F(RasterBands, EachBandsNodataStaysNodataInItsChipBand) {
  // Band 1 has no nodata; band 2's nodata is 9999 and fills its left half. Band 2's chip band must
  // keep 9999 as nodata, so the loader leaves those pixels out (0) instead of showing them as 255.
  const std::string path = (dir_ / "holes.tif").string();
  GDALDataset *ds = unitGridTiff(path, 16, 2, GDT_UInt16);
  std::vector<std::uint16_t> b1(256, 50), b2(256, 50);
  for (int k = 0; k < 256; ++k)
    if (k % 16 < 8) b2[static_cast<std::size_t>(k)] = 9999;
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 16, 16, b1.data(), 16, 16, GDT_UInt16, 0, 0, nullptr),
            CE_None);
  ASSERT_EQ(ds->GetRasterBand(2)->RasterIO(GF_Write, 0, 0, 16, 16, b2.data(), 16, 16, GDT_UInt16, 0, 0, nullptr),
            CE_None);
  ds->GetRasterBand(2)->SetNoDataValue(9999);
  GDALClose(ds);
  musecl::ChipOptions o;
  o.size = 16;
  musecl::ChipExtractor e(path, o);
  const std::string chip = (dir_ / "chip.tif").string();
  ASSERT_TRUE(e.extract(box(0, 0, 16), chip).written);
  musecl::Radiometry r;
  r.channels = {{1, 0, 100}, {2, 0, 100}, {2, 0, 100}};
  std::vector<std::uint8_t> chw;
  ASSERT_TRUE(musecl::loadChipBands(chip, 16, r, chw));
  int zeros = 0, half = 0;
  for (int k = 0; k < 256; ++k) {
    EXPECT_EQ(chw[static_cast<std::size_t>(k)], 128) << "band 1 is all valid (50 of 0-100)";
    const std::uint8_t v = chw[static_cast<std::size_t>(256 + k)];
    zeros += v == 0;
    half += v == 128;
  }
  EXPECT_GE(zeros, 16 * 7) << "band 2's nodata half is left out";
  EXPECT_GE(half, 16 * 7) << "band 2's valid half keeps its value";
  EXPECT_EQ(zeros + half, 256) << "no nodata value is shown as data";
}

TEST_F(RasterBands, ZonalStatisticsArePhysicalAndNameEmptyBands) {
  const std::string path = (dir_ / "scaled.tif").string();
  GDALDataset *ds = unitGridTiff(path, 4, 2, GDT_Int16);
  std::vector<std::int16_t> b1(16, 10), b2(16, -1);
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 4, 4, b1.data(), 4, 4, GDT_Int16, 0, 0, nullptr), CE_None);
  ASSERT_EQ(ds->GetRasterBand(2)->RasterIO(GF_Write, 0, 0, 4, 4, b2.data(), 4, 4, GDT_Int16, 0, 0, nullptr), CE_None);
  ds->GetRasterBand(1)->SetScale(0.5);
  ds->GetRasterBand(1)->SetOffset(1);
  ds->GetRasterBand(2)->SetNoDataValue(-1);  // band 2: all nodata
  GDALClose(ds);
  // One region on the raster, and one whose box is half off it with its centre off it too.
  const musecl::ZonalStatistics z = musecl::zonalBandStatistics(path, {box(0, 0, 4), box(3.9, 1, 0.3)});
  EXPECT_EQ(z.validPixels, (std::vector<std::size_t>{16, 0})) << "band 1 from the first region, band 2 nothing";
  EXPECT_EQ(z.has, (std::vector<std::uint8_t>{0, 0})) << "band 2 has no valid pixel anywhere";
  // Band 1 alone: its physical value is 10 x 0.5 + 1 = 6.
  const std::string one = (dir_ / "one.tif").string();
  ds = unitGridTiff(one, 4, 1, GDT_Int16);
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, 4, 4, b1.data(), 4, 4, GDT_Int16, 0, 0, nullptr), CE_None);
  ds->GetRasterBand(1)->SetScale(0.5);
  ds->GetRasterBand(1)->SetOffset(1);
  GDALClose(ds);
  const musecl::ZonalStatistics y = musecl::zonalBandStatistics(one, {box(0, 0, 4), box(3.9, 1, 0.3)});
  EXPECT_EQ(y.has, (std::vector<std::uint8_t>{1, 0}))
      << "the sliver's centre (4.05, 1.15) is off the raster: no made-up pixel";
  EXPECT_FLOAT_EQ(y.values[0], 6.0f);
}

TEST_F(RasterBands, AnAllNodataByteBandIsNamedToo) {
  const std::string path = (dir_ / "byte_hole.tif").string();
  GDALDataset *ds = unitGridTiff(path, 8, 3, GDT_Byte);
  // GeoTIFF keeps one nodata value for all bands: bands 1-2 hold 100, band 3 stays 0 (all nodata).
  std::vector<std::uint8_t> px(64, 100);
  for (int b = 1; b <= 2; ++b)
    ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 8, 8, px.data(), 8, 8, GDT_Byte, 0, 0, nullptr), CE_None);
  for (int b = 1; b <= 3; ++b) ds->GetRasterBand(b)->SetNoDataValue(0);
  GDALClose(ds);
  try {
    musecl::measureRadiometry(path, {1, 2, 3});
    FAIL() << "an all-nodata 8-bit band was accepted";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("band 3"), std::string::npos) << e.what();
  }
}
