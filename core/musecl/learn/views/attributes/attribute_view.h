// The region-attribute view: numeric fields of the region layer, fused like any other view.
// Training decides each field's scaling once: log(1 + value) for a field with no negative value
// (counts and other heavy-tailed quantities), the value itself otherwise; the fusion then
// standardises. Above 16 fields, the standardised fields are reduced first to their leading
// principal components, at most 16 and each with more variance than one field. All of it is kept
// in the model, so that embedding another table reads its fields by name and scales them the same
// way. Internal header (LibTorch).
#pragma once

#include "musecl/learn/views/view.h"

#include <memory>
#include <string>
#include <vector>

namespace musecl::train {

// The fields as the model scales them: `logScaled[k]` for names[k]. Refuses (std::invalid_argument)
// a table that lacks one of the fields, or a value a log-scaled field cannot take (below 0),
// naming the region and the field.
ViewVectors attributeVectors(const RegionTable &table, const std::vector<std::string> &names,
                             const std::vector<bool> &logScaled);

std::unique_ptr<RegionView> makeAttributeView();

}  // namespace musecl::train
