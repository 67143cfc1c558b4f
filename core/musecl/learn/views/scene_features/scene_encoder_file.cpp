// Reading and writing a scene encoder: see musecl/learn/scene_features.h.
#include "musecl/learn/scene_features.h"
#include "musecl/learn/train/archive.h"
#include "musecl/learn/train/context.h"
#include "musecl/learn/train/model_file.h"
#include "musecl/learn/views/scene_features/scene_features_view.h"
#include "musecl/learn/views/scene_features/scene_net.h"

#include <cstdio>
#include <stdexcept>

namespace musecl {

namespace {
using namespace train;
constexpr const char *kFormat = "musecl-scene-encoder";
// 2: an ensemble of encoders (scene.runs); written only for one, so that a plugin that knows only 1
// refuses it instead of using its first encoder alone.
constexpr std::int64_t kVersion = 2;
}  // namespace

void SceneEncoder::Impl::save(torch::serialize::OutputArchive &a) const {
  writeString(a, "scene.format", kFormat);
  writeInt(a, "scene.format_version", more.empty() ? 1 : kVersion);
  writeInt(a, "scene.channels", info.channels);
  writeInt(a, "scene.features", info.features);
  writeInt(a, "scene.tile", info.tileSize);
  writeInt(a, "scene.seed", static_cast<std::int64_t>(info.seed));
  writeString(a, "scene.summary", info.summary);
  writeRadiometry(a, "scene.", info.radiometry);
  a.write("scene.mean", mean);
  a.write("scene.rotation", rotation);
  torch::serialize::OutputArchive net;
  this->net->save(net);
  a.write("scene.net", net);
  if (more.empty()) return;  // files without the count (every encoder before ensembles) hold one
  writeInt(a, "scene.runs", static_cast<std::int64_t>(more.size() + 1));
  for (std::size_t k = 0; k < more.size(); ++k) {
    torch::serialize::OutputArchive member, memberNet;
    member.write("mean", more[k]->mean);
    member.write("rotation", more[k]->rotation);
    more[k]->net->save(memberNet);
    member.write("net", memberNet);
    a.write("scene.run_" + std::to_string(k + 2), member);
  }
}

namespace {

// The ensemble's further encoders (Impl::more) of an encoder read from `a`, with `e`'s sizes.
void loadMore(torch::serialize::InputArchive &a, SceneEncoder::Impl &e) {
  c10::IValue runs;
  if (!a.try_read("scene.runs", runs)) return;
  if (runs.toInt() < 2 || runs.toInt() > kMaxRuns)
    throw std::runtime_error("the scene encoder's ensemble has " + std::to_string(runs.toInt()) + " encoders; 2 to " +
                             std::to_string(kMaxRuns) + " are possible");
  for (std::int64_t k = 2; k <= runs.toInt(); ++k) {
    torch::serialize::InputArchive member, memberNet;
    a.read("scene.run_" + std::to_string(k), member);
    auto m = std::make_shared<SceneEncoder::Impl>();
    m->info = e.info;
    m->mean = readTensor(member, "mean");
    m->rotation = readTensor(member, "rotation");
    if (m->mean.numel() != e.info.features || m->rotation.numel() != e.info.features * e.info.features)
      throw std::runtime_error("encoder " + std::to_string(k) + "'s axes hold " + std::to_string(m->mean.numel()) +
                               " and " + std::to_string(m->rotation.numel()) + " values for " +
                               std::to_string(e.info.features) + " features");
    m->net = SceneNet(e.info.channels, e.info.features);
    member.read("net", memberNet);
    m->net->load(memberNet);
    e.more.push_back(std::move(m));
  }
}

}  // namespace

std::shared_ptr<SceneEncoder::Impl> SceneEncoder::Impl::load(torch::serialize::InputArchive &a) {
  if (readString(a, "scene.format") != kFormat) throw std::runtime_error("not a scene encoder");
  if (readInt(a, "scene.format_version") > kVersion)
    throw std::runtime_error("a scene encoder of a newer format than this plugin reads");
  auto e = std::make_shared<Impl>();
  e->info.channels = static_cast<int>(readInt(a, "scene.channels"));
  e->info.features = static_cast<int>(readInt(a, "scene.features"));
  e->info.tileSize = static_cast<int>(readInt(a, "scene.tile"));
  e->info.seed = static_cast<std::uint64_t>(readInt(a, "scene.seed"));
  e->info.summary = readString(a, "scene.summary");
  if (e->info.channels < 1 || e->info.features < 1 || e->info.tileSize < 8 || e->info.tileSize % kSceneCellPixels)
    throw std::runtime_error("the scene encoder's sizes are invalid");
  if (!readRadiometry(a, "scene.", "the scene encoder's radiometry", e->info.radiometry) ||
      static_cast<int>(e->info.radiometry.channels.size()) != e->info.channels)
    throw std::runtime_error("the scene encoder's band list does not match its channels");
  e->mean = readTensor(a, "scene.mean");
  e->rotation = readTensor(a, "scene.rotation");
  if (e->mean.numel() != e->info.features || e->rotation.numel() != e->info.features * e->info.features)
    throw std::runtime_error("the scene encoder's principal axes do not match its features");
  e->net = SceneNet(e->info.channels, e->info.features);
  torch::serialize::InputArchive net;
  a.read("scene.net", net);
  e->net->load(net);
  loadMore(a, *e);
  return e;
}

SceneEncoder SceneEncoder::read(const std::string &path) {
  torch::serialize::InputArchive archive;
  c10::IValue format;
  try {
    archive.load_from(path);
    if (archive.try_read("scene.format", format)) return SceneEncoder(Impl::load(archive));
  } catch (const c10::Error &) {
    // Not a bare encoder (a model file ends with an integrity trailer): read it as a model below.
  } catch (const std::runtime_error &e) {
    throw std::runtime_error("'" + path + "' is not a usable scene encoder: " + e.what());
  }
  const std::shared_ptr<const SceneEncoder> encoder = sceneEncoderOf(readModel(path));
  if (!encoder) throw std::runtime_error("model '" + path + "' was not trained with scene features");
  return *encoder;
}

void SceneEncoder::write(const std::string &path) const {
  torch::serialize::OutputArchive archive;
  impl_->save(archive);
  const std::string partial = path + ".partial";
  try {
    archive.save_to(partial);
  } catch (const c10::Error &e) {
    std::remove(partial.c_str());
    throw std::runtime_error("cannot write the scene encoder '" + path + "': " + e.what_without_backtrace());
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    throw std::runtime_error("cannot move the scene encoder into place at '" + path + "'");
  }
}

}  // namespace musecl
