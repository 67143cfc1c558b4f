// The feature algorithms on the real Manhattan data (../shared/data/manhattan; never copied into
// the repository). Skipped, with the reason printed, when the data is absent.
#include "qgis_test_support.h"

#include <gtest/gtest.h>

#include <qgsprocessingutils.h>

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

namespace
{
  QString manhattanDir()
  {
    const QByteArray env = qgetenv( "MUSECL_MANHATTAN_DATA" );
    return env.isEmpty() ? QStringLiteral( MUSECL_SOURCE_DIR "/../shared/data/manhattan" ) : QString::fromUtf8( env );
  }

#define REQUIRE_MANHATTAN()                                                                                            \
  if ( !QFileInfo::exists( manhattanDir() + "/manhattan.gpkg" ) )                                                      \
    GTEST_SKIP() << "Manhattan data not found at " << manhattanDir().toStdString() << " (set MUSECL_MANHATTAN_DATA)";

  QString layer( const QString &name ) { return manhattanDir() + "/manhattan.gpkg|layername=" + name; }

  QgsVectorLayer *layerOf( const AlgorithmRun &run, const QString &output, QgsProcessingContext &context )
  {
    return qobject_cast<QgsVectorLayer *>(
        QgsProcessingUtils::mapLayerFromString( run.outputs.value( output ).toString(), context ) );
  }
} // namespace

TEST( Manhattan, PoiCountsMatchQgisNativeCountPointsInPolygon )
{
  REQUIRE_MANHATTAN();
  QgsProcessingContext context;
  const AlgorithmRun ours = runAlgorithm( "musecl:poifeatures",
                                          { { "REGIONS", layer( "zones" ) },
                                            { "REGION_ID_FIELD", "zone_id" },
                                            { "POIS", layer( "pois" ) },
                                            { "CATEGORY_FIELD", "fclass" },
                                            { "TEXT_FIELDS", QStringList{ "name" } },
                                            { "OUTPUT", "memory:" } },
                                          context );
  ASSERT_TRUE( ours.ok ) << ours.error.toStdString();
  // 16,936 POIs in the file, 7,337 inside the 180 zones (the README says about 7,300).
  EXPECT_EQ( ours.outputs.value( "POIS_IN_REGIONS" ).toLongLong() + ours.outputs.value( "POIS_OUTSIDE" ).toLongLong(),
             16936 );
  EXPECT_EQ( ours.outputs.value( "POIS_IN_REGIONS" ).toLongLong(), 7337 );
  const AlgorithmRun native = runAlgorithm( "native:countpointsinpolygon",
                                            { { "POLYGONS", layer( "zones" ) },
                                              { "POINTS", layer( "pois" ) },
                                              { "FIELD", "NUMPOINTS" },
                                              { "OUTPUT", "memory:" } },
                                            context );
  ASSERT_TRUE( native.ok ) << native.error.toStdString();
  QMap<int, double> nativeCounts;
  QgsFeature f;
  QgsFeatureIterator it = layerOf( native, "OUTPUT", context )->getFeatures();
  while ( it.nextFeature( f ) )
    nativeCounts[f.attribute( "zone_id" ).toInt()] = f.attribute( "NUMPOINTS" ).toDouble();
  it = layerOf( ours, "OUTPUT", context )->getFeatures();
  int zones = 0;
  while ( it.nextFeature( f ) )
  {
    ++zones;
    EXPECT_EQ( f.attribute( "poi_total" ).toDouble(), nativeCounts.value( f.attribute( "zone_id" ).toInt() ) )
        << "zone " << f.attribute( "zone_id" ).toInt();
  }
  EXPECT_EQ( zones, 180 );
}

TEST( Manhattan, TaxiInflowEqualsOutflowEqualsAllTrips )
{
  REQUIRE_MANHATTAN();
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( "musecl:mobilityfeatures",
                                         { { "REGIONS", layer( "zones" ) },
                                           { "REGION_ID_FIELD", "zone_id" },
                                           { "FLOWS", layer( "taxi_flows" ) },
                                           { "WEIGHT_FIELD", "trips" },
                                           { "OUTPUT", "memory:" } },
                                         context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  // Every flow runs between zone centroids, so all 9,332,740 trips have both ends inside.
  EXPECT_EQ( run.outputs.value( "WEIGHT_INSIDE" ).toDouble(), 9332740 );
  EXPECT_EQ( run.outputs.value( "FLOWS_OUTSIDE" ).toLongLong(), 0 );
  double in = 0, out = 0, internal = 0;
  QgsFeature f;
  QgsFeatureIterator it = layerOf( run, "OUTPUT", context )->getFeatures();
  while ( it.nextFeature( f ) )
  {
    in += f.attribute( "inflow" ).toDouble();
    out += f.attribute( "outflow" ).toDouble();
    internal += f.attribute( "internal" ).toDouble();
  }
  EXPECT_EQ( in, 9332740 );
  EXPECT_EQ( out, 9332740 );
  EXPECT_EQ( internal, 190415 ) << "flows with origin_zone == dest_zone";
}

TEST( Manhattan, OneLandsatChipPerZoneFromARasterInAnotherCrs )
{
  REQUIRE_MANHATTAN();
  QTemporaryDir dir;
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( "musecl:imagechips",
                                         { { "REGIONS", layer( "zones" ) },
                                           { "REGION_ID_FIELD", "zone_id" },
                                           { "RASTER", manhattanDir() + "/manhattan_landsat_rgb.tif" },
                                           { "CHIP_SIZE", 64 },
                                           { "OUTPUT_FOLDER", dir.filePath( "chips" ) },
                                           { "OUTPUT_INDEX", "memory:" } },
                                         context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "CHIP_COUNT" ).toLongLong(), 180 );
  EXPECT_EQ( QDir( dir.filePath( "chips" ) ).entryList( QDir::Files ).size(), 180 );
}
