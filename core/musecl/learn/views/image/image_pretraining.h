// Self-supervised pretraining of an image view's encoder on every image it has, not one per region
// (issue 22, item 4): two augmented copies of the same photo are a positive pair, the batch's other
// photos its negatives (SimCLR-style InfoNCE). It runs before the triplet epochs, which then start
// from what the photos alone taught the encoder. Internal header (LibTorch).
#pragma once

#include "musecl/learn/views/image/image_view.h"

namespace musecl::train {

// `steps` optimiser steps of `pairs` photos each (fewer when the stage has fewer photos), drawn
// from `stageSeed`; every rank of a data-parallel job runs the same steps, and the triplet stage's
// broadcast keeps rank 0's result. Throws TrainingCancelled when the run is cancelled.
void pretrainImageEncoder(nn::ImageEncoder &encoder, const ImageStage &stage, ImageCache &cache, Context &ctx,
                          std::uint64_t stageSeed, int steps, int pairs = 64);

}  // namespace musecl::train
