// The metric CRS an analyst would pick for a place: its WGS 84 / UTM zone, with the Norway and
// Svalbard exceptions, and UPS beyond the UTM latitude limits.
#pragma once

namespace musecl {

// EPSG code: 326zz (north) / 327zz (south), 32661 (UPS North) above 84 N, 32761 (UPS South)
// below 80 S. Longitudes outside [-180, 180] are wrapped. Throws std::invalid_argument for a
// non-finite coordinate or a latitude outside [-90, 90].
int utmEpsgForLonLat(double lon, double lat);

// 1..60 for UTM, 0 for UPS.
int utmZoneOfEpsg(int epsg);

}  // namespace musecl
