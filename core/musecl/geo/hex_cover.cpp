#include "musecl/geo/hex_cover.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace musecl {

namespace {
constexpr double kSqrt3 = 1.7320508075688772935;

double dot(XY a, XY b) { return a.x * b.x + a.y * b.y; }
}  // namespace

bool segmentTouchesHexagon(const HexLattice &lattice, HexCell cell, XY a, XY b) {
  const XY c = lattice.centre(cell);
  const double apothem = lattice.flatToFlatWidth() / 2.0;
  // Relative tolerance: coordinates of projected CRSs reach 1e7, so an absolute epsilon would be
  // meaningless; 1e-9 of the side keeps "touching exactly" on the touching side.
  const double eps = 1e-9 * lattice.side() + 1e-12 * (std::fabs(c.x) + std::fabs(c.y));
  // The hexagon's three edge normals.
  const XY normals[3] = {{0.0, 1.0}, {kSqrt3 / 2.0, 0.5}, {-kSqrt3 / 2.0, 0.5}};
  for (const XY &n : normals) {
    const double pc = dot(c, n);
    const double pa = dot(a, n);
    const double pb = dot(b, n);
    if (std::max(pa, pb) < pc - apothem - eps || std::min(pa, pb) > pc + apothem + eps) return false;
  }
  // The segment's own normal.
  const XY d{b.x - a.x, b.y - a.y};
  const double len = std::hypot(d.x, d.y);
  if (len > 0.0) {
    const XY n{-d.y / len, d.x / len};
    const double ps = dot(a, n);
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const XY &v : lattice.vertices(cell)) {
      const double pv = dot(v, n);
      lo = std::min(lo, pv);
      hi = std::max(hi, pv);
    }
    if (ps < lo - eps || ps > hi + eps) return false;
  }
  return true;
}

HexCover::HexCover(const HexLattice &lattice, const std::vector<Ring> &rings) : lattice_(lattice) {
  double minX = std::numeric_limits<double>::infinity();
  double maxX = -minX;
  for (const Ring &ring : rings) {
    const std::size_t n = ring.size();
    if (n < 2) continue;
    for (std::size_t i = 0; i < n; ++i) {
      const XY a = ring[i];
      const XY b = ring[(i + 1) % n];  // closes open rings; a closed ring adds one empty segment
      if (!std::isfinite(a.x) || !std::isfinite(a.y)) throw std::invalid_argument("ring vertex is not finite");
      if (a.x == b.x && a.y == b.y) continue;
      segments_.push_back({a, b});
      minX = std::min(minX, a.x);
      maxX = std::max(maxX, a.x);
    }
  }
  if (segments_.empty()) return;
  if (segments_.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("too many ring segments");

  // Columns whose hexagons can reach the polygon's x-range (a hexagon spans +-side around its centre).
  const double colSpacing = lattice_.columnSpacing();
  firstColumn_ = static_cast<std::int64_t>(std::floor((minX - lattice_.side()) / colSpacing));
  lastColumn_ = static_cast<std::int64_t>(std::ceil((maxX + lattice_.side()) / colSpacing));
  const auto columns = static_cast<std::size_t>(lastColumn_ - firstColumn_ + 1);
  segmentsByColumn_.resize(columns);
  boundaryRows_.resize(columns);

  for (std::uint32_t idx = 0; idx < segments_.size(); ++idx) {
    const Segment &s = segments_[idx];
    // Scanline buckets: columns whose centre line x lies in [min x, max x] of the segment.
    const double lo = std::min(s.a.x, s.b.x);
    const double hi = std::max(s.a.x, s.b.x);
    for (std::int64_t col = static_cast<std::int64_t>(std::floor(lo / colSpacing));
         col <= static_cast<std::int64_t>(std::ceil(hi / colSpacing)); ++col) {
      const double cx = lattice_.centreX(col);
      if (cx >= lo && cx <= hi && col >= firstColumn_ && col <= lastColumn_)
        segmentsByColumn_[static_cast<std::size_t>(col - firstColumn_)].push_back(idx);
    }
    markBoundaryCells(s);
  }
  for (auto &rows : boundaryRows_) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    boundaryCellCount_ += rows.size();
  }
}

