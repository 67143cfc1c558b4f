// Seed ensembles of whole trainings (TrainingOptions::runs): each further training's embedding is
// rotated onto the first's and the rotated embeddings are averaged, in training and in every later
// application of the model file. Trainings that differ only in seed learn the same structure up to
// such a rotation, and their mean keeps the structure and loses much of the seed's noise.
// Internal header (LibTorch).
#pragma once

#include "musecl/learn/train/context.h"

#include <cstdint>

namespace musecl::train {

// The seed of training `run` (0-based): the options' own seed for the first, so that one run is
// the plain training.
std::uint64_t runSeed(std::uint64_t seed, int run);

// `progress` seen by training `run` of `runs`: its fractions 0..1 become its share of the whole,
// and the stages of the second and later trainings say which training they belong to.
ProgressCallback runProgress(const ProgressCallback &progress, int run, int runs);

// An embedding's values as a [regions, dimension] tensor sharing no memory with it.
torch::Tensor embeddingValues(const RegionEmbeddings &e);

// Adds `run`'s embedding, rotated, and its attention weights to `total`; divideRuns makes the mean.
void addRotated(RegionEmbeddings &total, const RegionEmbeddings &run, const torch::Tensor &rotation);
void divideRuns(RegionEmbeddings &total, int runs);

}  // namespace musecl::train
