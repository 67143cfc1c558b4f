// Street-view photos through OpenCV: EXIF orientation is applied, a JPEG cut short is refused with
// a reason, and a good photo decodes to the requested size. Photos are generated here: GDAL writes
// the JPEG and the test inserts an EXIF block (APP1) by hand.
#include <gtest/gtest.h>

#include "test_bytes.h"

#include "musecl/geo/image_io.h"
#include "musecl/geo/photo_io.h"

#include <gdal_priv.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

// A 64 x 32 JPEG: left half red, right half blue.
std::string redBlueJpeg(const std::filesystem::path &dir) {
  GDALAllRegister();
  GDALDataset *mem = GetGDALDriverManager()->GetDriverByName("MEM")->Create("", 64, 32, 3, GDT_Byte, nullptr);
  std::vector<unsigned char> band(64 * 32);
  for (int b = 0; b < 3; ++b) {
    for (int k = 0; k < 64 * 32; ++k) band[k] = (b == 0 && k % 64 < 32) || (b == 2 && k % 64 >= 32) ? 255 : 0;
    if (mem->GetRasterBand(b + 1)->RasterIO(GF_Write, 0, 0, 64, 32, band.data(), 64, 32, GDT_Byte, 0, 0) != CE_None)
      return {};
  }
  const std::string path = (dir / "photo.jpg").string();
  char **options = CSLSetNameValue(nullptr, "QUALITY", "95");
  GDALClose(
      GetGDALDriverManager()->GetDriverByName("JPEG")->CreateCopy(path.c_str(), mem, FALSE, options, nullptr, nullptr));
  CSLDestroy(options);
  GDALClose(mem);
  return path;
}

// The same JPEG with an EXIF block whose Orientation tag is `orientation` (6: the camera was
// turned 90 degrees clockwise; viewers rotate the picture 90 degrees clockwise to show it).
std::vector<char> withExifOrientation(std::vector<char> jpeg, unsigned char orientation) {
  const std::vector<unsigned char> app1 = {
      0xFF, 0xE1,        0x00, 0x22,                          // APP1, length 34
      'E',  'x',         'i',  'f',  0,    0,                 // Exif header
      'M',  'M',         0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,  // TIFF header, big-endian, IFD at 8
      0x00, 0x01,                                             // one entry
      0x01, 0x12,        0x00, 0x03, 0x00, 0x00, 0x00, 0x01,  // Orientation, SHORT, count 1
      0x00, orientation, 0x00, 0x00,                          // value
      0x00, 0x00,        0x00, 0x00};                         // no next IFD
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());    // right after SOI (FF D8)
  return jpeg;
}

// Mean of channel `c` over rows [y0, y1) of a CHW buffer of side `size`.
double meanOf(const std::vector<std::uint8_t> &chw, int size, int c, int y0, int y1) {
  double sum = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = 0; x < size; ++x)
      sum += chw[static_cast<std::size_t>(c) * size * size + static_cast<std::size_t>(y) * size + x];
  return sum / ((y1 - y0) * size);
}

}  // namespace

TEST(PhotoIo, ExifOrientationIsApplied) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("musecl_photo_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string plain = redBlueJpeg(dir);
  ASSERT_FALSE(plain.empty());
  std::vector<std::uint8_t> chw;
  // Without EXIF: red on the left, blue on the right; top and bottom halves look the same.
  ASSERT_TRUE(musecl::decodePhotoRgb(plain, 32, chw));
  EXPECT_NEAR(meanOf(chw, 32, 0, 0, 16), meanOf(chw, 32, 0, 16, 32), 10);
  // Orientation 6 turns the picture 90 degrees clockwise: the left (red) half becomes the top.
  const std::string rotated = (dir / "rotated.jpg").string();
  writeAllBytes(rotated, withExifOrientation(readAllBytes(plain), 6));
  ASSERT_TRUE(musecl::decodePhotoRgb(rotated, 32, chw));
  EXPECT_GT(meanOf(chw, 32, 0, 0, 12), 200) << "red on top";
  EXPECT_LT(meanOf(chw, 32, 0, 20, 32), 50) << "no red at the bottom";
  EXPECT_GT(meanOf(chw, 32, 2, 20, 32), 200) << "blue at the bottom";
  // The training loader takes the same path for photos.
  std::vector<std::uint8_t> viaLoader;
  ASSERT_TRUE(musecl::loadImageRgb(rotated, 32, viaLoader));
  EXPECT_EQ(viaLoader, chw);
  std::filesystem::remove_all(dir);
}

TEST(PhotoIo, TruncatedAndCorruptPhotosAreRefusedWithAReason) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("musecl_photo_cut_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string plain = redBlueJpeg(dir);
  std::vector<char> bytes = readAllBytes(plain);
  const std::string cut = (dir / "cut.jpg").string(), junk = (dir / "junk.png").string();
  writeAllBytes(cut,
                std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() * 2 / 3)));
  writeAllBytes(junk, std::vector<char>{'n', 'o', 't', ' ', 'a', ' ', 'p', 'n', 'g'});
  std::string why;
  EXPECT_TRUE(musecl::photoIsDecodable(plain, &why)) << why;
  EXPECT_FALSE(musecl::photoIsDecodable(cut, &why));
  EXPECT_NE(why.find("cut short"), std::string::npos) << why;
  EXPECT_FALSE(musecl::photoIsDecodable(junk, &why));
  EXPECT_FALSE(musecl::photoIsDecodable((dir / "absent.jpg").string(), &why));
  EXPECT_NE(why.find("cannot be opened"), std::string::npos) << why;
  std::filesystem::remove_all(dir);
}
