#include "musecl/geo/photo_io.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

namespace musecl {

namespace {

std::string lowerExtension(const std::string &path) {
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || path.find_first_of("/\\", dot) != std::string::npos) return {};
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// libjpeg decodes a JPEG cut short as far as it goes and fills the rest with grey, and OpenCV
// returns that image without an error. A complete JPEG ends with the end-of-image marker (FF D9),
// possibly followed by padding; this checks the container, the decoding stays with OpenCV.
bool jpegHasEnd(const std::vector<unsigned char> &bytes) {
  const std::size_t from = bytes.size() > 4096 ? bytes.size() - 4096 : 0;
  for (std::size_t i = bytes.size(); i-- > from + 1;)
    if (bytes[i - 1] == 0xFF && bytes[i] == 0xD9) return true;
  return false;
}

cv::Mat decode(const std::string &path, std::string *why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (why) *why = "cannot be opened";
    return {};
  }
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string ext = lowerExtension(path);
  if ((ext == "jpg" || ext == "jpeg") && !jpegHasEnd(bytes)) {
    if (why) *why = "the JPEG data is cut short (no end-of-image marker)";
    return {};
  }
  // IMREAD_COLOR applies the EXIF orientation (no IMREAD_IGNORE_ORIENTATION), so a photo taken
  // with the camera on its side is upright, as every viewer shows it.
  cv::Mat image;
  try {
    image = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception &e) {
    if (why) *why = e.what();
    return {};
  }
  if (image.empty() && why) *why = "OpenCV cannot decode it";
  return image;
}

}  // namespace

bool isPhotoPath(const std::string &path) {
  const std::string ext = lowerExtension(path);
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "webp" || ext == "bmp";
}

bool photoIsDecodable(const std::string &path, std::string *why) { return !decode(path, why).empty(); }

bool decodePhotoRgb(const std::string &path, int size, std::vector<std::uint8_t> &chw, std::string *why) {
  if (size < 1) return false;
  const cv::Mat bgr = decode(path, why);
  if (bgr.empty()) return false;
  cv::Mat resized, rgb;
  // Area averaging when shrinking (photos are larger than the network input), linear otherwise.
  cv::resize(bgr, resized, cv::Size(size, size), 0, 0, bgr.cols > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
  const auto plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  chw.assign(3 * plane, 0);
  for (int y = 0; y < size; ++y) {
    const cv::Vec3b *row = rgb.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c)
        chw[static_cast<std::size_t>(c) * plane + static_cast<std::size_t>(y) * size + x] = row[x][c];
  }
  return true;
}

}  // namespace musecl
