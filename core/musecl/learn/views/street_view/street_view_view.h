// The street-view view: any number of photos per region, encoded by a triplet-trained image
// encoder whose positives are regions with alike mobility (paper eqs. 1-2, 5-6); a region's photos
// are averaged. Internal header (LibTorch).
#pragma once

#include "musecl/learn/views/view.h"

#include <memory>

namespace musecl::train {

std::unique_ptr<RegionView> makeStreetViewView();

}  // namespace musecl::train
