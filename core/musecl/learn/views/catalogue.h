// The views MuseCL can fuse: their order (of the model file, of RegionEmbeddings::viewWeight and of
// the fusion's inputs), keys and names. Standard types only, so that the QGIS side can list them.
// Adding a view: a line here, one in registry.cpp, and its folder under learn/views/.
#pragma once

namespace musecl {

enum class View {
  RemoteSensing = 0,
  StreetView = 1,
  PoiText = 2,
  Mobility = 3,
  EmbeddingRaster = 4,
  SceneFeatures = 5,
  Attributes = 6
};
constexpr int kViewCount = 7;

const char *viewKey(int view);   // "rs", "sv", "poi", "mob", "er", "sf", "attr": field suffixes and model keys
const char *viewName(int view);  // "remote sensing", "street view", "POI text", "mobility", "embedding raster",
                                 // "scene features", "region attributes"

}  // namespace musecl
