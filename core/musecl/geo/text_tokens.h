// Words of POI text for the skip-gram model (paper eq. 7): lower-cased runs of letters and digits.
// Bytes >= 0x80 count as letters, so UTF-8 words ("café", "北京") stay whole; ASCII punctuation and
// whitespace separate words. Categories are kept as one token each ("fast_food"), since the
// paper's region vector averages category words.
#pragma once

#include <string>
#include <vector>

namespace musecl {

void appendTokens(const std::string &text, std::vector<std::string> &out);
std::vector<std::string> tokenize(const std::string &text);

// A category value as a single token: lower-cased, trimmed, inner whitespace -> '_'.
std::string categoryToken(const std::string &category);

}  // namespace musecl
