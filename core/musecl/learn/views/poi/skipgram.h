// Skip-gram word vectors with hierarchical softmax (Mikolov et al. 2013), for MuseCL's POI-text
// semantics (paper eq. 7): every word is a leaf of a Huffman tree over word frequencies, and
// predicting a context word means a sequence of binary logistic decisions along that word's path,
// so one update costs O(log V) instead of O(V).
//
// Deterministic: one thread, one seeded generator, so the same corpus and seed give the same vectors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace musecl {

struct SkipGramOptions {
  int dimension = 64;
  int window = 5;
  int epochs = 5;
  int minCount = 1;
  double learningRate = 0.025;  // decays linearly to 1e-4 of itself over training
  std::uint64_t seed = 42;
};

class SkipGram {
 public:
  // Each sentence is one bag of co-occurring words (MuseCL: the POI words of one region).
  // `progress(epoch, epochs)` returns false to cancel (throws std::runtime_error then).
  void train(const std::vector<std::vector<std::string>> &sentences, const SkipGramOptions &options,
             const std::function<bool(int, int)> &progress = {});

  int dimension() const { return dimension_; }
  std::size_t vocabularySize() const { return words_.size(); }
  const std::vector<std::string> &words() const { return words_; }
  const std::vector<float> &vectors() const { return vectors_; }  // vocabularySize x dimension
  // The vector of a word, or nullptr when the word is unknown.
  const float *vector(const std::string &word) const;
  // Mean of the known words' vectors; false (and zeros) when none is known.
  bool meanVector(const std::vector<std::string> &words, std::vector<float> &out) const;
  double cosine(const std::string &a, const std::string &b) const;

  // For model files.
  void restore(std::vector<std::string> words, std::vector<float> vectors, int dimension);

 private:
  std::vector<std::string> words_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<float> vectors_;
  int dimension_ = 0;
};

}  // namespace musecl
