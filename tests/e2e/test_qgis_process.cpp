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

namespace
{
  struct ProcessResult
  {
    int exitCode = -1;
    QString output;  // stdout and stderr together
  };

  class QgisProcess : public ::testing::Test
  {
    protected:
      static void SetUpTestSuite()
      {
        sProfile = new QTemporaryDir();
        const ProcessResult enable = run( { QStringLiteral( "plugins" ), QStringLiteral( "enable" ), QStringLiteral( "musecl" ) } );
        ASSERT_EQ( enable.exitCode, 0 ) << enable.output.toStdString();
      }
      static void TearDownTestSuite()
      {
        delete sProfile;
        sProfile = nullptr;
      }

      // Headless, the throw-away profile, and the staged plugin folder.
      static QProcessEnvironment environment()
      {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert( QStringLiteral( "QT_QPA_PLATFORM" ), QStringLiteral( "offscreen" ) );
        env.insert( QStringLiteral( "QGIS_CUSTOM_CONFIG_PATH" ), sProfile->path() );
        env.insert( QStringLiteral( "QGIS_PLUGINPATH" ), QFileInfo( QStringLiteral( MUSECL_PLUGIN_STAGE_DIR ) ).absolutePath() );
        return env;
      }

      static ProcessResult run( const QStringList &arguments, int timeoutMs = 120000 )
      {
        QProcess process;
        process.setProcessEnvironment( environment() );
        process.setProcessChannelMode( QProcess::MergedChannels );
        process.start( QStringLiteral( "/usr/bin/qgis_process.bin" ), arguments );
        ProcessResult result;
        if ( !process.waitForFinished( timeoutMs ) )
        {
          process.kill();
          result.output = QStringLiteral( "timed out" );
          return result;
        }
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        result.output = QString::fromUtf8( process.readAll() );
        return result;
      }

      static QJsonObject jsonResults( const ProcessResult &result )
      {
        // With --json, the JSON document is the last thing printed; progress text may precede it.
        const int start = result.output.indexOf( '{' );
        const QJsonDocument doc = QJsonDocument::fromJson( result.output.mid( start ).toUtf8() );
        return doc.object().value( QStringLiteral( "results" ) ).toObject();
      }

      static QTemporaryDir *sProfile;
  };
  QTemporaryDir *QgisProcess::sProfile = nullptr;

