#include "musecl/geo/region_locator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace musecl {

bool pointInRings(const RegionRings &rings, XY p) {
  bool inside = false;
  for (const Ring &ring : rings) {
    const std::size_t n = ring.size();
    for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
      const XY a = ring[i];
      const XY b = ring[j];
      if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
    }
  }
  return inside;
}

RegionBounds regionBounds(const RegionRings &rings) {
  RegionBounds b;
  for (const Ring &r : rings)
    for (const XY &p : r) {
      b.minX = std::min(b.minX, p.x);
      b.minY = std::min(b.minY, p.y);
      b.maxX = std::max(b.maxX, p.x);
      b.maxY = std::max(b.maxY, p.y);
    }
  return b;
}

RegionLocator::RegionLocator(std::vector<RegionRings> regions) : regions_(std::move(regions)) {
  if (regions_.size() >= std::numeric_limits<std::uint32_t>::max()) throw std::length_error("too many regions");
  double minX = std::numeric_limits<double>::infinity(), minY = minX;
  double maxX = -minX, maxY = -minX;
  boxes_.reserve(regions_.size());
  double sumWidth = 0;
  for (const RegionRings &rings : regions_) {
    const Box b = regionBounds(rings);
    boxes_.push_back(b);
    if (b.valid()) {
      minX = std::min(minX, b.minX);
      minY = std::min(minY, b.minY);
      maxX = std::max(maxX, b.maxX);
      maxY = std::max(maxY, b.maxY);
      sumWidth += std::max(b.maxX - b.minX, b.maxY - b.minY);
    }
  }
  if (!(minX <= maxX)) return;  // no region has a vertex: every point is outside

  // Buckets about the size of an average region keep candidates per query near one.
  bucketSize_ = std::max(sumWidth / static_cast<double>(regions_.size()), 1e-12 * std::max(maxX - minX, maxY - minY));
  if (!(bucketSize_ > 0)) bucketSize_ = 1;
  // Cap the bucket count for huge extents with tiny regions.
  const double maxBuckets = 4.0 * static_cast<double>(regions_.size()) + 1024.0;
  while (((maxX - minX) / bucketSize_ + 1) * ((maxY - minY) / bucketSize_ + 1) > maxBuckets) bucketSize_ *= 1.5;
  originX_ = minX;
  originY_ = minY;
  bucketsX_ = static_cast<std::int64_t>((maxX - minX) / bucketSize_) + 1;
  bucketsY_ = static_cast<std::int64_t>((maxY - minY) / bucketSize_) + 1;

  const auto total = static_cast<std::size_t>(bucketsX_ * bucketsY_);
  std::vector<std::uint32_t> counts(total + 1, 0);
  auto forEachBucket = [&](const Box &b, auto &&fn) {
    const auto x0 = static_cast<std::int64_t>((b.minX - originX_) / bucketSize_);
    const auto x1 = static_cast<std::int64_t>((b.maxX - originX_) / bucketSize_);
    const auto y0 = static_cast<std::int64_t>((b.minY - originY_) / bucketSize_);
    const auto y1 = static_cast<std::int64_t>((b.maxY - originY_) / bucketSize_);
    for (std::int64_t y = y0; y <= std::min(y1, bucketsY_ - 1); ++y)
      for (std::int64_t x = x0; x <= std::min(x1, bucketsX_ - 1); ++x) fn(static_cast<std::size_t>(y * bucketsX_ + x));
  };
  for (const Box &b : boxes_)
    if (b.valid()) forEachBucket(b, [&](std::size_t k) { ++counts[k + 1]; });
  for (std::size_t k = 0; k < total; ++k) counts[k + 1] += counts[k];
  bucketStart_ = counts;
  bucketRegions_.resize(counts[total]);
  std::vector<std::uint32_t> fill(counts.begin(), counts.end() - 1);
  for (std::uint32_t i = 0; i < boxes_.size(); ++i)
    if (boxes_[i].minX <= boxes_[i].maxX)
      forEachBucket(boxes_[i], [&](std::size_t k) { bucketRegions_[fill[k]++] = i; });
}

std::int64_t RegionLocator::locateByGrid(XY p) const {
  if (bucketsX_ == 0 || !(p.x >= originX_) || !(p.y >= originY_)) return -1;
  const auto x = static_cast<std::int64_t>((p.x - originX_) / bucketSize_);
  const auto y = static_cast<std::int64_t>((p.y - originY_) / bucketSize_);
  if (x >= bucketsX_ || y >= bucketsY_) return -1;
  const auto k = static_cast<std::size_t>(y * bucketsX_ + x);
  // Bucket lists are in region order, so the first hit is the lowest index: overlaps resolve alike.
  for (std::uint32_t i = bucketStart_[k]; i < bucketStart_[k + 1]; ++i) {
    const std::uint32_t r = bucketRegions_[i];
    const Box &b = boxes_[r];
    if (p.x < b.minX || p.x > b.maxX || p.y < b.minY || p.y > b.maxY) continue;
    if (pointInRings(regions_[r], p)) return r;
  }
  return -1;
}

std::int64_t RegionLocator::locate(XY p) const {
  if (!std::isfinite(p.x) || !std::isfinite(p.y)) return -1;
  if (lattice_) {
    const HexCell cell = lattice_->cellContaining(p);
    const auto it = cellRegion_.find({cell.col, cell.row});
    if (it == cellRegion_.end()) return -1;
    if (fullCell_[it->second]) return it->second;
    return pointInRings(regions_[it->second], p) ? static_cast<std::int64_t>(it->second) : -1;
  }
  return locateByGrid(p);
}

bool RegionLocator::useHexLattice(double side, const std::vector<HexCell> &cells) {
  if (cells.size() != regions_.size() || !(side > 0)) return false;
  const HexLattice lattice(side);
  const double tol = 1e-6 * side;
  std::unordered_map<std::pair<std::int64_t, std::int64_t>, std::uint32_t, CellKeyHash> cellRegion;
  std::vector<bool> full(regions_.size(), false);
  for (std::uint32_t i = 0; i < regions_.size(); ++i) {
    // The region must lie within its cell's hexagon (clipped cells are smaller, never larger).
    const HexCell cell = cells[i];
    const XY c = lattice.centre(cell);
    const auto vertices = lattice.vertices(cell);
    std::size_t matchedVertices = 0;
    std::size_t vertexCount = 0;
    for (const Ring &r : regions_[i])
      for (const XY &p : r) {
        ++vertexCount;
        if (std::hypot(p.x - c.x, p.y - c.y) > side + tol) return false;
        for (const XY &v : vertices)
          if (std::fabs(p.x - v.x) <= tol && std::fabs(p.y - v.y) <= tol) {
            ++matchedVertices;
            break;
          }
      }
    if (vertexCount == 0 || !cellRegion.emplace(std::make_pair(cell.col, cell.row), i).second) return false;
    // Exactly the six (plus closing) lattice vertices in one ring: the unclipped hexagon.
    full[i] = regions_[i].size() == 1 && matchedVertices == vertexCount && vertexCount >= 6 && vertexCount <= 7;
  }
  lattice_ = lattice;
  cellRegion_ = std::move(cellRegion);
  fullCell_ = std::move(full);
  return true;
}

}  // namespace musecl
