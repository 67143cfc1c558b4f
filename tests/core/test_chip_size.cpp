// The automatic chip size: twice the median region's longer side in raster pixels, rounded up to
// a multiple of 32, within [64, 256].
#include <gtest/gtest.h>

#include "musecl/geo/chip_extractor.h"

namespace {
// A w x h rectangle in CRS units at the origin.
musecl::RegionRings box(double w, double h) { return {{{0, 0}, {w, 0}, {w, h}, {0, h}, {0, 0}}}; }
const std::array<double, 6> k30m{500000, 30, 0, 4500000, 0, -30};  // north-up, 30 m pixels
}  // namespace

TEST(AutomaticChipSize, TwiceTheMedianRegionSpanRoundedUpToMultipleOf32) {
  // Longer sides 20, 40 and 50 pixels: twice the median 40 is 80, rounded up to 96.
  EXPECT_EQ(musecl::automaticChipSize({box(600, 300), box(300, 1200), box(1500, 1500)}, k30m), 96);
  // Exactly 48 pixels gives 96; one metre more needs 128.
  EXPECT_EQ(musecl::automaticChipSize({box(48 * 30, 10)}, k30m), 96);
  EXPECT_EQ(musecl::automaticChipSize({box(48 * 30 + 1, 10)}, k30m), 128);
}

TEST(AutomaticChipSize, PixelHeightCountsForTallRegions) {
  // Non-square pixels: 10 m wide, 40 m tall. A 100 m x 2000 m region spans 10 x 50 pixels.
  const std::array<double, 6> gt{0, 10, 0, 0, 0, -40};
  EXPECT_EQ(musecl::automaticChipSize({box(100, 2000)}, gt), 128);
}

TEST(AutomaticChipSize, ClampedToTheNetworkRange) {
  EXPECT_EQ(musecl::automaticChipSize({box(30, 30)}, k30m), 64) << "a one-pixel region still gets the smallest chip";
  EXPECT_EQ(musecl::automaticChipSize({box(100000, 100000)}, k30m), 256) << "a 3333-pixel region is capped";
}

TEST(AutomaticChipSize, NoUsableRegionFallsBackTo256) {
  EXPECT_EQ(musecl::automaticChipSize({}, k30m), 256);
  EXPECT_EQ(musecl::automaticChipSize({musecl::RegionRings{}}, k30m), 256);
}

TEST(AutomaticChipSize, AGroundWindowSetsTheSpanWhateverTheRegions) {
  // A 1200 m window over 30 m pixels spans 40 pixels: twice is 80, rounded up to 96, for small and
  // large regions alike.
  EXPECT_EQ(musecl::automaticChipSize({box(30, 30)}, k30m, 1200), 96);
  EXPECT_EQ(musecl::automaticChipSize({box(100000, 100000)}, k30m, 1200), 96);
  EXPECT_EQ(musecl::automaticChipSize({}, k30m, 1200), 96);
}