  const QString kDemoBoundary = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city/boundary.geojson" );
}

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
  const ProcessResult r = run( { QStringLiteral( "run" ), QStringLiteral( "musecl:hexgrid" ), QStringLiteral( "--json" ), QStringLiteral( "--" ),
                                 QStringLiteral( "INPUT=%1" ).arg( kDemoBoundary ), QStringLiteral( "HEX_SIZE=500" ),
                                 QStringLiteral( "OUTPUT=%1" ).arg( path ) } );
  ASSERT_EQ( r.exitCode, 0 ) << r.output.toStdString();
  const QJsonObject results = jsonResults( r );
  EXPECT_EQ( results.value( QStringLiteral( "OUTPUT_CRS" ) ).toString(), QStringLiteral( "EPSG:32625" ) ) << "UTM 25N at 35 W, 40 N";
  QgsVectorLayer layer( path, QStringLiteral( "hex" ), QStringLiteral( "ogr" ) );
  ASSERT_TRUE( layer.isValid() ) << path.toStdString();
  // 45.8 km^2 of synthetic city minus a 1.3 km^2 park = 44.5 km^2, over 0.6495 km^2 hexagons: 68.5.
  EXPECT_EQ( layer.featureCount(), MUSECL_DEMO_HEX_COUNT );
  EXPECT_EQ( results.value( QStringLiteral( "HEX_COUNT" ) ).toDouble(), static_cast<double>( layer.featureCount() ) );
  const QStringList expected { "fid", "region_id", "row", "col", "area_m2", "centroid_lon", "centroid_lat" };
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
  const ProcessResult r = run( { QStringLiteral( "run" ), QStringLiteral( MUSECL_SOURCE_DIR "/examples/models/hexgrid_centres.model3" ), QStringLiteral( "--" ),
                                 QStringLiteral( "boundary=%1" ).arg( kDemoBoundary ), QStringLiteral( "hexagon_side_m=500" ),
                                 QStringLiteral( "musecl:hexagons=%1" ).arg( hexes ), QStringLiteral( "native:centres=%1" ).arg( centres ) } );
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
  const QString data = env.isEmpty() ? QStringLiteral( MUSECL_SOURCE_DIR "/../shared/data/manhattan" ) : QString::fromUtf8( env );
  if ( !QFileInfo::exists( data + "/manhattan.gpkg" ) )
    GTEST_SKIP() << "Manhattan data not found at " << data.toStdString() << " (set MUSECL_MANHATTAN_DATA)";
  QTemporaryDir out;
  const QString zones = data + "/manhattan.gpkg|layername=zones";
  const ProcessResult poi = run( { "run", "musecl:poifeatures", "--json", "--", "REGIONS=" + zones, "REGION_ID_FIELD=zone_id",
                                   "POIS=" + data + "/manhattan.gpkg|layername=pois", "CATEGORY_FIELD=fclass", "TOP_K=20",
                                   "OUTPUT=" + out.filePath( "poi.gpkg" ) } );
  ASSERT_EQ( poi.exitCode, 0 ) << poi.output.toStdString();
  EXPECT_EQ( jsonResults( poi ).value( "POIS_IN_REGIONS" ).toDouble(), 7337 );
  QgsVectorLayer poiLayer( out.filePath( "poi.gpkg" ), "poi", "ogr" );
  EXPECT_EQ( poiLayer.featureCount(), 180 );
  EXPECT_GE( poiLayer.fields().lookupField( "cat_other" ), 0 );

  const ProcessResult flows = run( { "run", "musecl:mobilityfeatures", "--json", "--", "REGIONS=" + zones, "REGION_ID_FIELD=zone_id",
                                     "FLOWS=" + data + "/manhattan.gpkg|layername=taxi_flows", "WEIGHT_FIELD=trips",
                                     "OUTPUT=" + out.filePath( "flows.gpkg" ) } );
  ASSERT_EQ( flows.exitCode, 0 ) << flows.output.toStdString();
  EXPECT_EQ( jsonResults( flows ).value( "WEIGHT_INSIDE" ).toDouble(), 9332740 );

  const ProcessResult chips = run( { "run", "musecl:imagechips", "--json", "--", "REGIONS=" + zones, "REGION_ID_FIELD=zone_id",
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
  const ProcessResult r = run( { "run", QStringLiteral( MUSECL_SOURCE_DIR "/examples/models/musecl_pipeline.model3" ), "--",
                                 "boundary=" + data + "/boundary.geojson", "hexagon_side_m=500", "image_epochs=1",
                                 "satellite=" + data + "/satellite_rgb.tif", "streetview=" + data + "/streetview.gpkg", "pois=" + data + "/pois.gpkg",
                                 "flows=" + data + "/flows.gpkg", "target_raster=" + data + "/population_density.tif",
                                 "train:model=" + out.filePath( "city.musecl" ), "train:embeddings=" + out.filePath( "embeddings.gpkg" ),
                                 "predict:predictions=" + out.filePath( "predictions.gpkg" ), "predict:report=" + out.filePath( "report.html" ),
                                 "cluster:clusters=" + out.filePath( "clusters.gpkg" ) }, 600000 );
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
  EXPECT_TRUE( r.output.contains( "remote sensing: positives and negatives by POI-distribution and mobility (inflow/outflow) similarity" ) );
  EXPECT_TRUE( r.output.contains( "mobility: graph encoder" ) ) << "the demo's OD lines give the mobility graph view";
  const QRegularExpressionMatch weights = QRegularExpression( QStringLiteral( "Mean attention weight per view: ([^\n]*)" ) ).match( r.output );
  ASSERT_TRUE( weights.hasMatch() );
  for ( const char *view : { "remote sensing", "street view", "POI text", "mobility" } )
    EXPECT_TRUE( weights.captured( 1 ).contains( view ) ) << "all four views are fused; missing " << view << " in " << weights.captured( 1 ).toStdString();
  EXPECT_TRUE( r.output.contains( "street view: positives and negatives by mobility (inflow/outflow) similarity" ) );
}

TEST_F( QgisProcess, TrainedModelFileIsAcceptedByEmbedAndGivesIdenticalEmbeddings )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson", "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  const QStringList inputs { "REGIONS=" + out.filePath( "hex.gpkg" ), "POIS=" + data + "/pois.gpkg", "CATEGORY_FIELD=category", "TEXT_FIELDS=name",
                             "FLOWS=" + data + "/flows.gpkg", "WEIGHT_FIELD=trips", "RASTER=" + data + "/satellite_rgb.tif" };
  const ProcessResult train = run( QStringList { "run", "musecl:train", "--" } + inputs + QStringList { "CHIP_SIZE=32", "RS_BACKBONE=1", "IMAGE_EPOCHS=1",
                                   "FUSION_EPOCHS=10", "MOBILITY_EPOCHS=50", "EMBEDDING_SIZE=8", "OUTPUT_MODEL=" + out.filePath( "m.musecl" ), "OUTPUT=" + out.filePath( "train.gpkg" ) },
                                   600000 );
  ASSERT_EQ( train.exitCode, 0 ) << train.output.toStdString();
  const ProcessResult embed = run( QStringList { "run", "musecl:embed", "--", "MODEL=" + out.filePath( "m.musecl" ), "OUTPUT=" + out.filePath( "embed.gpkg" ) } + inputs );
  ASSERT_EQ( embed.exitCode, 0 ) << embed.output.toStdString();
  QgsVectorLayer a( out.filePath( "train.gpkg" ), "a", "ogr" ), b( out.filePath( "embed.gpkg" ), "b", "ogr" );
  ASSERT_EQ( a.featureCount(), b.featureCount() );
  QMap<QString, QgsAttributes> trained;
  QgsFeature f;
  QgsFeatureIterator it = a.getFeatures();
  while ( it.nextFeature( f ) )
    trained.insert( f.attribute( "region_id" ).toString(), f.attributes() );
  it = b.getFeatures();
  int compared = 0;
  while ( it.nextFeature( f ) )
    for ( int k = 0; k < 8; ++k, ++compared )
    {
      const int index = a.fields().lookupField( QStringLiteral( "emb_%1" ).arg( k ) );
      EXPECT_NEAR( f.attribute( QStringLiteral( "emb_%1" ).arg( k ) ).toDouble(), trained[f.attribute( "region_id" ).toString()].at( index ).toDouble(), 1e-5 );
    }
  EXPECT_EQ( compared, MUSECL_DEMO_HEX_COUNT * 8 );
  // Identity proves nothing for a constant embedding: the regions must differ.
  std::set<double> distinct;
  for ( const QgsAttributes &row : trained )
    distinct.insert( row.at( a.fields().lookupField( "emb_0" ) ).toDouble() );
  EXPECT_GT( distinct.size(), MUSECL_DEMO_HEX_COUNT / 2 ) << "emb_0 varies between regions";
}

