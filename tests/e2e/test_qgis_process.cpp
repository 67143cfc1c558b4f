// End to end through the real command-line runner: the staged plugin folder is enabled in a
// throw-away profile and algorithms run with /usr/bin/qgis_process.bin (the /usr/bin/qgis_process
// wrapper of Debian 12 passes an option this binary rejects).
#include <gtest/gtest.h>

#include <set>
#include <QElapsedTimer>
#include <random>

#include <qgsvectorlayer.h>

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <cmath>
#include <csignal>

#include "loopback_processes.h"
#include "qgis_process_fixture.h"

using namespace qgis_process_fixture;

TEST_F( QgisProcess, ListsTheProviderAndItsAlgorithm )
{
  const ProcessResult list = run( { QStringLiteral( "list" ) } );
  ASSERT_EQ( list.exitCode, 0 ) << list.output.toStdString();
  EXPECT_TRUE( list.output.contains( QStringLiteral( "musecl:hexgrid" ) ) ) << list.output.toStdString();
  EXPECT_EQ( list.output.count( QStringLiteral( "musecl:hexgrid" ) ), 1 ) << "registered once";
}

TEST_F( QgisProcess, HelpDescribesTheSizeConvention )
{
  const ProcessResult help = run( { QStringLiteral( "help" ), QStringLiteral( "musecl:hexgrid" ) } );
  ASSERT_EQ( help.exitCode, 0 ) << help.output.toStdString();
  EXPECT_TRUE( help.output.contains( QStringLiteral( "side length" ) ) );
  EXPECT_TRUE( help.output.contains( QStringLiteral( "HEX_SIZE" ) ) );
}

TEST_F( QgisProcess, HexgridOnTheSyntheticCityWritesAGeoPackage )
{
  QTemporaryDir out;
  const QString path = out.filePath( QStringLiteral( "synthetic_city_hex.gpkg" ) );
  const ProcessResult r =
      run( { QStringLiteral( "run" ), QStringLiteral( "musecl:hexgrid" ), QStringLiteral( "--json" ),
             QStringLiteral( "--" ), QStringLiteral( "INPUT=%1" ).arg( kDemoBoundary ),
             QStringLiteral( "HEX_SIZE=500" ), QStringLiteral( "OUTPUT=%1" ).arg( path ) } );
  ASSERT_EQ( r.exitCode, 0 ) << r.output.toStdString();
  const QJsonObject results = jsonResults( r );
  EXPECT_EQ( results.value( QStringLiteral( "OUTPUT_CRS" ) ).toString(), QStringLiteral( "EPSG:32625" ) )
      << "UTM 25N at 35 W, 40 N";
  QgsVectorLayer layer( path, QStringLiteral( "hex" ), QStringLiteral( "ogr" ) );
  ASSERT_TRUE( layer.isValid() ) << path.toStdString();
  // 45.8 km^2 of synthetic city minus a 1.3 km^2 park = 44.5 km^2, over 0.6495 km^2 hexagons: 68.5.
  EXPECT_EQ( layer.featureCount(), MUSECL_DEMO_HEX_COUNT );
  EXPECT_EQ( results.value( QStringLiteral( "HEX_COUNT" ) ).toDouble(), static_cast<double>( layer.featureCount() ) );
  const QStringList expected{ "fid", "region_id", "row", "col", "area_m2", "centroid_lon", "centroid_lat" };
  EXPECT_EQ( layer.fields().names(), expected );
  EXPECT_EQ( layer.crs().authid(), QStringLiteral( "EPSG:32625" ) );
}

TEST_F( QgisProcess, BadSizeFailsWithTheParameterNamedAndNoOutput )
{
  QTemporaryDir out;
  const QString path = out.filePath( QStringLiteral( "bad.gpkg" ) );
  const ProcessResult r = run( { QStringLiteral( "run" ), QStringLiteral( "musecl:hexgrid" ), QStringLiteral( "--" ),
                                 QStringLiteral( "INPUT=%1" ).arg( kDemoBoundary ), QStringLiteral( "HEX_SIZE=0" ),
                                 QStringLiteral( "OUTPUT=%1" ).arg( path ) } );
  EXPECT_NE( r.exitCode, 0 ) << r.output.toStdString();
  EXPECT_TRUE( r.output.contains( QStringLiteral( "HEX_SIZE" ) ) ) << r.output.toStdString();
  EXPECT_FALSE( QFileInfo::exists( path ) );
}

