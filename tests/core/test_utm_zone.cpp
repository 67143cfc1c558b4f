#include "musecl/geo/utm_zone.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

using musecl::utmEpsgForLonLat;

TEST(UtmZone, CommonPlaces) {
  EXPECT_EQ(utmEpsgForLonLat(-73.97, 40.78), 32618);   // Manhattan
  EXPECT_EQ(utmEpsgForLonLat(2.35, 48.86), 32631);     // Paris
  EXPECT_EQ(utmEpsgForLonLat(151.21, -33.87), 32756);  // Sydney
  EXPECT_EQ(utmEpsgForLonLat(-180.0, 0.0), 32601);
  EXPECT_EQ(utmEpsgForLonLat(180.0, 0.0), 32660);
  EXPECT_EQ(utmEpsgForLonLat(-0.0001, -0.0001), 32730);
}

TEST(UtmZone, NorwayAndSvalbardExceptions) {
  EXPECT_EQ(utmEpsgForLonLat(5.32, 60.39), 32632);  // Bergen: zone 32, not 31
  EXPECT_EQ(utmEpsgForLonLat(15.6, 78.2), 32633);   // Longyearbyen
  EXPECT_EQ(utmEpsgForLonLat(8.0, 78.0), 32631);
  EXPECT_EQ(utmEpsgForLonLat(10.0, 78.0), 32633);
}

TEST(UtmZone, PolarRegionsUseUps) {
  EXPECT_EQ(utmEpsgForLonLat(0.0, 85.0), 32661);
  EXPECT_EQ(utmEpsgForLonLat(0.0, -85.0), 32761);
}

TEST(UtmZone, WrapsLongitudeAndRefusesNonsense) {
  EXPECT_EQ(utmEpsgForLonLat(-73.97 + 360.0, 40.78), 32618);
  EXPECT_THROW(utmEpsgForLonLat(0.0, 91.0), std::invalid_argument);
  EXPECT_THROW(utmEpsgForLonLat(NAN, 0.0), std::invalid_argument);
  EXPECT_EQ(musecl::utmZoneOfEpsg(32618), 18);
  EXPECT_EQ(musecl::utmZoneOfEpsg(32661), 0);
}
