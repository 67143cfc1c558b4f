// Which of the cells that HexCover lists a hexagon grid keeps (musecl:hexgrid's coverage rule),
// and whether a kept cell is cut to the boundary.
//
// HexCover settles every cell the boundary does not cross by lattice arithmetic: such a cell is
// listed only when it lies wholly inside, and is kept whole. For a cell the boundary crosses, the
// rule may need exact geometry, which the caller owns (GEOS in the plugin): it is asked through
// HexBoundaryQuestions, only the question the rule needs and only when the answer matters.
#pragma once

#include <optional>

#include "musecl/geo/hex_cover.h"
#include "musecl/geo/hex_lattice.h"

namespace musecl {

// Values as musecl:hexgrid's COVERAGE parameter.
enum class HexCoverage {
  CentreInside = 0,        // the centre is inside the polygon (a tiling whose area matches it)
  InteriorIntersects = 1,  // the hexagon's interior meets the polygon's (covers all of it)
  MinimumOverlap = 2,      // the overlap is at least a fraction of the hexagon's area
};

// Exact answers about one hexagon that the boundary crosses, from the caller's geometry engine.
class HexBoundaryQuestions {
 public:
  virtual ~HexBoundaryQuestions() = default;
  // The interiors of the hexagon and the polygon meet (they intersect, and not only along an edge
  // or at a vertex).
  virtual bool interiorsMeet() = 0;
  // Area of hexagon ∩ polygon in the lattice's units; nullopt when no intersection could be made.
  virtual std::optional<double> overlapArea() = 0;
};

enum class HexKeep {
  Drop,
  Whole,    // the lattice hexagon itself
  Clipped,  // cut to the polygon; the caller drops it when the cut has no area left
};

struct HexSelection {
  HexCoverage coverage = HexCoverage::CentreInside;
  double minOverlap = 0.5;  // MinimumOverlap: the kept fraction, overlap area / hexagon area >= this
  bool clip = false;        // cut kept hexagons that the boundary crosses

  // A centre inside a valid polygon means polygon area around it, so for InteriorIntersects such a
  // cell is kept without asking; MinimumOverlap asks for every crossed cell, centre inside or not.
  HexKeep decide(const HexLattice &lattice, const CoverCell &cell, HexBoundaryQuestions &questions) const;
};

}  // namespace musecl
