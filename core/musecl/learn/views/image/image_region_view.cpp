// The image views' common part: see image_region_view.h.
#include "musecl/learn/views/image/image_region_view.h"

#include "musecl/learn/train/archive.h"
#include "musecl/learn/views/image/image_pretraining.h"
#include "musecl/learn/train/similarity.h"

#include <algorithm>

namespace musecl::train {

namespace {

constexpr std::size_t kImageCacheBytes = static_cast<std::size_t>(1) << 29;  // half of the 1 GiB image budget each

bool anyPositive(const std::vector<double> &values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return v > 0; });
}

}  // namespace

SimilarityInputs similarityInputs(const RegionTable &table) {
  return {table.hasPois() && std::any_of(table.poi.counts.begin(), table.poi.counts.end(),
                                         [](const auto &row) { return anyPositive(row); }),
          table.hasMobility() && anyPositive(table.mobility.inflow)};
}

void ImageRegionView::countSimilarityInputs(const RegionTable &table, bool poiFirst, std::vector<std::size_t> &counts) {
  const SimilarityInputs inputs = similarityInputs(table);
  counts.push_back(poiFirst && inputs.pois);
  counts.push_back(inputs.mobility);
}

std::vector<std::vector<float>> tripletSimilarity(const RegionTable &table, bool poiFirst, const std::string &name,
                                                  Context &ctx) {
  const TrainingOptions &o = ctx.options;
  const auto [pois, mobility] = similarityInputs(table);
  const std::string scale =
      o.similarityScale == SimilarityScale::Log1p ? " (log1p-scaled counts)" : " (raw counts, paper form)";
  const bool usePois = poiFirst && pois;
  if (usePois && mobility) {
    ctx.decide(
        name +
        ": positives and negatives by POI-distribution and mobility (inflow/outflow) similarity, each block scaled to equal weight" +
        scale);
    return joinedFeatures(poiDistributionFeatures(table.poi.counts, o.similarityScale),
                          mobilityFeatures(table.mobility.inflow, table.mobility.outflow, o.similarityScale));
  }
  if (usePois) {
    ctx.decide(name + ": positives and negatives by POI-distribution similarity" + scale);
    return poiDistributionFeatures(table.poi.counts, o.similarityScale);
  }
  if (mobility) {
    ctx.decide(name + ": positives and negatives by mobility (inflow/outflow) similarity" + scale);
    return mobilityFeatures(table.mobility.inflow, table.mobility.outflow, o.similarityScale);
  }
  if (table.centroidX.size() != table.size())
    throw std::invalid_argument(name + " needs POIs, mobility or region centroids to choose triplets");
  ctx.decide(
      name +
      ": no POI or mobility data, so positives are geographically near regions and negatives far ones (Tile2Vec fallback)");
  return geographicFeatures(table.centroidX, table.centroidY);
}

double ImageRegionView::heavyShare(const ViewRun &run) const {
  return regionsWithImages(stage(run.table, trainingSize(run.ctx.options))).size() >= 3 ? 0.4 : 0;
}

bool ImageRegionView::given(const RegionTable &table) const { return !regionsWithImages(stage(table, 1)).empty(); }