TEST_F( QgisProcess, GraphicalModelChainingHexgridRuns )
{
  QTemporaryDir out;
  const QString hexes = out.filePath( QStringLiteral( "model_hex.gpkg" ) );
  const QString centres = out.filePath( QStringLiteral( "model_centres.gpkg" ) );
  const ProcessResult r =
      run( { QStringLiteral( "run" ), QStringLiteral( MUSECL_SOURCE_DIR "/examples/models/hexgrid_centres.model3" ),
             QStringLiteral( "--" ), QStringLiteral( "boundary=%1" ).arg( kDemoBoundary ),
             QStringLiteral( "hexagon_side_m=500" ), QStringLiteral( "hexgrid:hexagons=%1" ).arg( hexes ),
             QStringLiteral( "centres:centres=%1" ).arg( centres ) } );
  ASSERT_EQ( r.exitCode, 0 ) << r.output.toStdString();
  QgsVectorLayer hexLayer( hexes, QStringLiteral( "hex" ), QStringLiteral( "ogr" ) );
  QgsVectorLayer centreLayer( centres, QStringLiteral( "centres" ), QStringLiteral( "ogr" ) );
  ASSERT_TRUE( hexLayer.isValid() && centreLayer.isValid() ) << r.output.toStdString();
  EXPECT_EQ( hexLayer.featureCount(), MUSECL_DEMO_HEX_COUNT );
  EXPECT_EQ( centreLayer.featureCount(), MUSECL_DEMO_HEX_COUNT );
  EXPECT_EQ( centreLayer.geometryType(), QgsWkbTypes::PointGeometry );
}

TEST_F( QgisProcess, FeatureAlgorithmsRunOnRealManhattanData )
{
  const QByteArray env = qgetenv( "MUSECL_MANHATTAN_DATA" );
  const QString data =
      env.isEmpty() ? QStringLiteral( MUSECL_SOURCE_DIR "/../shared/data/manhattan" ) : QString::fromUtf8( env );
  if ( !QFileInfo::exists( data + "/manhattan.gpkg" ) )
    GTEST_SKIP() << "Manhattan data not found at " << data.toStdString() << " (set MUSECL_MANHATTAN_DATA)";
  QTemporaryDir out;
  const QString zones = data + "/manhattan.gpkg|layername=zones";
  const ProcessResult poi = run( { "run", "musecl:poifeatures", "--json", "--", "REGIONS=" + zones,
                                   "REGION_ID_FIELD=zone_id", "POIS=" + data + "/manhattan.gpkg|layername=pois",
                                   "CATEGORY_FIELD=fclass", "TOP_K=20", "OUTPUT=" + out.filePath( "poi.gpkg" ) } );
  ASSERT_EQ( poi.exitCode, 0 ) << poi.output.toStdString();
  EXPECT_EQ( jsonResults( poi ).value( "POIS_IN_REGIONS" ).toDouble(), 7337 );
  QgsVectorLayer poiLayer( out.filePath( "poi.gpkg" ), "poi", "ogr" );
  EXPECT_EQ( poiLayer.featureCount(), 180 );
  EXPECT_GE( poiLayer.fields().lookupField( "cat_other" ), 0 );

  const ProcessResult flows =
      run( { "run", "musecl:mobilityfeatures", "--json", "--", "REGIONS=" + zones, "REGION_ID_FIELD=zone_id",
             "FLOWS=" + data + "/manhattan.gpkg|layername=taxi_flows", "WEIGHT_FIELD=trips",
             "OUTPUT=" + out.filePath( "flows.gpkg" ) } );
  ASSERT_EQ( flows.exitCode, 0 ) << flows.output.toStdString();
  EXPECT_EQ( jsonResults( flows ).value( "WEIGHT_INSIDE" ).toDouble(), 9332740 );

  const ProcessResult chips =
      run( { "run", "musecl:imagechips", "--json", "--", "REGIONS=" + zones, "REGION_ID_FIELD=zone_id",
             "RASTER=" + data + "/manhattan_landsat_rgb.tif", "CHIP_SIZE=64",
             "OUTPUT_FOLDER=" + out.filePath( "chips" ), "OUTPUT_INDEX=" + out.filePath( "chips.csv" ) } );
  ASSERT_EQ( chips.exitCode, 0 ) << chips.output.toStdString();
  EXPECT_EQ( jsonResults( chips ).value( "CHIP_COUNT" ).toDouble(), 180 );
  EXPECT_EQ( QDir( out.filePath( "chips" ) ).entryList( QDir::Files ).size(), 180 );
}