void HexCover::markBoundaryCells(const Segment &s) {
  // Sample the segment at most a quarter side apart: any cell the segment touches then contains a
  // sample or is a neighbour of the cell containing one (centres within 2.25 side, nearer than the
  // second ring at 3 side). Candidates are confirmed by the exact test.
  const double len = std::hypot(s.b.x - s.a.x, s.b.y - s.a.y);
  const auto steps = static_cast<std::int64_t>(std::ceil(len / (lattice_.side() / 4.0)));
  HexCell last{std::numeric_limits<std::int64_t>::min(), 0};
  auto consider = [&](HexCell c) {
    if (c.col < firstColumn_ || c.col > lastColumn_) return;
    if (!segmentTouchesHexagon(lattice_, c, s.a, s.b)) return;
    boundaryRows_[static_cast<std::size_t>(c.col - firstColumn_)].push_back(c.row);
  };
  for (std::int64_t k = 0; k <= steps; ++k) {
    const double t = steps == 0 ? 0.0 : static_cast<double>(k) / static_cast<double>(steps);
    const XY p{s.a.x + t * (s.b.x - s.a.x), s.a.y + t * (s.b.y - s.a.y)};
    const HexCell c = lattice_.cellContaining(p);
    if (c == last) continue;  // consecutive samples mostly fall in the same cell
    last = c;
    consider(c);
    for (const HexCell &n : lattice_.neighbours(c)) consider(n);
  }
}

std::vector<std::pair<double, double>> HexCover::insideIntervals(std::int64_t col) const {
  const double cx = lattice_.centreX(col);
  std::vector<double> ys;
  for (std::uint32_t idx : segmentsByColumn_[static_cast<std::size_t>(col - firstColumn_)]) {
    const Segment &s = segments_[idx];
    // Half-open crossing rule: a vertex exactly on the scanline is counted for one of its two edges.
    if ((s.a.x > cx) == (s.b.x > cx)) continue;
    ys.push_back(s.a.y + (cx - s.a.x) * (s.b.y - s.a.y) / (s.b.x - s.a.x));
  }
  std::sort(ys.begin(), ys.end());
  std::vector<std::pair<double, double>> intervals;
  for (std::size_t i = 0; i + 1 < ys.size(); i += 2) intervals.emplace_back(ys[i], ys[i + 1]);
  return intervals;
}

std::vector<CoverCell> HexCover::column(std::int64_t col) const {
  std::vector<CoverCell> out;
  if (col < firstColumn_ || col > lastColumn_) return out;
  const std::vector<std::int64_t> &boundary = boundaryRows_[static_cast<std::size_t>(col - firstColumn_)];
  const double unit = lattice_.rowSpacing() / 2.0;
  const std::int64_t parity = columnParity(col);

  // Rows whose centre y is in [y0, y1): estimate from the formula, then settle on the exact
  // comparison with centreY() so that rounding can never disagree with the centres we emit.
  std::vector<std::int64_t> inside;
  for (const auto &[y0, y1] : insideIntervals(col)) {
    auto lo = static_cast<std::int64_t>(std::ceil((y0 / unit - static_cast<double>(parity)) / 2.0));
    while (lattice_.centreY(col, lo) < y0) ++lo;
    while (lattice_.centreY(col, lo - 1) >= y0) --lo;
    for (std::int64_t row = lo; lattice_.centreY(col, row) < y1; ++row) inside.push_back(row);
  }

  out.reserve(inside.size() + boundary.size());
  std::size_t i = 0;
  std::size_t b = 0;
  while (i < inside.size() || b < boundary.size()) {
    if (b == boundary.size() || (i < inside.size() && inside[i] < boundary[b])) {
      out.push_back({{col, inside[i]}, false, true});
      ++i;
    } else if (i == inside.size() || boundary[b] < inside[i]) {
      out.push_back({{col, boundary[b]}, true, false});
      ++b;
    } else {
      out.push_back({{col, boundary[b]}, true, true});
      ++i;
      ++b;
    }
  }
  return out;
}

double HexCover::estimateCellCount(const HexLattice &lattice, double area, double perimeter) {
  // Interior cells plus a band of boundary cells about two cells wide along the perimeter.
  return std::max(0.0, area) / lattice.area() + 2.0 * std::max(0.0, perimeter) / lattice.side() + 1.0;
}

}  // namespace musecl