TEST_F( QgisProcess, TwoRunsFormOneDataParallelJobFromParametersAndTheLaunchersEnvironment )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson", "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  const QStringList inputs { "run", "musecl:train", "--", "REGIONS=" + out.filePath( "hex.gpkg" ), "POIS=" + data + "/pois.gpkg", "CATEGORY_FIELD=category",
                             "RASTER=" + data + "/satellite_rgb.tif", "CHIP_SIZE=32", "RS_BACKBONE=1", "IMAGE_EPOCHS=1", "FUSION_EPOCHS=5", "EMBEDDING_SIZE=8",
                             "THREADS=1", "DIST_TIMEOUT=120", "OUTPUT_MODEL=" + out.filePath( "job.musecl" ) };
  const QString port = QString::number( musecl::loopback::freeLoopbackPort() );
  // Rank 0 from parameters; rank 1 from the variables PyTorch's launchers set.
  QProcess rank0, rank1;
  for ( QProcess *p : { &rank0, &rank1 } )
    p->setProcessChannelMode( QProcess::MergedChannels );
  rank0.setProcessEnvironment( environment() );
  QProcessEnvironment env1 = environment();
  env1.insert( "WORLD_SIZE", "2" );
  env1.insert( "RANK", "1" );
  env1.insert( "MASTER_ADDR", "127.0.0.1" );
  env1.insert( "MASTER_PORT", port );
  rank1.setProcessEnvironment( env1 );
  rank0.start( "/usr/bin/qgis_process.bin", inputs + QStringList { "WORLD_SIZE=2", "RANK=0", "RENDEZVOUS=tcp://127.0.0.1:" + port, "OUTPUT=" + out.filePath( "rank0.gpkg" ) } );
  rank1.start( "/usr/bin/qgis_process.bin", inputs + QStringList { "OUTPUT=" + out.filePath( "rank1.gpkg" ) } );
  ASSERT_TRUE( rank0.waitForFinished( 300000 ) );
  ASSERT_TRUE( rank1.waitForFinished( 60000 ) );
  const QString log0 = QString::fromUtf8( rank0.readAll() ), log1 = QString::fromUtf8( rank1.readAll() );
  ASSERT_EQ( rank0.exitCode(), 0 ) << log0.toStdString();
  ASSERT_EQ( rank1.exitCode(), 0 ) << log1.toStdString();
  EXPECT_TRUE( log0.contains( "data-parallel: rank 0 of 2 (tcp://127.0.0.1:" + port ) ) << log0.toStdString();
  EXPECT_TRUE( log1.contains( "data-parallel: rank 1 of 2 (tcp://127.0.0.1:" + port ) ) << log1.toStdString();
  EXPECT_TRUE( log1.contains( "Rank 1: the model file is written by rank 0" ) ) << log1.toStdString();
  EXPECT_TRUE( QFileInfo::exists( out.filePath( "job.musecl" ) ) );
  // Both ranks end with rank 0's embeddings.
  QgsVectorLayer a( out.filePath( "rank0.gpkg" ), "a", "ogr" ), b( out.filePath( "rank1.gpkg" ), "b", "ogr" );
  ASSERT_EQ( a.featureCount(), MUSECL_DEMO_HEX_COUNT );
  ASSERT_EQ( b.featureCount(), MUSECL_DEMO_HEX_COUNT );
  QgsFeature fa, fb;
  QgsFeatureIterator ia = a.getFeatures(), ib = b.getFeatures();
  int compared = 0;
  while ( ia.nextFeature( fa ) && ib.nextFeature( fb ) )
    for ( int k = 0; k < 8; ++k, ++compared )
      EXPECT_EQ( fa.attribute( QStringLiteral( "emb_%1" ).arg( k ) ), fb.attribute( QStringLiteral( "emb_%1" ).arg( k ) ) );
  EXPECT_EQ( compared, MUSECL_DEMO_HEX_COUNT * 8 );

  // A malformed rendezvous is refused before any work, quoting it.
  const ProcessResult bad = run( inputs + QStringList { "WORLD_SIZE=2", "RANK=0", "RENDEZVOUS=udp://127.0.0.1:1", "OUTPUT=" + out.filePath( "bad.gpkg" ) } );
  EXPECT_NE( bad.exitCode, 0 );
  EXPECT_TRUE( bad.output.contains( "RENDEZVOUS" ) && bad.output.contains( "'udp://127.0.0.1:1' is neither tcp://HOST:PORT nor file:///PATH" ) ) << bad.output.toStdString();
}

