// The model file: see model_file.h.
#include "musecl/learn/train/model_file.h"

#include "musecl/fnv.h"

#include "musecl/learn/train/archive.h"
#include "musecl/learn/train/context.h"
#include "musecl/learn/train/torch_runtime.h"
#include "musecl/learn/views/image/image_region_view.h"
#include "musecl/learn/views/scene_features/scene_features_view.h"
#include "musecl/version.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace musecl::train {

namespace {

constexpr const char *kFormat = "musecl-model";
// 2: views (mobility graph encoder, per-view scaling) fused by one attention over all of them.
// 3: an ensemble of trainings (musecl.runs); written only for one, so that a plugin that knows
// only 2 refuses it instead of applying its first training alone.
// 4: an ensemble whose further trainings have their own scene encoders, in their nested archives;
// written only for one, so that a plugin that knows only 3 refuses it instead of applying the
// first training's encoder to every training.
constexpr std::int64_t kFormatVersion = 4;

std::int64_t formatVersionOf(const ModelParts &m) {
  if (m.ensemble.empty()) return 2;
  return furtherSceneEncodersOf(m).empty() ? 3 : 4;
}

// Integrity trailer. LibTorch's archive reader does not verify its zip CRCs, so a flipped bit in a
// tensor loads as a silently different model (the fuzz test found 82 of 300 damaged files loading
// with other embeddings). Every file ends with a 64-bit FNV-1a hash of the archive bytes and an
// 8-byte marker; the reader checks it before LibTorch sees the bytes. FNV-1a detects accidental
// damage (truncation, bit rot, a partial copy); it is not a signature against tampering.
constexpr char kTrailerMarker[8] = {'M', 'U', 'S', 'E', 'C', 'L', 'c', 'k'};
constexpr std::size_t kTrailerSize = 16;

void readInfo(torch::serialize::InputArchive &archive, ModelParts &m) {
  if (readString(archive, "musecl.format") != kFormat) throw std::runtime_error("wrong format tag");
  const std::int64_t version = readInt(archive, "musecl.format_version");
  if (version > kFormatVersion)
    throw std::runtime_error("format version " + std::to_string(version) + " is newer than this plugin understands (" +
                             std::to_string(kFormatVersion) + ")");
  if (version < 2)
    throw std::runtime_error("format version " + std::to_string(version) +
                             " comes from an older MuseCL whose embedding left flows out; train the model again");
  ModelInfo &i = m.info;
  i.pluginVersion = readString(archive, "musecl.plugin_version");
  i.torchVersion = readString(archive, "musecl.torch_version");
  i.embeddingSize = static_cast<int>(readInt(archive, "musecl.embedding_size"));
  i.outputDimension = static_cast<int>(readInt(archive, "musecl.output_dimension"));
  i.remoteSensing = readInt(archive, "musecl.has_remote_sensing") != 0;
  i.streetView = readInt(archive, "musecl.has_street_view") != 0;
  i.poiText = readInt(archive, "musecl.has_poi_text") != 0;
  i.mobility = readInt(archive, "musecl.has_mobility") != 0;
  c10::IValue er;
  if (archive.try_read("musecl.embedding_raster_values", er)) {  // absent in files from before the view
    i.embeddingRasterValues = static_cast<int>(er.toInt());
    i.embeddingRaster = i.embeddingRasterValues > 0;
  }
  i.chipSize = static_cast<int>(readInt(archive, "musecl.chip_size"));
  c10::IValue window;
  if (archive.try_read("musecl.chip_window_m", window))
    i.chipWindowMetres = window.toDouble();  // absent before the option: bounding boxes
  i.streetViewSize = static_cast<int>(readInt(archive, "musecl.street_view_size"));
  i.remoteSensingBackbone = readString(archive, "musecl.rs_backbone");
  i.streetViewBackbone = readString(archive, "musecl.sv_backbone");
  i.crs = readString(archive, "musecl.crs");
  i.regionSizeMetres = readDouble(archive, "musecl.region_size_m");
  i.seed = static_cast<std::uint64_t>(readInt(archive, "musecl.seed"));
  i.optionsSummary = readString(archive, "musecl.options");
  m.scale = readInt(archive, "musecl.similarity_log1p") != 0 ? SimilarityScale::Log1p : SimilarityScale::Raw;
  // Models written before the raster radiometry have none: their chips are stretched one by one.
  readRadiometry(archive, "musecl.rs_", "the remote-sensing radiometry", i.radiometry);
}

// The ensemble's further trainings, each in a nested archive with the keys of a one-training model.
// Files without the count (every model before runs existed) have one training.
void writeEnsemble(torch::serialize::OutputArchive &archive, const ModelParts &m) {
  if (m.ensemble.empty()) return;
  writeInt(archive, "musecl.runs", static_cast<std::int64_t>(m.ensemble.size() + 1));
  for (std::size_t k = 0; k < m.ensemble.size(); ++k) {
    torch::serialize::OutputArchive member;
    for (const auto &view : m.ensemble[k].views)
      if (!view->sharedWithFirstTraining()) view->save(member);
    m.ensemble[k].fusion.save(member);
    member.write("rotation", m.ensemble[k].rotation);
    archive.write("musecl.run_" + std::to_string(k + 2), member);
  }
}

void readEnsemble(torch::serialize::InputArchive &archive, ModelParts &m) {
  c10::IValue runs;
  if (!archive.try_read("musecl.runs", runs)) return;
  if (runs.toInt() < 2 || runs.toInt() > kMaxRuns)
    throw std::runtime_error("its ensemble has " + std::to_string(runs.toInt()) + " trainings; 2 to " +
                             std::to_string(kMaxRuns) + " are possible");
  m.info.runs = static_cast<int>(runs.toInt());
  for (int k = 2; k <= m.info.runs; ++k) {
    torch::serialize::InputArchive nested;
    archive.read("musecl.run_" + std::to_string(k), nested);
    EnsembleMember member;
    ModelInfo scratch = m.info;  // the first training's description stands for every training
    // A view the trainings share (an ensemble's one scene encoder) is stored with the first training.
    for (auto &view : member.views) {
      view->load(nested, scratch);
      if (!view->inModel() && view->sharedWithFirstTraining()) view->load(archive, scratch);
    }
    member.fusion.load(nested);
    if (member.fusion.sizes != m.fusion.sizes)
      throw std::runtime_error("training " + std::to_string(k) + "'s views differ from the first training's");
    member.rotation = readTensor(nested, "rotation");
    const auto d = static_cast<std::int64_t>(m.info.outputDimension);
    if (member.rotation.dim() != 2 || member.rotation.size(0) != d || member.rotation.size(1) != d)
      throw std::runtime_error("training " + std::to_string(k) + "'s rotation is not " + std::to_string(d) + " x " +
                               std::to_string(d));
    m.ensemble.push_back(std::move(member));
  }
}

}  // namespace

