// Whole-file reads and writes for tests that damage or build files byte by byte.
#pragma once

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

inline std::vector<char> readAllBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeAllBytes(const std::string &path, const std::vector<char> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
