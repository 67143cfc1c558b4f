// Helpers shared by the learning tests (test_learning.cpp, test_nn.cpp, test_flow_views.cpp,
// test_thread_policy.cpp, test_volume_term.cpp): a temporary path, tiny training options, whether a
// run's decisions mention a text, and the check that bad loss weights are refused (with
// expectRefused from expect_refused.h, which it includes).
#pragma once

#include "expect_refused.h"
#include "musecl/learn/training.h"
#include "toy_city.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace musecl::test_support {

inline std::string tempPath(const std::string &name) {
  return (std::filesystem::temp_directory_path() / ("musecl_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

inline TrainingOptions tinyOptions() {
  TrainingOptions o;
  o.embeddingSize = 16;
  o.imageEpochs = 4;
  o.fusionEpochs = 20;
  o.batchSize = 8;
  o.learningRate = 2e-3;
  o.chipSize = 32;
  o.streetViewSize = 32;
  o.remoteSensingBackbone = "light";
  o.streetViewBackbone = "light";
  o.wordDimension = 8;
  o.wordEpochs = 20;
  o.mobilityEpochs = 100;
  o.threads = 2;
  o.seed = 7;
  return o;
}

inline bool mentions(const std::vector<std::string> &decisions, const std::string &text) {
  for (const auto &d : decisions)
    if (d.find(text) != std::string::npos) return true;
  return false;
}
inline bool mentions(const TrainingResult &r, const std::string &text) { return mentions(r.decisions, text); }

// Training a small toy city must refuse a loss weight of -1 and of NaN, set into tinyOptions() by
// `set`, with std::invalid_argument whose message contains `named`.
template <typename Set>
void expectBadWeightsRefused(Set set, const std::string &named) {
  for (double weight : {-1.0, std::nan("")}) {
    TrainingOptions bad = tinyOptions();
    set(bad, weight);
    expectRefused(
        [&] {
          trainMuseCL(toyCity(10, false, false, true, true), bad, toyLoader, {}, {}, tempPath("bad_weight.musecl"));
        },
        {named}, named + " " + std::to_string(weight) + " was accepted");
  }
}

}  // namespace musecl::test_support
