#include "musecl/geo/text_tokens.h"

#include <cctype>

namespace musecl {

namespace {
bool isWordByte(unsigned char c) { return c >= 0x80 || std::isalnum(c) != 0; }
}  // namespace

void appendTokens(const std::string &text, std::vector<std::string> &out) {
  std::string word;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (isWordByte(c)) {
      word.push_back(c < 0x80 ? static_cast<char>(std::tolower(c)) : ch);
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
}

std::vector<std::string> tokenize(const std::string &text) {
  std::vector<std::string> out;
  appendTokens(text, out);
  return out;
}

std::string categoryToken(const std::string &category) {
  std::string out;
  bool pendingSpace = false;
  for (const char ch : category) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) out.push_back('_');
    pendingSpace = false;
    out.push_back(c < 0x80 ? static_cast<char>(std::tolower(c)) : ch);
  }
  return out;
}

}  // namespace musecl
