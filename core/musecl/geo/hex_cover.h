// Which lattice cells a polygon covers, found by lattice arithmetic instead of one
// point-in-polygon test per cell.
//
// Every cell is either crossed by the polygon boundary or lies wholly inside or outside it. The
// boundary cells are found by walking each ring segment through the lattice (work proportional to
// the perimeter); the cells whose centre is inside are found per column by a vertical scanline
// through the column centres (work proportional to the number of output cells). Only the boundary
// cells need exact geometric tests afterwards, which the caller does with GEOS.
#pragma once

#include <cstdint>
#include <vector>

#include "musecl/geo/hex_lattice.h"

namespace musecl {

using Ring = std::vector<XY>;

struct CoverCell {
  HexCell cell;
  // The closed hexagon meets at least one ring segment (it may still be mostly inside or outside).
  bool touchesBoundary = false;
  // The centre lies inside the polygon by the even-odd rule, half-open on the scanline so that a
  // centre on an edge is decided the same way for every cell.
  bool centreInside = false;
};

class HexCover {
 public:
  // `rings`: every ring of a (multi)polygon, exterior and holes alike, closed or not; the polygon is
  // their even-odd union, so the rings must not overlap each other (true for a valid geometry).
  HexCover(const HexLattice &lattice, const std::vector<Ring> &rings);

  std::int64_t firstColumn() const { return firstColumn_; }
  std::int64_t lastColumn() const { return lastColumn_; }
  bool empty() const { return lastColumn_ < firstColumn_; }

  // Cells of one column that have their centre inside or touch the boundary, by ascending row.
  // Cells not listed are wholly outside the polygon.
  std::vector<CoverCell> column(std::int64_t col) const;

  std::size_t boundaryCellCount() const { return boundaryCellCount_; }

  // Upper estimate of how many cells a polygon of this area and perimeter touches; cheap enough to
  // run before anything is allocated, so absurd sizes are refused early.
  static double estimateCellCount(const HexLattice &lattice, double area, double perimeter);

 private:
  struct Segment {
    XY a;
    XY b;
  };
  void markBoundaryCells(const Segment &s);
  std::vector<std::pair<double, double>> insideIntervals(std::int64_t col) const;

  const HexLattice &lattice_;
  std::vector<Segment> segments_;
  std::int64_t firstColumn_ = 0;
  std::int64_t lastColumn_ = -1;
  // Per column (index col - firstColumn_): segments spanning the column's centre line, and the
  // sorted rows of cells touched by the boundary.
  std::vector<std::vector<std::uint32_t>> segmentsByColumn_;
  std::vector<std::vector<std::int64_t>> boundaryRows_;
  std::size_t boundaryCellCount_ = 0;
};

// Exact test of a closed segment against a closed hexagon (separating axes), with a tolerance that
// errs towards "touches" so that no truly touched cell is ever missed.
bool segmentTouchesHexagon(const HexLattice &lattice, HexCell cell, XY a, XY b);

}  // namespace musecl
