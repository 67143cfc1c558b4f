// Field names that every format accepts and that never collide: per-category count fields are
// generated from arbitrary category values ("Café & Bar", "café_bar", "" ...).
#pragma once

#include <set>
#include <string>

namespace musecl {

// prefix + lower-case ASCII letters/digits/underscores derived from `value` (other characters
// become '_', runs collapse, at most 50 characters), made unique against `taken` (case-insensitive)
// by a numeric suffix, and added to `taken`.
std::string uniqueFieldName(const std::string &prefix, const std::string &value, std::set<std::string> &taken);

}  // namespace musecl