// README's recipe for a country in tiles: tiles cut from the boundary, one grid per tile with the
// same size and CRS, merged; every hexagon of the whole grid once, with the same region_id.
TEST_F( QgisProcess, GridsOfTilesMergeIntoTheWholeGridWithItsIds )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  auto ok = [&]( const QStringList &args ) {
    const ProcessResult r = run( args );
    EXPECT_EQ( r.exitCode, 0 ) << r.output.toStdString();
    return r.exitCode == 0;
  };
  ASSERT_TRUE( ok( { "run", "native:creategrid", "--", "TYPE=2", "EXTENT=-35.06,-34.94,39.96,40.04 [EPSG:4326]", "HSPACING=0.12", "VSPACING=0.04",
                     "CRS=EPSG:4326", "OUTPUT=" + out.filePath( "grid.gpkg" ) } ) );
  ASSERT_TRUE( ok( { "run", "native:intersection", "--", "INPUT=" + out.filePath( "grid.gpkg" ), "OVERLAY=" + data + "/boundary.geojson",
                     "OUTPUT=" + out.filePath( "tiles.gpkg" ) } ) );
  ASSERT_TRUE( ok( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson", "HEX_SIZE=300", "TARGET_CRS=EPSG:32625", "OUTPUT=" + out.filePath( "whole.gpkg" ) } ) );
  QStringList merge { "run", "native:mergevectorlayers", "--" };
  for ( int tile = 1; tile <= 2; ++tile )
  {
    const QString grid = out.filePath( QStringLiteral( "hex_%1.gpkg" ).arg( tile ) );
    ASSERT_TRUE( ok( { "run", "musecl:hexgrid", "--", QStringLiteral( "INPUT=%1|layername=tiles|subset=\"id\" = %2" ).arg( out.filePath( "tiles.gpkg" ) ).arg( tile ),
                       "HEX_SIZE=300", "TARGET_CRS=EPSG:32625", "OUTPUT=" + grid } ) );
    merge << "LAYERS=" + grid;
  }
  ASSERT_TRUE( ok( merge << "OUTPUT=" + out.filePath( "merged.gpkg" ) ) );
  auto ids = []( const QString &path ) {
    QgsVectorLayer layer( path, "l", "ogr" );
    QStringList list;
    QgsFeature f;
    QgsFeatureIterator it = layer.getFeatures();
    while ( it.nextFeature( f ) )
      list << f.attribute( "region_id" ).toString();
    list.sort();
    return list;
  };
  const QStringList whole = ids( out.filePath( "whole.gpkg" ) ), merged = ids( out.filePath( "merged.gpkg" ) );
  EXPECT_GT( whole.size(), 100 );
  EXPECT_TRUE( merged == whole ) << "same ids, each once: " << merged.size() << " merged against " << whole.size() << " in the whole grid";
}

TEST_F( QgisProcess, InterruptedTrainingLeavesNoModelFile )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson", "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  QProcess process;
  process.setProcessEnvironment( environment() );
  process.setProcessChannelMode( QProcess::MergedChannels );
  process.start( "/usr/bin/qgis_process.bin", { "run", "musecl:train", "--", "REGIONS=" + out.filePath( "hex.gpkg" ), "RASTER=" + data + "/satellite_rgb.tif",
                                                "CHIP_SIZE=64", "RS_BACKBONE=1", "IMAGE_EPOCHS=1000", "OUTPUT_MODEL=" + out.filePath( "never.musecl" ), "OUTPUT=" + out.filePath( "never.gpkg" ) } );
  // Wait until training has started, then interrupt as a user pressing Ctrl+C would. The epoch
  // line arrives while training runs only because the plugin flushes stdout after each epoch
  // (qgis_process's stdout is block-buffered in a pipe): this also checks live batch logs.
  QByteArray log;
  for ( int waited = 0; waited < 120000 && !log.contains( "epoch 1/1000" ); waited += 200 )
  {
    process.waitForReadyRead( 200 );
    log += process.readAll();
  }
  ASSERT_TRUE( log.contains( "epoch 1/1000" ) ) << log.toStdString();
  ::kill( static_cast<pid_t>( process.processId() ), SIGINT );
  ASSERT_TRUE( process.waitForFinished( 120000 ) );
  log += process.readAll();
  EXPECT_NE( process.exitCode(), 0 ) << log.toStdString();
  EXPECT_FALSE( QFileInfo::exists( out.filePath( "never.musecl" ) ) );
  EXPECT_FALSE( QFileInfo::exists( out.filePath( "never.gpkg" ) ) );
  // Nothing staged is left behind either (hidden staging files and folders included).
  EXPECT_EQ( QDir( out.path() ).entryList( QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot ), QStringList { "hex.gpkg" } );
}

