#include "musecl/geo/utm_zone.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace musecl {

int utmEpsgForLonLat(double lon, double lat) {
  if (!std::isfinite(lon) || !std::isfinite(lat) || lat < -90.0 || lat > 90.0) {
    std::ostringstream msg;
    msg << "not a valid WGS 84 position: lon " << lon << ", lat " << lat;
    throw std::invalid_argument(msg.str());
  }
  if (lat > 84.0) return 32661;
  if (lat < -80.0) return 32761;
  if (lon < -180.0 || lon > 180.0) {  // exactly 180 stays in zone 60
    lon = std::fmod(lon + 180.0, 360.0);
    if (lon < 0.0) lon += 360.0;
    lon -= 180.0;
  }
  int zone = static_cast<int>(std::floor((lon + 180.0) / 6.0)) + 1;
  if (zone > 60) zone = 60;  // lon == 180 exactly
  // Zone 32 is widened over south-west Norway (band V), and Svalbard (band X) uses odd zones only.
  if (lat >= 56.0 && lat < 64.0 && lon >= 3.0 && lon < 12.0) zone = 32;
  if (lat >= 72.0) {
    if (lon >= 0.0 && lon < 9.0)
      zone = 31;
    else if (lon >= 9.0 && lon < 21.0)
      zone = 33;
    else if (lon >= 21.0 && lon < 33.0)
      zone = 35;
    else if (lon >= 33.0 && lon < 42.0)
      zone = 37;
  }
  return (lat >= 0.0 ? 32600 : 32700) + zone;
}

int utmZoneOfEpsg(int epsg) {
  if ((epsg > 32600 && epsg <= 32660) || (epsg > 32700 && epsg <= 32760)) return epsg % 100;
  return 0;
}

}  // namespace musecl
