// Flat-topped regular hexagon lattice anchored at the origin of a projected CRS.
//
// Size convention, used everywhere in MuseCL: `side` is the edge length, which for a regular hexagon
// equals the circumradius (centre to vertex). Derived: flat-to-flat width = sqrt(3)*side,
// vertex-to-vertex width = 2*side, area = 3*sqrt(3)/2*side^2.
//
// Cells are addressed by offset coordinates (col, row): columns are vertical stacks of hexagons,
// odd columns sit half a row higher. Because the lattice is anchored at (0, 0) and not at a layer's
// extent, the same cell gets the same (col, row) — and the same region id — in every run and for
// every extent, so neighbouring grids built separately line up and join.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace musecl {

struct XY {
  double x = 0.0;
  double y = 0.0;
};

struct HexCell {
  std::int64_t col = 0;
  std::int64_t row = 0;
  bool operator==(const HexCell &o) const { return col == o.col && row == o.row; }
  bool operator!=(const HexCell &o) const { return !(*this == o); }
};

class HexLattice {
 public:
  // Throws std::invalid_argument for a side that is not a finite number > 0.
  explicit HexLattice(double side);

  double side() const { return side_; }
  double area() const;
  double flatToFlatWidth() const { return 2.0 * halfHeight_; }
  double columnSpacing() const { return 3.0 * halfSide_; }
  double rowSpacing() const { return 2.0 * halfHeight_; }

  XY centre(HexCell cell) const;
  // Counter-clockwise, starting at the east vertex. Each vertex is computed from integer
  // half-side / half-height multiples, so two neighbours produce bit-identical shared vertices.
  std::array<XY, 6> vertices(HexCell cell) const;
  // The cell whose closed hexagon contains p; a point on a shared edge or vertex belongs to exactly
  // one cell (deterministically), so points are never counted twice.
  HexCell cellContaining(XY p) const;
  // East-north-east first, counter-clockwise; each shares one full edge with `cell`.
  std::array<HexCell, 6> neighbours(HexCell cell) const;

  // Centre y of a row within a column; the single formula used by centre() and by the cover code.
  double centreY(std::int64_t col, std::int64_t row) const;
  double centreX(std::int64_t col) const;

  // "r<row>_c<col>", e.g. "r-12_c340". Readable, joinable, stable across runs and extents.
  static std::string regionId(HexCell cell);

 private:
  double side_;
  double halfSide_;    // horizontal vertex-grid unit
  double halfHeight_;  // vertical vertex-grid unit (= apothem)
};

// Parity of a column that is also right for negative columns.
inline std::int64_t columnParity(std::int64_t col) { return col & 1; }

}  // namespace musecl
