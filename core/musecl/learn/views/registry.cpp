// The registry: every view, in catalogue order (catalogue.h). Adding a view: its folder, a line in
// the catalogue and a line here.
#include "musecl/learn/views/view.h"

#include "musecl/learn/views/attributes/attribute_view.h"
#include "musecl/learn/views/embedding_raster/embedding_raster_view.h"
#include "musecl/learn/views/mobility/mobility_view.h"
#include "musecl/learn/views/poi/poi_view.h"
#include "musecl/learn/views/remote_sensing/remote_sensing_view.h"
#include "musecl/learn/views/scene_features/scene_features_view.h"
#include "musecl/learn/views/street_view/street_view_view.h"

#include <stdexcept>

namespace musecl::train {

Views makeViews() {
  Views views = {makeRemoteSensingView(),   makeStreetViewView(),    makePoiTextView(),  makeMobilityView(),
                 makeEmbeddingRasterView(), makeSceneFeaturesView(), makeAttributeView()};
  for (int v = 0; v < kViewCount; ++v)
    if (!views[static_cast<std::size_t>(v)] || views[static_cast<std::size_t>(v)]->index() != v)
      throw std::logic_error(std::string("the view registry is out of the catalogue's order at ") + viewName(v));
  return views;
}

}  // namespace musecl::train
