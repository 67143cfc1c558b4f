// Deterministic mutation test of the image decoder used for chips and street-view photos: small
// PNG, JPEG and GeoTIFF files, damaged in seeded ways (bit flips, truncations, byte runs, junk),
// must each decode to a full buffer or return false -- never crash, hang or leave a short buffer.
#include <gtest/gtest.h>

#include "test_bytes.h"

#include "musecl/geo/image_io.h"

#include <gdal_priv.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

// A 48 x 40 RGB gradient written by GDAL's `driver` (through a MEM dataset and CreateCopy, as
// PNG and JPEG need).
std::string makeImage(const std::filesystem::path &dir, const char *driver, const char *name) {
  GDALAllRegister();
  GDALDataset *mem = GetGDALDriverManager()->GetDriverByName("MEM")->Create("", 48, 40, 3, GDT_Byte, nullptr);
  std::vector<unsigned char> pixels(48 * 40);
  for (int b = 1; b <= 3; ++b) {
    for (int k = 0; k < 48 * 40; ++k) pixels[k] = static_cast<unsigned char>((k % 48) * 5 + (k / 48) * 3 * b);
    if (mem->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, 48, 40, pixels.data(), 48, 40, GDT_Byte, 0, 0) != CE_None)
      return {};
  }
  const std::string path = (dir / name).string();
  GDALClose(
      GetGDALDriverManager()->GetDriverByName(driver)->CreateCopy(path.c_str(), mem, FALSE, nullptr, nullptr, nullptr));
  GDALClose(mem);
  return path;
}

}  // namespace

TEST(ImageDecoderFuzz, DamagedPngJpegAndTiffDecodeOrFailCleanly) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("musecl_imgfuzz_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  CPLPushErrorHandler(CPLQuietErrorHandler);  // thousands of expected decoder complaints
  const int perFormat = std::getenv("MUSECL_FUZZ_CASES") ? std::atoi(std::getenv("MUSECL_FUZZ_CASES")) / 3 : 1000;
  std::mt19937_64 rng(20261130);
  int decoded = 0, refused = 0;
  for (const auto &[driver, name] :
       {std::pair<const char *, const char *>{"PNG", "a.png"}, {"JPEG", "a.jpg"}, {"GTiff", "a.tif"}}) {
    const std::string source = makeImage(dir, driver, name);
    std::vector<std::uint8_t> chw;
    ASSERT_TRUE(musecl::loadImageRgb(source, 32, chw)) << driver;
    const std::vector<char> original = readAllBytes(source);
    const std::string damaged = (dir / (std::string("damaged_") + name)).string();
    for (int k = 0; k < perFormat; ++k) {
      std::vector<char> bytes = original;
      const std::size_t n = bytes.size();
      switch (k % 4) {
        case 0:
          for (int f = 0; f < 1 + static_cast<int>(rng() % 6); ++f)
            bytes[rng() % n] ^= static_cast<char>(1u << (rng() % 8));
          break;
        case 1:
          bytes.resize(rng() % n);
          break;
        case 2:
          for (std::size_t at = rng() % n, len = 1 + rng() % 32, e = std::min(n, at + len); at < e; ++at)
            bytes[at] = static_cast<char>(rng());
          break;
        case 3:  // the header, where sizes and offsets live
          for (int f = 0; f < 1 + static_cast<int>(rng() % 3); ++f)
            bytes[rng() % std::min<std::size_t>(n, 64)] = static_cast<char>(rng());
          break;
      }
      writeAllBytes(damaged, bytes);
      chw.assign(7, 0);
      if (musecl::loadImageRgb(damaged, 32, chw)) {
        ++decoded;
        ASSERT_EQ(chw.size(), 3u * 32 * 32) << driver << " case " << k << " decoded to a short buffer";
      } else {
        ++refused;
      }
    }
  }
  CPLPopErrorHandler();
  std::printf("image fuzz: %d damaged files, %d decoded (damage in pixel data), %d refused\n", decoded + refused,
              decoded, refused);
  EXPECT_GT(refused, 0);
  std::filesystem::remove_all(dir);
}