std::string summariseOptions(const TrainingOptions &o) {
  std::ostringstream s;
  s << "embedding_size=" << o.embeddingSize << " image_epochs=" << o.imageEpochs << " fusion_epochs=" << o.fusionEpochs
    << " batch_size=" << o.batchSize << " images_per_pass=" << o.imagesPerPass
    << " triplets_per_anchor=" << o.tripletsPerAnchor << " learning_rate=" << o.learningRate
    << " triplet=" << (o.tripletDistance == TripletDistance::L2 ? "l2" : "cosine")
    << " margin=" << (o.tripletDistance == TripletDistance::L2 ? o.margin : o.cosineMargin)
    << " lr_step=" << o.lrStepEpochs << "x" << o.lrDecay << " chip_size=" << o.chipSize
    << " chip_window_m=" << o.chipWindowMetres << " street_view_size=" << o.streetViewSize
    << " sv_pretrain_steps=" << o.streetViewPretrainSteps << " rs_backbone=" << o.remoteSensingBackbone
    << " sv_backbone=" << o.streetViewBackbone
    << " similarity=" << (o.similarityScale == SimilarityScale::Log1p ? "log1p" : "raw")
    << " positive_pool=" << o.positivePool << " word_dimension=" << o.wordDimension << " word_epochs=" << o.wordEpochs
    << " fusion_hidden=" << o.fusionHidden << " embedding_output="
    << (o.embeddingOutput == EmbeddingOutput::Fused           ? "fused"
        : o.embeddingOutput == EmbeddingOutput::FusedAndViews ? "fused+views"
                                                              : "automatic")
    << " temperature=" << o.infoNceTemperature << " fusion_flow_weight=" << o.fusionFlowWeight
    << " volume_weight=" << o.tripVolumeWeight << " mobility=" << o.mobilityDimension << "d/" << o.mobilityHidden
    << "h/" << o.mobilityLayers << "l/" << o.mobilityEpochs << "e x" << o.mobilityRuns << " runs=" << o.runs
    << " augmentation="
    << (o.augmentation == Augmentation::None    ? "none"
        : o.augmentation == Augmentation::Basic ? "basic"
                                                : "full")
    << " seed=" << o.seed;
  if (o.distributed.active()) s << " data_parallel_ranks=" << o.distributed.worldSize;
  return s.str();
}