TEST_F( QgisProcess, KilledAtAnyMomentTheExistingOutputSurvivesWhole )
{
  // SIGKILL runs no handler and no destructor: only the write-aside-then-rename design can keep
  // the previous file. A grid of 500 m hexagons exists; runs writing 40 m hexagons (about 10 000,
  // a second or so of writing) over it are killed at seeded random moments from start to finish.
  // After every kill the file must open with either the old or the new complete grid.
  QTemporaryDir out;
  const QString boundary = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city/boundary.geojson" );
  const QString target = out.filePath( "grid.gpkg" );
  ASSERT_EQ( run( { "run", "musecl:hexgrid", "--", "INPUT=" + boundary, "HEX_SIZE=500", "OUTPUT=" + target } ).exitCode, 0 );
  QElapsedTimer clock;
  clock.start();
  ASSERT_EQ( run( { "run", "musecl:hexgrid", "--", "INPUT=" + boundary, "HEX_SIZE=40", "OUTPUT=" + out.filePath( "fine.gpkg" ) } ).exitCode, 0 );
  const int fullRunMs = static_cast<int>( clock.elapsed() );
  const long long fineCount = QgsVectorLayer( out.filePath( "fine.gpkg" ), "fine", "ogr" ).featureCount();
  ASSERT_GT( fineCount, 5000 );

  std::mt19937 rng( 20261130 );
  // Up to 9/10 of the measured run: later runs start faster (warm caches), and a kill after the
  // run has ended tests nothing.
  std::uniform_int_distribution<int> when( fullRunMs / 4, fullRunMs * 9 / 10 );
  int killedWhileRunning = 0;
  for ( int attempt = 0; attempt < 8; ++attempt )
  {
    QProcess process;
    process.setProcessEnvironment( environment() );
    process.start( "/usr/bin/qgis_process.bin", { "run", "musecl:hexgrid", "--", "INPUT=" + boundary, "HEX_SIZE=40", "OUTPUT=" + target } );
    ASSERT_TRUE( process.waitForStarted() );
    const int delay = when( rng );
    if ( !process.waitForFinished( delay ) )
    {
      ::kill( static_cast<pid_t>( process.processId() ), SIGKILL );
      ASSERT_TRUE( process.waitForFinished( 60000 ) );
      // The run may have ended on its own between the wait and the signal: count real kills only.
      killedWhileRunning += process.exitStatus() == QProcess::CrashExit ? 1 : 0;
    }
    QgsVectorLayer grid( target, "grid", "ogr" );
    ASSERT_TRUE( grid.isValid() ) << "attempt " << attempt << ", killed after " << delay << " ms";
    const long long count = grid.featureCount();
    EXPECT_TRUE( count == MUSECL_DEMO_HEX_COUNT || count == fineCount ) << "attempt " << attempt << ": " << count << " features after a kill at " << delay << " ms";
  }
  EXPECT_GE( killedWhileRunning, 4 ) << "most kills must land while the run is still going";
}

