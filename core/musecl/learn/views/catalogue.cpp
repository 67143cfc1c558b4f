// The view catalogue: see catalogue.h.
#include "musecl/learn/views/catalogue.h"

namespace musecl {

namespace {
struct Entry {
  const char *key;
  const char *name;
};
constexpr Entry kViews[kViewCount] = {
    {"rs", "remote sensing"},   {"sv", "street view"},    {"poi", "POI text"},           {"mob", "mobility"},
    {"er", "embedding raster"}, {"sf", "scene features"}, {"attr", "region attributes"},
};
}  // namespace

const char *viewKey(int view) { return view >= 0 && view < kViewCount ? kViews[view].key : "?"; }
const char *viewName(int view) { return view >= 0 && view < kViewCount ? kViews[view].name : "?"; }

}  // namespace musecl
