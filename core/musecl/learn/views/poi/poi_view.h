// The POI-semantics view (paper eq. 7, made scale-aware): skip-gram word vectors (hierarchical
// softmax) over each region's POI words; a region's vector is the mean of its POI category-word
// vectors followed by log1p(number of POIs) and log1p(number of distinct categories), because a
// mean erases the difference between 3 shops and 300. Internal header (LibTorch).
#pragma once

#include "musecl/learn/views/poi/skipgram.h"
#include "musecl/learn/train/context.h"
#include "musecl/learn/views/view.h"

#include <memory>

namespace musecl::train {

constexpr int kPoiScaleColumns = 2;

// Trains `words` on the table's POI text and returns the view; undefined when there is no text.
ViewVectors trainPoiView(const RegionTable &table, Context &ctx, SkipGram &words, std::uint64_t seed);
// The view of `table` with trained word vectors (regions whose categories are all unknown lack it).
ViewVectors poiView(const RegionTable &table, const SkipGram &words);

std::unique_ptr<RegionView> makePoiTextView();

}  // namespace musecl::train
