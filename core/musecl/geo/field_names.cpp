#include "musecl/geo/field_names.h"

#include <cctype>

namespace musecl {

namespace {
std::string lower(const std::string &s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::string uniqueFieldName(const std::string &prefix, const std::string &value, std::set<std::string> &taken) {
  std::string body;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80 && std::isalnum(c)) {
      body.push_back(static_cast<char>(std::tolower(c)));
    } else if (!body.empty() && body.back() != '_') {
      body.push_back('_');
    }
  }
  while (!body.empty() && body.back() == '_') body.pop_back();
  if (body.size() > 50) body.resize(50);
  if (body.empty()) body = "x";
  std::string name = prefix + body;
  for (int suffix = 2; taken.count(lower(name)); ++suffix) name = prefix + body + "_" + std::to_string(suffix);
  taken.insert(lower(name));
  return name;
}

}  // namespace musecl
