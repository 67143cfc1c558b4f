// The model file: one self-describing LibTorch archive with the views a model was trained with,
// their encoders and scaling, the fusion, and provenance (versions, CRS, seed, options).
// Written to a temporary name and renamed into place only when complete. Internal header (LibTorch).
#pragma once

#include "musecl/nn/encoders.h"
#include "musecl/skipgram.h"
#include "musecl/train/fusion_stage.h"
#include "musecl/train/mobility_view.h"

namespace musecl::train {

struct ModelParts {
  ModelInfo info;
  SimilarityScale scale = SimilarityScale::Log1p;
  nn::ImageEncoder rs{nullptr}, sv{nullptr};
  SkipGram words;  // vocabularySize() == 0: no POI view
  MobilityModel mobility;  // kind empty: no mobility view
  FusionModel fusion;
};

void writeModel(const std::string &path, const ModelParts &parts);
// Throws std::runtime_error naming `path` for a missing, truncated, foreign or newer file.
ModelParts readModel(const std::string &path);

std::string summariseOptions(const TrainingOptions &options);

}  // namespace musecl::train
