// Self-supervised pretraining of an image view's encoder on every image it has, not one per region
// (issue 22, item 4): two augmented copies of the same photo are a positive pair, the batch's other
// photos its negatives (SimCLR-style InfoNCE). It runs before the triplet epochs, which then start
// from what the photos alone taught the encoder. Internal header (LibTorch).
#pragma once

#include "musecl/learn/views/image/image_view.h"

namespace musecl::train {

// `steps` optimiser steps of `pairs` photos each (fewer when the stage has fewer photos), drawn
// from `stageSeed`, encoded in passes of at most the options' imagesPerPass images. Every rank of a
// data-parallel job runs all the steps (the work is repeated, not shared), the triplet stage's
// broadcast keeps rank 0's result, and a rank that fails stops the others with its reason.
// Throws TrainingCancelled when the run is cancelled.
void pretrainImageEncoder(nn::ImageEncoder &encoder, const ImageStage &stage, ImageCache &cache, Context &ctx,
                          std::uint64_t stageSeed, int steps, int pairs = 64);

}  // namespace musecl::train
