// The remote-sensing view: one chip per region cut from a raster (geo/chip_extractor.h), encoded
// by a triplet-trained image encoder whose positives are regions with alike POI distributions,
// joined by mobility when flows are given (paper eqs. 3-6). Chips are scaled with the raster-wide
// radiometry when the caller can decode chips with one. Internal header (LibTorch).
#pragma once

#include "musecl/learn/views/view.h"

#include <memory>

namespace musecl::train {

std::unique_ptr<RegionView> makeRemoteSensingView();

}  // namespace musecl::train
