// What the two image views (remote sensing, street view) share as views: an encoder trained by
// triplets whose positives come from other views' similarity (paper eqs. 1-6), applied to every
// region's images, and kept in the model file under its own key. The two folders say what differs:
// the images, their loader, their size and backbone. Internal header (LibTorch).
#pragma once

#include "musecl/learn/views/image/image_view.h"
#include "musecl/learn/views/view.h"

#include <string>

namespace musecl::train {

class ImageRegionView : public RegionView {
 public:
  // seedSalt: the stage's seed is mix(seed, seedSalt), fixed per view so that seeds stay put when views are added.
  ImageRegionView(View view, const char *archiveKey, std::uint64_t seedSalt)
      : RegionView(view), archiveKey_(archiveKey), seedSalt_(seedSalt) {}

  double heavyShare(const ViewRun &run) const override;
  double applyShare() const override { return 0.45; }
  ViewVectors train(ViewRun &run, double &cursor) override;
  bool inModel() const override { return static_cast<bool>(encoder_); }
  bool given(const RegionTable &table) const override;
  ViewVectors apply(ViewRun &run) override;
  void save(torch::serialize::OutputArchive &archive) const override;

  nn::ImageEncoder &encoder() { return encoder_; }

  // Which inputs switch on the triplets' similarity (POI counts when `poiFirst`, inflow), for the
  // data-parallel job check: ranks that differ there would train on different kinds of triplets.
  // Differences in the counts' values themselves are not seen.
  static void countSimilarityInputs(const RegionTable &table, bool poiFirst, std::vector<std::size_t> &counts);

 protected:
  // The regions' images at `size` pixels, and the stage's augmentation and name.
  virtual ImageStage stage(const RegionTable &table, int size) const = 0;
  virtual int trainingSize(const TrainingOptions &o) const = 0;
  virtual const std::string &backbone(const TrainingOptions &o) const = 0;
  virtual const std::string &pretrained(const TrainingOptions &o) const = 0;
  // Self-supervised steps over all the view's images before the triplets (0: none).
  virtual int pretrainSteps(const TrainingOptions &) const { return 0; }
  // How its images are decoded and into how many channels (RGB unless the view says otherwise).
  virtual ImageLoader loader(const ViewRun &run) const { return run.loadImage; }
  virtual int channels(const ViewRun &) const { return 3; }
  // The regions alike for the triplets, and the sentence saying how they were chosen.
  virtual std::vector<std::vector<float>> similarity(const RegionTable &table, Context &ctx) const = 0;
  // What the log says about the regions' images ("with a chip (256 px)") and the two augmentations.
  virtual std::string imagesSentence(const TrainingOptions &o) const = 0;
  virtual const char *basicAugmentation() const = 0;  // "90-degree rotations"
  virtual const char *fullAugmentation() const = 0;   // "rotations, mirroring, ": before the crops and jitter
  // Reads the encoder written by save() (the view is in the model).
  void loadEncoder(torch::serialize::InputArchive &archive, const std::string &backbone, int embeddingSize, int size);

  nn::ImageEncoder encoder_{nullptr};
  int size_ = 0;  // input size in pixels: the training options', or the model file's

 private:
  const char *archiveKey_;
  std::uint64_t seedSalt_;
};

// Whether the POI counts and the inflow hold any positive value: the triplets' similarity follows them.
struct SimilarityInputs {
  bool pois = false;
  bool mobility = false;
};
SimilarityInputs similarityInputs(const RegionTable &table);

// The regions alike by the inputs a table has: `poiFirst` (remote sensing) takes the POI distribution,
// joined by mobility when flows are given too; otherwise mobility. Without either, geographic nearness
// (Tile2Vec). Throws std::invalid_argument when there are no centroids either.
std::vector<std::vector<float>> tripletSimilarity(const RegionTable &table, bool poiFirst, const std::string &name,
                                                  Context &ctx);

}  // namespace musecl::train