void writeModel(const std::string &modelPath, const ModelParts &m) {
  const ModelInfo &i = m.info;
  torch::serialize::OutputArchive archive;
  writeString(archive, "musecl.format", kFormat);
  writeInt(archive, "musecl.format_version", formatVersionOf(m));
  writeString(archive, "musecl.plugin_version", MUSECL_VERSION);
  writeString(archive, "musecl.torch_version", torchRuntimeInfo().torchVersion);
  writeInt(archive, "musecl.embedding_size", i.embeddingSize);
  writeInt(archive, "musecl.output_dimension", i.outputDimension);
  writeInt(archive, "musecl.has_remote_sensing", i.remoteSensing);
  writeInt(archive, "musecl.has_street_view", i.streetView);
  writeInt(archive, "musecl.has_poi_text", i.poiText);
  writeInt(archive, "musecl.has_mobility", i.mobility);
  writeInt(archive, "musecl.embedding_raster_values", i.embeddingRasterValues);
  writeInt(archive, "musecl.chip_size", i.chipSize);
  writeDouble(archive, "musecl.chip_window_m", i.chipWindowMetres);
  writeInt(archive, "musecl.street_view_size", i.streetViewSize);
  writeString(archive, "musecl.rs_backbone", i.remoteSensingBackbone);
  writeString(archive, "musecl.sv_backbone", i.streetViewBackbone);
  writeString(archive, "musecl.crs", i.crs);
  writeDouble(archive, "musecl.region_size_m", i.regionSizeMetres);
  writeInt(archive, "musecl.seed", static_cast<std::int64_t>(i.seed));
  writeString(archive, "musecl.options", i.optionsSummary);
  writeInt(archive, "musecl.similarity_log1p", m.scale == SimilarityScale::Log1p);
  if (i.radiometry.defined()) writeRadiometry(archive, "musecl.rs_", i.radiometry);
  for (const auto &view : m.views) view->save(archive);
  m.fusion.save(archive);
  writeEnsemble(archive, m);
  const std::string temporary = modelPath + ".partial";
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error &e) {
    throw std::runtime_error("cannot write the model file '" + modelPath + "': " + e.what_without_backtrace());
  }
  std::string content = bytes.str();
  const std::uint64_t hash = fnv1a64(content.data(), content.size());
  for (int b = 0; b < 8; ++b) content.push_back(static_cast<char>((hash >> (8 * b)) & 0xff));
  content.append(kTrailerMarker, sizeof kTrailerMarker);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      out.close();
      std::remove(temporary.c_str());
      throw std::runtime_error("cannot write the model file '" + modelPath + "' (disk full or no permission?)");
    }
  }
  if (std::rename(temporary.c_str(), modelPath.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot move the finished model into place at '" + modelPath + "'");
  }
}

// The file's archive bytes, checked against the integrity trailer. Files written before the
// trailer existed (0.1.0 format 2) have none and are read unchecked.
static std::string checkedArchiveBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("'" + path + "' cannot be opened (missing, or no permission)");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() < kTrailerSize || content.compare(content.size() - 8, 8, kTrailerMarker, 8) != 0) return content;
  std::uint64_t stored = 0;
  for (int b = 0; b < 8; ++b)
    stored |= static_cast<std::uint64_t>(static_cast<unsigned char>(content[content.size() - 16 + b])) << (8 * b);
  content.resize(content.size() - kTrailerSize);
  if (fnv1a64(content.data(), content.size()) != stored)
    throw std::runtime_error(
        "'" + path +
        "' is damaged: its checksum does not match its content (a partial copy, a disk error or an edit); train again or restore the file");
  return content;
}

ModelParts readModel(const std::string &path) {
  torch::serialize::InputArchive archive;
  const std::string bytes = checkedArchiveBytes(path);
  try {
    archive.load_from(bytes.data(), bytes.size());
  } catch (const c10::Error &e) {
    throw std::runtime_error("'" + path + "' is not a readable MuseCL model file (missing, truncated or corrupt): " +
                             e.what_without_backtrace());
  }
  ModelParts m;
  try {
    readInfo(archive, m);
  } catch (const c10::Error &e) {
    throw std::runtime_error("'" + path + "' is not a MuseCL model file: " + e.what_without_backtrace());
  } catch (const std::runtime_error &e) {
    throw std::runtime_error("'" + path + "' is not a usable MuseCL model file: " + e.what());
  }
  try {
    for (auto &view : m.views) {
      view->load(archive, m.info);
      m.info.views[static_cast<std::size_t>(view->index())] = view->inModel();
    }
    m.fusion.load(archive);
    readEnsemble(archive, m);
  } catch (const c10::Error &e) {
    throw std::runtime_error("model file '" + path + "' is incomplete or corrupt: " + e.what_without_backtrace());
  } catch (const std::runtime_error &e) {
    throw std::runtime_error("model file '" + path + "' is incomplete or corrupt: " + e.what());
  }
  return m;
}

nn::ImageEncoder imageEncoder(ModelParts &parts, View view) {
  auto *image = dynamic_cast<ImageRegionView *>(parts.views[static_cast<std::size_t>(view)].get());
  return image ? image->encoder() : nn::ImageEncoder(nullptr);
}

}  // namespace musecl::train