TEST_F( QgisProcess, WholePipelineModelRunsOnTheSyntheticCity )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult r =
      run( { "run", QStringLiteral( MUSECL_SOURCE_DIR "/examples/models/musecl_pipeline.model3" ), "--",
             "boundary=" + data + "/boundary.geojson", "hexagon_side_m=500", "image_epochs=1",
             "satellite=" + data + "/satellite_rgb.tif", "streetview=" + data + "/streetview.gpkg",
             "pois=" + data + "/pois.gpkg", "flows=" + data + "/flows.gpkg",
             "target_raster=" + data + "/population_density.tif", "train:model=" + out.filePath( "city.musecl" ),
             "train:embeddings=" + out.filePath( "embeddings.gpkg" ),
             "predict:predictions=" + out.filePath( "predictions.gpkg" ),
             "predict:report=" + out.filePath( "report.html" ), "cluster:clusters=" + out.filePath( "clusters.gpkg" ) },
           600000 );
  ASSERT_EQ( r.exitCode, 0 ) << r.output.toStdString();
  EXPECT_TRUE( QFileInfo::exists( out.filePath( "city.musecl" ) ) );
  EXPECT_TRUE( QFileInfo::exists( out.filePath( "report.html" ) ) );
  QgsVectorLayer predictions( out.filePath( "predictions.gpkg" ), "p", "ogr" );
  QgsVectorLayer clusters( out.filePath( "clusters.gpkg" ), "c", "ogr" );
  ASSERT_TRUE( predictions.isValid() && clusters.isValid() );
  EXPECT_EQ( predictions.featureCount(), MUSECL_DEMO_HEX_COUNT );
  EXPECT_EQ( clusters.featureCount(), MUSECL_DEMO_HEX_COUNT );
  // A missing field reads as an invalid QVariant whose toDouble() is a finite 0: check the fields
  // exist, that every value converts, and that the predictions are not one constant.
  ASSERT_GE( predictions.fields().lookupField( "pred" ), 0 );
  ASSERT_GE( predictions.fields().lookupField( "emb_31" ), 0 );
  QgsFeature f;
  QgsFeatureIterator it = predictions.getFeatures();
  std::set<double> distinctPredictions;
  while ( it.nextFeature( f ) )
  {
    bool predOk = false, embOk = false;
    const double pred = f.attribute( "pred" ).toDouble( &predOk );
    const double emb = f.attribute( "emb_31" ).toDouble( &embOk );
    EXPECT_TRUE( predOk && std::isfinite( pred ) ) << "feature " << f.id();
    EXPECT_TRUE( embOk && std::isfinite( emb ) ) << "feature " << f.id();
    distinctPredictions.insert( pred );
  }
  EXPECT_GT( distinctPredictions.size(), MUSECL_DEMO_HEX_COUNT / 2 ) << "predictions vary between regions";
  // The model leaves RS_MODE at its default: features learned from the whole scene, per region and
  // its surroundings.
  EXPECT_TRUE( r.output.contains( "remote sensing: scene features (" ) ) << r.output.toStdString();
  EXPECT_TRUE( r.output.contains( "over each region and over its surroundings" ) );
  EXPECT_TRUE( r.output.contains( "mobility: graph encoder" ) ) << "the demo's OD lines give the mobility graph view";
  const QRegularExpressionMatch weights =
      QRegularExpression( QStringLiteral( "Mean attention weight per view: ([^\n]*)" ) ).match( r.output );
  ASSERT_TRUE( weights.hasMatch() );
  for ( const char *view : { "scene features", "street view", "POI text", "mobility" } )
    EXPECT_TRUE( weights.captured( 1 ).contains( view ) )
        << "all four views are fused; missing " << view << " in " << weights.captured( 1 ).toStdString();
  EXPECT_TRUE( r.output.contains( "street view: positives and negatives by mobility (inflow/outflow) similarity" ) );
}

TEST_F( QgisProcess, StreetViewAndPoiSummariesOfTheSyntheticCity )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson",
                                    "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  const ProcessResult sv =
      run( { "run", "musecl:streetview", "--json", "--", "REGIONS=" + out.filePath( "hex.gpkg" ),
             "IMAGES=" + data + "/streetview.gpkg", "PATH_FIELD=photo", "OUTPUT=" + out.filePath( "sv.gpkg" ),
             "OUTPUT_INDEX=" + out.filePath( "sv_index.csv" ) } );
  ASSERT_EQ( sv.exitCode, 0 ) << sv.output.toStdString();
  const QJsonObject results = jsonResults( sv );
  // 150 photos; the ones in the park (a hole of the boundary) and in edge cells outside every
  // centroid-rule hexagon are reported, the rest assigned, all relative paths resolved.
  EXPECT_EQ( results.value( "IMAGES_ASSIGNED" ).toDouble() + results.value( "IMAGES_REJECTED" ).toDouble(), 150 );
  EXPECT_GT( results.value( "IMAGES_ASSIGNED" ).toDouble(), 100 );
  QgsVectorLayer regions( out.filePath( "sv.gpkg" ), "sv", "ogr" );
  ASSERT_TRUE( regions.isValid() );
  EXPECT_EQ( regions.featureCount(), MUSECL_DEMO_HEX_COUNT );
  double total = 0;
  QgsFeature f;
  QgsFeatureIterator it = regions.getFeatures();
  while ( it.nextFeature( f ) )
    total += f.attribute( "sv_images" ).toDouble();
  EXPECT_EQ( total, results.value( "IMAGES_ASSIGNED" ).toDouble() );

  const ProcessResult poi = run( { "run", "musecl:poifeatures", "--json", "--", "REGIONS=" + out.filePath( "hex.gpkg" ),
                                   "POIS=" + data + "/pois.gpkg", "CATEGORY_FIELD=category", "TEXT_FIELDS=name",
                                   "OUTPUT=" + out.filePath( "poi.gpkg" ) } );
  ASSERT_EQ( poi.exitCode, 0 ) << poi.output.toStdString();
  EXPECT_EQ( jsonResults( poi ).value( "POIS_IN_REGIONS" ).toDouble() +
                 jsonResults( poi ).value( "POIS_OUTSIDE" ).toDouble(),
             2352 );
  EXPECT_EQ( jsonResults( poi ).value( "CATEGORY_COUNT" ).toDouble(), 26 );
}
