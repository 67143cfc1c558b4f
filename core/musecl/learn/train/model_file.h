// The model file: one self-describing LibTorch archive with the views a model was trained with,
// their encoders and scaling, the fusion, and provenance (versions, CRS, seed, options).
// Written to a temporary name and renamed into place only when complete. Internal header (LibTorch).
#pragma once

#include "musecl/learn/fusion/fusion_stage.h"
#include "musecl/learn/nn/encoders.h"
#include "musecl/learn/views/view.h"

namespace musecl::train {

// One more training of the same views and options from another seed (TrainingOptions::runs), and
// the rotation that maps its embedding onto the first training's.
struct EnsembleMember {
  Views views = makeViews();
  FusionModel fusion;
  torch::Tensor rotation;  // [output dimension, output dimension], orthogonal
};

struct ModelParts {
  ModelInfo info;
  SimilarityScale scale = SimilarityScale::Log1p;
  Views views = makeViews();  // each knows whether it is in the model
  FusionModel fusion;
  std::vector<EnsembleMember> ensemble;  // the trainings after the first; empty for runs = 1
};

// The image encoder of an image view (remote sensing, street view); null when the model lacks it.
nn::ImageEncoder imageEncoder(ModelParts &parts, View view);

void writeModel(const std::string &path, const ModelParts &parts);
// Throws std::runtime_error naming `path` for a missing, truncated, foreign or newer file.
ModelParts readModel(const std::string &path);

std::string summariseOptions(const TrainingOptions &options);

}  // namespace musecl::train
