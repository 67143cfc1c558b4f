#include "musecl/geo/hex_lattice.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace musecl {

namespace {
constexpr double kSqrt3 = 1.7320508075688772935;
}

HexLattice::HexLattice(double side) : side_(side), halfSide_(side / 2.0), halfHeight_(side * kSqrt3 / 2.0) {
  if (!std::isfinite(side) || side <= 0.0) {
    std::ostringstream msg;
    msg << "hexagon side must be a finite number greater than 0, got " << side;
    throw std::invalid_argument(msg.str());
  }
}

double HexLattice::area() const { return 1.5 * kSqrt3 * side_ * side_; }

double HexLattice::centreX(std::int64_t col) const { return static_cast<double>(3 * col) * halfSide_; }

double HexLattice::centreY(std::int64_t col, std::int64_t row) const {
  return static_cast<double>(2 * row + columnParity(col)) * halfHeight_;
}

XY HexLattice::centre(HexCell cell) const { return {centreX(cell.col), centreY(cell.col, cell.row)}; }

std::array<XY, 6> HexLattice::vertices(HexCell cell) const {
  // Integer vertex-grid coordinates: a shared vertex is the same (i, j) pair seen from either cell.
  const std::int64_t i = 3 * cell.col;
  const std::int64_t j = 2 * cell.row + columnParity(cell.col);
  const std::int64_t offsets[6][2] = {{2, 0}, {1, 1}, {-1, 1}, {-2, 0}, {-1, -1}, {1, -1}};
  std::array<XY, 6> out;
  for (int k = 0; k < 6; ++k) {
    out[k] = {static_cast<double>(i + offsets[k][0]) * halfSide_, static_cast<double>(j + offsets[k][1]) * halfHeight_};
  }
  return out;
}

HexCell HexLattice::cellContaining(XY p) const {
  // Fractional axial coordinates, then cube rounding (the nearest lattice centre).
  const double q = (2.0 / 3.0 * p.x) / side_;
  const double r = (-1.0 / 3.0 * p.x + kSqrt3 / 3.0 * p.y) / side_;
  const double s = -q - r;
  double rq = std::round(q);
  double rr = std::round(r);
  const double rs = std::round(s);
  const double dq = std::fabs(rq - q);
  const double dr = std::fabs(rr - r);
  const double ds = std::fabs(rs - s);
  if (dq > dr && dq > ds) {
    rq = -rr - rs;
  } else if (dr > ds) {
    rr = -rq - rs;
  }
  const auto aq = static_cast<std::int64_t>(rq);
  const auto ar = static_cast<std::int64_t>(rr);
  // Axial -> offset; (aq - parity) is even, so the division is exact for negative columns too.
  return {aq, ar + (aq - columnParity(aq)) / 2};
}

std::array<HexCell, 6> HexLattice::neighbours(HexCell c) const {
  // Odd columns sit higher, so their diagonal neighbours are one row up compared to even columns.
  const std::int64_t up = columnParity(c.col);  // row offset of the upper diagonal neighbours
  return {{{c.col + 1, c.row + up},
           {c.col, c.row + 1},
           {c.col - 1, c.row + up},
           {c.col - 1, c.row + up - 1},
           {c.col, c.row - 1},
           {c.col + 1, c.row + up - 1}}};
}

std::string HexLattice::regionId(HexCell cell) {
  return "r" + std::to_string(cell.row) + "_c" + std::to_string(cell.col);
}

}  // namespace musecl
