// End to end through the real command-line runner, what spans several runs: a model file applied by
// musecl:embed, the ranks of one data-parallel job, the tiles of one grid, and runs interrupted or
// killed at any moment (qgis_process_fixture.h).
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

#include <algorithm>
#include <cmath>
#include <csignal>

#include "loopback_processes.h"
#include "qgis_process_fixture.h"

using namespace qgis_process_fixture;

TEST_F( QgisProcess, TrainedModelFileIsAcceptedByEmbedAndGivesIdenticalEmbeddings )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson",
                                    "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  const QStringList inputs{ "REGIONS=" + out.filePath( "hex.gpkg" ),
                            "POIS=" + data + "/pois.gpkg",
                            "CATEGORY_FIELD=category",
                            "TEXT_FIELDS=name",
                            "FLOWS=" + data + "/flows.gpkg",
                            "WEIGHT_FIELD=trips",
                            "RASTER=" + data + "/satellite_rgb.tif" };
  const ProcessResult train =
      run( QStringList{ "run", "musecl:train", "--" } + inputs +
               QStringList{ "RS_MODE=1", "CHIP_SIZE=32", "RS_BACKBONE=1", "IMAGE_EPOCHS=1", "FUSION_EPOCHS=10",
                            "MOBILITY_EPOCHS=50", "EMBEDDING_SIZE=8", "OUTPUT_MODEL=" + out.filePath( "m.musecl" ),
                            "OUTPUT=" + out.filePath( "train.gpkg" ) },
           600000 );
  ASSERT_EQ( train.exitCode, 0 ) << train.output.toStdString();
  const ProcessResult embed = run( QStringList{ "run", "musecl:embed", "--", "MODEL=" + out.filePath( "m.musecl" ),
                                                "OUTPUT=" + out.filePath( "embed.gpkg" ) } +
                                   inputs );
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
      EXPECT_NEAR( f.attribute( QStringLiteral( "emb_%1" ).arg( k ) ).toDouble(),
                   trained[f.attribute( "region_id" ).toString()].at( index ).toDouble(), 1e-5 );
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
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson",
                                    "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  const QStringList inputs{ "run",
                            "musecl:train",
                            "--",
                            "REGIONS=" + out.filePath( "hex.gpkg" ),
                            "POIS=" + data + "/pois.gpkg",
                            "CATEGORY_FIELD=category",
                            "RASTER=" + data + "/satellite_rgb.tif",
                            "RS_MODE=1", // chip triplets: the image encoder's gradients are all-reduced
                            "CHIP_SIZE=32",
                            "RS_BACKBONE=1",
                            "IMAGE_EPOCHS=1",
                            "FUSION_EPOCHS=5",
                            "EMBEDDING_SIZE=8",
                            "THREADS=1",
                            "DIST_TIMEOUT=120",
                            "OUTPUT_MODEL=" + out.filePath( "job.musecl" ) };
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
  rank0.start( "/usr/bin/qgis_process.bin",
               inputs + QStringList{ "WORLD_SIZE=2", "RANK=0", "RENDEZVOUS=tcp://127.0.0.1:" + port,
                                     "OUTPUT=" + out.filePath( "rank0.gpkg" ) } );
  rank1.start( "/usr/bin/qgis_process.bin", inputs + QStringList{ "OUTPUT=" + out.filePath( "rank1.gpkg" ) } );
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
      EXPECT_EQ( fa.attribute( QStringLiteral( "emb_%1" ).arg( k ) ),
                 fb.attribute( QStringLiteral( "emb_%1" ).arg( k ) ) );
  EXPECT_EQ( compared, MUSECL_DEMO_HEX_COUNT * 8 );

  // A malformed rendezvous is refused before any work, quoting it.
  const ProcessResult bad = run( inputs + QStringList{ "WORLD_SIZE=2", "RANK=0", "RENDEZVOUS=udp://127.0.0.1:1",
                                                       "OUTPUT=" + out.filePath( "bad.gpkg" ) } );
  EXPECT_NE( bad.exitCode, 0 );
  EXPECT_TRUE( bad.output.contains( "RENDEZVOUS" ) &&
               bad.output.contains( "'udp://127.0.0.1:1' is neither tcp://HOST:PORT nor file:///PATH" ) )
      << bad.output.toStdString();
}

