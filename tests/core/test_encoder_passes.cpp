// Encoder passes: a batch's triplets split into passes of at most so many images, on a hand example
// and on batches like the trainer's.
#include "musecl/learn/views/image/encoder_passes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

using namespace musecl;

TEST(EncoderPasses, HandExampleSplitsWhereTheNextTripletWouldOverflow) {
  // Triplets over 7 images; at most 4 per pass: (0,1,2) and (0,1,3) share 0 and 1 and fit in 4;
  // (4,5,6) would make 7, so it starts the second pass.
  const auto passes = planEncoderPasses({0, 0, 4}, {1, 1, 5}, {2, 3, 6}, 7, 4);
  ASSERT_EQ(passes.size(), 2u);
  EXPECT_EQ(passes[0].images, (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(passes[0].anchor, (std::vector<std::int64_t>{0, 0}));
  EXPECT_EQ(passes[0].negative, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(passes[1].images, (std::vector<std::int64_t>{4, 5, 6}));
  EXPECT_EQ(passes[1].anchor, (std::vector<std::int64_t>{0}));
}

TEST(EncoderPasses, WholeBatchWhenUncappedOrSmallEnough) {
  for (int cap : {0, -1, 7, 100}) {
    const auto passes = planEncoderPasses({0, 0, 4}, {1, 1, 5}, {2, 3, 6}, 7, cap);
    ASSERT_EQ(passes.size(), 1u) << cap;
    EXPECT_EQ(passes[0].images, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(passes[0].anchor, (std::vector<std::int64_t>{0, 0, 4}));
  }
  EXPECT_THROW(planEncoderPasses({0}, {1, 2}, {3}, 4, 3), std::invalid_argument);
}

TEST(EncoderPasses, TripletsThatShareImagesArePassedTogether) {
  // In batch order, (0,1,2) | (3,4,5) | (0,1,6) would take 3 passes and 9 encodings at a cap of 4;
  // grouping (0,1,6) with (0,1,2) takes 2 passes and 7.
  const auto passes = planEncoderPasses({0, 3, 0}, {1, 4, 1}, {2, 5, 6}, 7, 4);
  ASSERT_EQ(passes.size(), 2u);
  EXPECT_EQ(passes[0].images, (std::vector<std::int64_t>{0, 1, 2, 6}));
  EXPECT_EQ(passes[0].triplets, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(passes[1].images, (std::vector<std::int64_t>{3, 4, 5}));
}

TEST(EncoderPasses, EveryTripletKeepsItsImagesAndNoPassExceedsTheCap) {
  // Batches like the trainer's: 32 triplets drawn over 80 images, so regions repeat.
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::int64_t> pick(0, 79);
  std::vector<std::int64_t> a, p, n;
  for (int i = 0; i < 32; ++i) {
    a.push_back(pick(rng));
    p.push_back(pick(rng));
    n.push_back(pick(rng));
  }
  for (int cap : {3, 5, 16, 32, 79}) {
    const auto passes = planEncoderPasses(a, p, n, 80, cap);
    std::vector<int> seen(a.size(), 0);
    std::size_t encodings = 0;
    for (const auto &pass : passes) {
      EXPECT_LE(pass.images.size(), static_cast<std::size_t>(cap));
      EXPECT_EQ(std::set<std::int64_t>(pass.images.begin(), pass.images.end()).size(), pass.images.size())
          << "each image once per pass";
      ASSERT_EQ(pass.triplets.size(), pass.anchor.size());
      for (std::size_t k = 0; k < pass.anchor.size(); ++k) {
        const std::size_t t = pass.triplets[k];
        ++seen[t];
        EXPECT_EQ(pass.images[pass.anchor[k]], a[t]);
        EXPECT_EQ(pass.images[pass.positive[k]], p[t]);
        EXPECT_EQ(pass.images[pass.negative[k]], n[t]);
      }
      encodings += pass.images.size();
    }
    EXPECT_EQ(seen, std::vector<int>(a.size(), 1)) << "every triplet in exactly one pass, cap " << cap;
    const std::set<std::int64_t> distinct(a.begin(), a.end());
    std::set<std::int64_t> all = distinct;
    all.insert(p.begin(), p.end());
    all.insert(n.begin(), n.end());
    EXPECT_GE(encodings, all.size()) << "every image of the batch encoded at least once";
  }
}
