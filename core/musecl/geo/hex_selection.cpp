#include "musecl/geo/hex_selection.h"

namespace musecl {

HexKeep HexSelection::decide(const HexLattice &lattice, const CoverCell &cell, HexBoundaryQuestions &questions) const {
  if (!cell.touchesBoundary) return cell.centreInside ? HexKeep::Whole : HexKeep::Drop;
  bool keep = cell.centreInside;
  switch (coverage) {
    case HexCoverage::CentreInside:
      break;
    case HexCoverage::InteriorIntersects:
      if (!keep) keep = questions.interiorsMeet();
      break;
    case HexCoverage::MinimumOverlap: {
      const std::optional<double> area = questions.overlapArea();
      keep = area.has_value() && *area / lattice.area() >= minOverlap;
      break;
    }
  }
  if (!keep) return HexKeep::Drop;
  return clip ? HexKeep::Clipped : HexKeep::Whole;
}

}  // namespace musecl