// README's recipe for a country in tiles: tiles cut from the boundary, one grid per tile with the
// same size and CRS, merged; every hexagon of the whole grid once, with the same region_id.
TEST_F( QgisProcess, GridsOfTilesMergeIntoTheWholeGridWithItsIds )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  auto ok = [&]( const QStringList &args )
  {
    const ProcessResult r = run( args );
    EXPECT_EQ( r.exitCode, 0 ) << r.output.toStdString();
    return r.exitCode == 0;
  };
  ASSERT_TRUE( ok( { "run", "native:creategrid", "--", "TYPE=2", "EXTENT=-35.06,-34.94,39.96,40.04 [EPSG:4326]",
                     "HSPACING=0.12", "VSPACING=0.04", "CRS=EPSG:4326", "OUTPUT=" + out.filePath( "grid.gpkg" ) } ) );
  ASSERT_TRUE( ok( { "run", "native:intersection", "--", "INPUT=" + out.filePath( "grid.gpkg" ),
                     "OVERLAY=" + data + "/boundary.geojson", "OUTPUT=" + out.filePath( "tiles.gpkg" ) } ) );
  ASSERT_TRUE( ok( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson", "HEX_SIZE=300",
                     "TARGET_CRS=EPSG:32625", "OUTPUT=" + out.filePath( "whole.gpkg" ) } ) );
  QStringList merge{ "run", "native:mergevectorlayers", "--" };
  for ( int tile = 1; tile <= 2; ++tile )
  {
    const QString grid = out.filePath( QStringLiteral( "hex_%1.gpkg" ).arg( tile ) );
    ASSERT_TRUE( ok( { "run", "musecl:hexgrid", "--",
                       QStringLiteral( "INPUT=%1|layername=tiles|subset=\"id\" = %2" )
                           .arg( out.filePath( "tiles.gpkg" ) )
                           .arg( tile ),
                       "HEX_SIZE=300", "TARGET_CRS=EPSG:32625", "OUTPUT=" + grid } ) );
    merge << "LAYERS=" + grid;
  }
  ASSERT_TRUE( ok( merge << "OUTPUT=" + out.filePath( "merged.gpkg" ) ) );
  auto ids = []( const QString &path )
  {
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
  EXPECT_TRUE( merged == whole ) << "same ids, each once: " << merged.size() << " merged against " << whole.size()
                                 << " in the whole grid";
}

TEST_F( QgisProcess, InterruptedTrainingLeavesNoModelFile )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  const ProcessResult grid = run( { "run", "musecl:hexgrid", "--", "INPUT=" + data + "/boundary.geojson",
                                    "HEX_SIZE=500", "OUTPUT=" + out.filePath( "hex.gpkg" ) } );
  ASSERT_EQ( grid.exitCode, 0 ) << grid.output.toStdString();
  QProcess process;
  process.setProcessEnvironment( environment() );
  process.setProcessChannelMode( QProcess::MergedChannels );
  process.start( "/usr/bin/qgis_process.bin",
                 { "run", "musecl:train", "--", "REGIONS=" + out.filePath( "hex.gpkg" ),
                   "RASTER=" + data + "/satellite_rgb.tif", "RS_MODE=1", "CHIP_SIZE=64", "RS_BACKBONE=1",
                   "IMAGE_EPOCHS=1000", "OUTPUT_MODEL=" + out.filePath( "never.musecl" ),
                   "OUTPUT=" + out.filePath( "never.gpkg" ) } );
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
  // Nothing staged is left behind either (hidden staging files and folders included): only the
  // grid and its style.
  EXPECT_EQ( QDir( out.path() ).entryList( QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot ),
             ( QStringList{ "hex.gpkg", "hex.qml" } ) );
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
  ASSERT_EQ( run( { "run", "musecl:hexgrid", "--", "INPUT=" + boundary, "HEX_SIZE=500", "OUTPUT=" + target } ).exitCode,
             0 );
  QElapsedTimer clock;
  clock.start();
  ASSERT_EQ( run( { "run", "musecl:hexgrid", "--", "INPUT=" + boundary, "HEX_SIZE=40",
                    "OUTPUT=" + out.filePath( "fine.gpkg" ) } )
                 .exitCode,
             0 );
  const int fullRunMs = static_cast<int>( clock.elapsed() );
  const long long fineCount = QgsVectorLayer( out.filePath( "fine.gpkg" ), "fine", "ogr" ).featureCount();
  ASSERT_GT( fineCount, 5000 );

  std::mt19937 rng( 20261130 );
  // Kills fall between 1/4 and 9/10 of the shortest run seen so far: later runs start faster
  // (warm caches) and a busy machine makes any single timing unreliable, so a run that ends before
  // its kill shortens the window for the next ones. A kill after the run has ended tests nothing,
  // so attempts go on until six kills have landed mid-run (sixteen attempts at most).
  int shortestRunMs = fullRunMs, killedWhileRunning = 0;
  for ( int attempt = 0; attempt < 16 && killedWhileRunning < 6; ++attempt )
  {
    QProcess process;
    process.setProcessEnvironment( environment() );
    QElapsedTimer runClock;
    runClock.start();
    process.start( "/usr/bin/qgis_process.bin",
                   { "run", "musecl:hexgrid", "--", "INPUT=" + boundary, "HEX_SIZE=40", "OUTPUT=" + target } );
    ASSERT_TRUE( process.waitForStarted() );
    const int delay = std::uniform_int_distribution<int>( shortestRunMs / 4, shortestRunMs * 9 / 10 )( rng );
    if ( !process.waitForFinished( delay ) )
    {
      ::kill( static_cast<pid_t>( process.processId() ), SIGKILL );
      ASSERT_TRUE( process.waitForFinished( 60000 ) );
    }
    // The run may have ended on its own between the wait and the signal: count real kills only.
    if ( process.exitStatus() == QProcess::CrashExit )
      ++killedWhileRunning;
    else
      shortestRunMs = std::min( shortestRunMs, static_cast<int>( runClock.elapsed() ) );
    QgsVectorLayer grid( target, "grid", "ogr" );
    ASSERT_TRUE( grid.isValid() ) << "attempt " << attempt << ", killed after " << delay << " ms";
    const long long count = grid.featureCount();
    EXPECT_TRUE( count == MUSECL_DEMO_HEX_COUNT || count == fineCount )
        << "attempt " << attempt << ": " << count << " features after a kill at " << delay << " ms";
  }
  EXPECT_GE( killedWhileRunning, 6 ) << "kills must land while the run is still going";
}
