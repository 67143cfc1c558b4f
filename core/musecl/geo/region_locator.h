// Which region a point falls in, for millions of points: a uniform bucket grid over the regions'
// bounding boxes narrows each query to a few candidates, then an exact even-odd test decides.
//
// Every point is assigned to at most one region. The crossing test is half-open, so a point on an
// edge shared by two regions (with identical vertices) is inside exactly one of them; where regions
// overlap, the one listed first wins. So counts per region never add up to more than the points.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <vector>

#include "musecl/geo/hex_lattice.h"
#include "musecl/geo/hex_cover.h"  // Ring

namespace musecl {

// All rings of one region's (multi)polygon, interpreted by the even-odd rule.
using RegionRings = std::vector<Ring>;

bool pointInRings(const RegionRings &rings, XY p);

// The bounding box of a region's rings; not valid when the region has no vertex.
struct RegionBounds {
  double minX = std::numeric_limits<double>::infinity(), minY = minX, maxX = -minX, maxY = -minX;
  bool valid() const { return minX <= maxX; }
};
RegionBounds regionBounds(const RegionRings &rings);

class RegionLocator {
 public:
  explicit RegionLocator(std::vector<RegionRings> regions);

  // Index into the constructor's list, or -1 when the point is in no region.
  std::int64_t locate(XY p) const;

  std::size_t size() const { return regions_.size(); }

  // Regions that are cells of a hexagon lattice (as written by musecl:hexgrid): the point's cell is
  // found by arithmetic and only clipped cells need the polygon test. `cells[i]` is region i's cell.
  // Returns false, leaving the locator unchanged, if any region's geometry does not match its cell
  // (e.g. a layer that merely has row/col fields).
  bool useHexLattice(double side, const std::vector<HexCell> &cells);
  bool usesHexLattice() const { return lattice_.has_value(); }

 private:
  using Box = RegionBounds;
  std::int64_t locateByGrid(XY p) const;

  std::vector<RegionRings> regions_;
  std::vector<Box> boxes_;
  // Bucket grid in CSR form.
  double originX_ = 0, originY_ = 0, bucketSize_ = 1;
  std::int64_t bucketsX_ = 0, bucketsY_ = 0;
  std::vector<std::uint32_t> bucketStart_;
  std::vector<std::uint32_t> bucketRegions_;
  // Lattice path.
  std::optional<HexLattice> lattice_;
  struct CellKeyHash {
    std::size_t operator()(const std::pair<std::int64_t, std::int64_t> &k) const {
      return std::hash<std::int64_t>()(k.first * 0x9E3779B97F4A7C15ULL ^ static_cast<std::uint64_t>(k.second));
    }
  };
  std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::uint32_t, CellKeyHash> cellRegion_;
  std::vector<bool> fullCell_;  // region is the whole, unclipped hexagon
};

}  // namespace musecl