ViewVectors ImageRegionView::train(ViewRun &run, double &cursor) {
  Context &ctx = run.ctx;
  const TrainingOptions &o = ctx.options;
  const double share = heavyShare(run);
  size_ = trainingSize(o);
  ImageStage st = stage(run.table, size_);
  st.channels = channels(run);
  const std::vector<std::uint32_t> regions = regionsWithImages(st);
  if (regions.empty() && view() == View::RemoteSensing && run.table.hasSceneFeatures()) {
    ctx.decide("remote sensing: chip triplets were not asked for; the raster feeds the scene-feature view");
    return {};
  }
  if (regions.size() < 3) {
    ctx.decide(regions.empty() ? st.name + ": no " + inputs() + " given; not used"
                               : st.name + ": only " + std::to_string(regions.size()) +
                                     " region(s) have images, fewer than the 3 a triplet needs; not used");
    return {};
  }
  const nn::Backbone net = nn::backboneFromName(backbone(o));
  const std::uint64_t seed = mix(o.seed, seedSalt_);
  torch::manual_seed(seed);
  encoder_ = nn::ImageEncoder(net, o.embeddingSize, st.channels);
  if (!pretrained(o).empty())
    ctx.decide(st.name + ": " + std::to_string(encoder_->loadPretrainedBackbone(pretrained(o))) +
               " pretrained tensors from " + pretrained(o));
  encoder_->to(ctx.device);
  TripletOptions to;
  to.positivePool = o.positivePool;
  const TripletSampler sampler(similarity(run.table, ctx), regions, to);
  const std::string input = encoder_->inputConvention() == nn::InputConvention::MinusOneToOne
                                ? "inputs scaled to [-1, 1], as its torchvision weights expect"
                                : "inputs standardised with ImageNet's mean and std";
  ctx.decide(st.name + ": " + nn::backboneName(net) + " encoder (" + input + ") on " + std::to_string(regions.size()) +
             " of " + std::to_string(run.table.size()) + " regions " + imagesSentence(o) + "; " +
             std::to_string(std::max(1, o.tripletsPerAnchor)) + " triplet(s) per region and epoch; augmentation " +
             (o.augmentation == Augmentation::None ? std::string("none")
              : o.augmentation == Augmentation::Basic
                  ? "basic (" + std::string(basicAugmentation()) + ")"
                  : "full (" + std::string(fullAugmentation()) + "resized crops, brightness/contrast jitter)") +
             "; " +
             (o.imagesPerPass > 0 ? "at most " + std::to_string(o.imagesPerPass) +
                                        " images per encoder pass (gradients accumulated over a batch)"
                                  : "each batch encoded in one pass"));
  const ImageLoader load = loader(run);  // the cache holds a reference to it
  ImageCache cache(load, kImageCacheBytes, st.channels);
  const double pretraining = pretrainSteps(o) > 0 ? 0.3 : 0.0;  // of the view's progress window
  ctx.advance(cursor, share * pretraining);
  pretrainImageEncoder(encoder_, st, cache, ctx, seed, pretrainSteps(o));
  ctx.advance(cursor, share * (0.9 - pretraining));
  trainImageEncoder(encoder_, st, sampler, cache, ctx, seed);
  ctx.advance(cursor, share * 0.1);
  ViewVectors view = embedImages(encoder_, st, cache, ctx);
  encoder_->to(torch::kCPU);
  return view;
}

ViewVectors ImageRegionView::apply(ViewRun &run) {
  const ImageStage st = stage(run.table, size_);
  const ImageLoader load = loader(run);  // the cache holds a reference to it
  ImageCache cache(load, kImageCacheBytes, static_cast<int>(encoder_->inChannels()));
  encoder_->to(run.ctx.device);
  return embedImages(encoder_, st, cache, run.ctx);
}

void ImageRegionView::save(torch::serialize::OutputArchive &a) const {
  if (!encoder_) return;
  const std::string key = archiveKey_;
  writeString(a, "musecl." + key + "_input", nn::inputConventionName(encoder_->inputConvention()));
  writeInt(a, "musecl." + key + "_channels", encoder_->inChannels());
  torch::serialize::OutputArchive sub;
  encoder_->save(sub);
  a.write(key, sub);
}

void ImageRegionView::loadEncoder(torch::serialize::InputArchive &a, const std::string &backbone, int embeddingSize,
                                  int size) {
  size_ = size;
  const std::string key = archiveKey_;
  c10::IValue channels;  // absent before N-band encoders: RGB
  encoder_ = nn::ImageEncoder(nn::backboneFromName(backbone), embeddingSize,
                              a.try_read("musecl." + key + "_channels", channels) ? channels.toInt() : 3);
  // Files from before the convention was recorded scaled every backbone's input by ImageNet's statistics.
  c10::IValue input;
  encoder_->setInputConvention(a.try_read("musecl." + key + "_input", input)
                                   ? nn::inputConventionFromName(input.toStringRef())
                                   : nn::InputConvention::ImageNet);
  torch::serialize::InputArchive sub;
  a.read(key, sub);
  encoder_->load(sub);
}

}  // namespace musecl::train
