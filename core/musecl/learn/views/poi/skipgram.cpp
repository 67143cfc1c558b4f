#include "musecl/learn/views/poi/skipgram.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>
#include <stdexcept>

namespace musecl {

namespace {
struct HuffmanCode {
  std::vector<std::uint32_t> points;  // inner nodes on the path, root first
  std::vector<std::uint8_t> code;     // branch taken at each: 0 or 1
};

std::vector<HuffmanCode> buildHuffman(const std::vector<std::uint64_t> &counts) {
  const std::size_t v = counts.size();
  std::vector<HuffmanCode> codes(v);
  if (v < 2) return codes;  // a single word needs no decision
  // Nodes 0..v-1 are leaves, v..2v-2 inner nodes; ties broken by node index (deterministic).
  std::vector<std::uint64_t> weight(2 * v - 1);
  std::vector<std::int64_t> parent(2 * v - 1, -1);
  std::vector<std::uint8_t> branch(2 * v - 1, 0);
  using Item = std::pair<std::uint64_t, std::uint32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
  for (std::uint32_t i = 0; i < v; ++i) {
    weight[i] = counts[i];
    heap.push({counts[i], i});
  }
  for (std::uint32_t next = static_cast<std::uint32_t>(v); next < 2 * v - 1; ++next) {
    const Item a = heap.top();
    heap.pop();
    const Item b = heap.top();
    heap.pop();
    weight[next] = a.first + b.first;
    parent[a.second] = next;
    parent[b.second] = next;
    branch[b.second] = 1;
    heap.push({weight[next], next});
  }
  const std::uint32_t root = static_cast<std::uint32_t>(2 * v - 2);
  for (std::uint32_t leaf = 0; leaf < v; ++leaf) {
    HuffmanCode &c = codes[leaf];
    for (std::int64_t node = leaf; node != root; node = parent[static_cast<std::size_t>(node)]) {
      c.code.push_back(branch[static_cast<std::size_t>(node)]);
      c.points.push_back(
          static_cast<std::uint32_t>(parent[static_cast<std::size_t>(node)] - static_cast<std::int64_t>(v)));
    }
    std::reverse(c.code.begin(), c.code.end());
    std::reverse(c.points.begin(), c.points.end());
  }
  return codes;
}

// Each sentence as vocabulary indexes (words outside the vocabulary left out); counts the words kept.
std::vector<std::vector<std::uint32_t>> encodeSentences(const std::vector<std::vector<std::string>> &sentences,
                                                        const std::unordered_map<std::string, std::uint32_t> &index,
                                                        std::uint64_t &totalWords) {
  std::vector<std::vector<std::uint32_t>> encoded;
  for (const auto &s : sentences) {
    std::vector<std::uint32_t> ids;
    for (const auto &w : s) {
      const auto it = index.find(w);
      if (it != index.end()) ids.push_back(it->second);
    }
    totalWords += ids.size();
    encoded.push_back(std::move(ids));
  }
  return encoded;
}

// One (context word, target word) step of hierarchical softmax: the inner nodes on the target's
// Huffman path move towards the context word's vector `in`, which moves by the summed gradient.
void trainPair(float *in, std::vector<float> &inner, const HuffmanCode &code, std::vector<float> &gradient, double lr) {
  const std::size_t d = gradient.size();
  std::fill(gradient.begin(), gradient.end(), 0.0f);
  for (std::size_t k = 0; k < code.points.size(); ++k) {
    float *node = &inner[static_cast<std::size_t>(code.points[k]) * d];
    double dot = 0;
    for (std::size_t j = 0; j < d; ++j) dot += in[j] * node[j];
    if (dot <= -6 || dot >= 6) continue;  // saturated sigmoid: no useful gradient
    const double sigma = 1.0 / (1.0 + std::exp(-dot));
    const auto g = static_cast<float>((1.0 - code.code[k] - sigma) * lr);
    for (std::size_t j = 0; j < d; ++j) gradient[j] += g * node[j];
    for (std::size_t j = 0; j < d; ++j) node[j] += g * in[j];
  }
  for (std::size_t j = 0; j < d; ++j) in[j] += gradient[j];
}
}  // namespace

void SkipGram::train(const std::vector<std::vector<std::string>> &sentences, const SkipGramOptions &options,
                     const std::function<bool(int, int)> &progress) {
  if (options.dimension < 1 || options.window < 1 || options.epochs < 1)
    throw std::invalid_argument("skip-gram dimension, window and epochs must be >= 1");
  // Vocabulary, most frequent first (ties by word) so that indexes are deterministic.
  std::unordered_map<std::string, std::uint64_t> frequency;
  for (const auto &s : sentences)
    for (const auto &w : s) ++frequency[w];
  std::vector<std::pair<std::string, std::uint64_t>> vocab;
  for (const auto &[w, c] : frequency)
    if (c >= static_cast<std::uint64_t>(std::max(1, options.minCount))) vocab.emplace_back(w, c);
  std::sort(vocab.begin(), vocab.end(), [](const auto &a, const auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (vocab.empty()) throw std::invalid_argument("skip-gram needs at least one word; the POI text is empty");

  words_.clear();
  index_.clear();
  std::vector<std::uint64_t> counts;
  for (const auto &[w, c] : vocab) {
    index_.emplace(w, static_cast<std::uint32_t>(words_.size()));
    words_.push_back(w);
    counts.push_back(c);
  }
  dimension_ = options.dimension;
  const std::size_t v = words_.size();
  const auto d = static_cast<std::size_t>(dimension_);
  const std::vector<HuffmanCode> codes = buildHuffman(counts);

  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<float> init(-0.5f / dimension_, 0.5f / dimension_);
  vectors_.resize(v * d);
  for (float &x : vectors_) x = init(rng);
  std::vector<float> inner((v > 1 ? v - 1 : 1) * d, 0.0f);  // word2vec initialises these to zero
  std::vector<float> gradient(d);

  std::uint64_t totalWords = 0;
  const std::vector<std::vector<std::uint32_t>> encoded = encodeSentences(sentences, index_, totalWords);
  const double totalSteps = static_cast<double>(totalWords) * options.epochs + 1;
  double step = 0;
  std::uniform_int_distribution<int> shrink(0, options.window - 1);

  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    if (progress && !progress(epoch, options.epochs)) throw std::runtime_error("cancelled during skip-gram training");
    for (const auto &s : encoded) {
      for (std::size_t pos = 0; pos < s.size(); ++pos, ++step) {
        const double lr = options.learningRate * std::max(1e-4, 1.0 - step / totalSteps);
        const int reduced = shrink(rng);  // word2vec's dynamic window: nearer words weigh more
        const std::size_t lo =
            pos >= static_cast<std::size_t>(options.window - reduced) ? pos - (options.window - reduced) : 0;
        const std::size_t hi = std::min(s.size() - 1, pos + (options.window - reduced));
        const HuffmanCode &code = codes[s[pos]];
        for (std::size_t c = lo; c <= hi; ++c) {
          if (c == pos) continue;
          trainPair(&vectors_[static_cast<std::size_t>(s[c]) * d], inner, code, gradient, lr);
        }
      }
    }
  }
  if (progress && !progress(options.epochs, options.epochs))
    throw std::runtime_error("cancelled during skip-gram training");
}

const float *SkipGram::vector(const std::string &word) const {
  const auto it = index_.find(word);
  return it == index_.end() ? nullptr
                            : &vectors_[static_cast<std::size_t>(it->second) * static_cast<std::size_t>(dimension_)];
}

bool SkipGram::meanVector(const std::vector<std::string> &words, std::vector<float> &out) const {
  out.assign(static_cast<std::size_t>(dimension_), 0.0f);
  std::size_t known = 0;
  for (const auto &w : words)
    if (const float *v = vector(w)) {
      for (int j = 0; j < dimension_; ++j) out[static_cast<std::size_t>(j)] += v[j];
      ++known;
    }
  if (known == 0) return false;
  for (float &x : out) x /= static_cast<float>(known);
  return true;
}

double SkipGram::cosine(const std::string &a, const std::string &b) const {
  const float *u = vector(a);
  const float *w = vector(b);
  if (!u || !w) return 0;
  double dot = 0, nu = 0, nw = 0;
  for (int j = 0; j < dimension_; ++j) {
    dot += u[j] * w[j];
    nu += u[j] * u[j];
    nw += w[j] * w[j];
  }
  return dot / (std::sqrt(nu * nw) + 1e-12);
}

void SkipGram::restore(std::vector<std::string> words, std::vector<float> vectors, int dimension) {
  if (dimension < 1 || vectors.size() != words.size() * static_cast<std::size_t>(dimension))
    throw std::invalid_argument("word vectors do not match the vocabulary");
  words_ = std::move(words);
  vectors_ = std::move(vectors);
  dimension_ = dimension;
  index_.clear();
  for (std::uint32_t i = 0; i < words_.size(); ++i) index_.emplace(words_[i], i);
}

}  // namespace musecl