TEST_F( QgisProcess, StreetViewAndPoiSummariesOfTheSyntheticCity )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson", "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  const ProcessResult sv = run( { "run", "musecl:streetview", "--json", "--", "REGIONS=" + out.filePath( "hex.gpkg" ), "IMAGES=" + data + "/streetview.gpkg",
                                  "PATH_FIELD=photo", "OUTPUT=" + out.filePath( "sv.gpkg" ), "OUTPUT_INDEX=" + out.filePath( "sv_index.csv" ) } );
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

  const ProcessResult poi = run( { "run", "musecl:poifeatures", "--json", "--", "REGIONS=" + out.filePath( "hex.gpkg" ), "POIS=" + data + "/pois.gpkg",
                                   "CATEGORY_FIELD=category", "TEXT_FIELDS=name", "OUTPUT=" + out.filePath( "poi.gpkg" ) } );
  ASSERT_EQ( poi.exitCode, 0 ) << poi.output.toStdString();
  EXPECT_EQ( jsonResults( poi ).value( "POIS_IN_REGIONS" ).toDouble() + jsonResults( poi ).value( "POIS_OUTSIDE" ).toDouble(), 2352 );
  EXPECT_EQ( jsonResults( poi ).value( "CATEGORY_COUNT" ).toDouble(), 26 );
}
