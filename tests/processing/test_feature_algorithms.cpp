// What the region-feature algorithms share: cancellation while reading points leaves no output, and
// damaged GeoPackages of flows and POIs fail with a message, never a crash or a hang.
#include "feature_fixtures.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <random>

using namespace feature_fixtures;

TEST( FeatureAlgorithms, CancellationWhileReadingPointsLeavesNoOutput )
{
  QTemporaryDir dir;
  auto regions = squareRegions();
  auto pois = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string" ),
                                                QStringLiteral( "many" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( int i = 0; i < 40000; ++i )
  {
    QgsFeature f( pois->fields() );
    f.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( 500000 + ( i % 2000 ), 4400000 + i / 20.0 ) ) );
    f.setAttributes( QgsAttributes() << "x" );
    features << f;
  }
  pois->dataProvider()->addFeatures( features );
  struct CancelAtHalf : QgsProcessingFeedback
  {
      CancelAtHalf()
      {
        QObject::connect( this, &QgsFeedback::progressChanged, this,
                          [this]( double p )
                          {
                            if ( p >= 30 )
                              cancel();
                          } );
      }
  } feedback;
  QgsProcessingContext context;
  const QString path = dir.filePath( "counts.gpkg" );
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "POIS", QVariant::fromValue( pois.get() ) },
                                           { "CATEGORY_FIELD", "fclass" },
                                           { "OUTPUT", path } },
                                         context, &feedback );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( "Cancelled" ) ) << run.error.toStdString();
  EXPECT_TRUE( QDir( dir.path() ).entryList( QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot ).isEmpty() );
}

TEST( FeatureAlgorithms, DamagedGeoPackagesOfFlowsAndPoisFailCleanly )
{
  // Seeded damage (bit flips, truncations, byte runs) to the synthetic city's flow and POI
  // GeoPackages: each run of musecl:mobilityfeatures / musecl:poifeatures must either succeed or
  // fail with a message -- never crash or hang. Each case gets a new file name: QGIS's OGR
  // provider keeps connections per path.
  QgsProcessingContext gridContext;
  const AlgorithmRun grid =
      runAlgorithm( "musecl:hexgrid",
                    { { "INPUT", QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city/boundary.geojson" ) },
                      { "HEX_SIZE", 500 },
                      { "OUTPUT", "memory:" } },
                    gridContext );
  ASSERT_TRUE( grid.ok ) << grid.error.toStdString();
  QgsVectorLayer *regions = layerOf( grid, "OUTPUT", gridContext );
  QTemporaryDir dir;
  std::mt19937_64 rng( 20261130 );
  const int perLayer =
      qEnvironmentVariableIsSet( "MUSECL_FUZZ_CASES" ) ? qEnvironmentVariableIntValue( "MUSECL_FUZZ_CASES" ) / 2 : 100;
  int succeeded = 0, failed = 0;
  for ( const QString &name : { QStringLiteral( "flows" ), QStringLiteral( "pois" ) } )
  {
    QFile source( QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city/%1.gpkg" ).arg( name ) );
    ASSERT_TRUE( source.open( QIODevice::ReadOnly ) );
    const QByteArray original = source.readAll();
    for ( int k = 0; k < perLayer; ++k )
    {
      QByteArray bytes = original;
      const int n = bytes.size();
      if ( k % 3 == 0 )
        for ( int f = 0; f < 1 + static_cast<int>( rng() % 8 ); ++f )
          bytes[static_cast<int>( rng() % n )] =
              static_cast<char>( bytes[static_cast<int>( rng() % n )] ^ ( 1 << ( rng() % 8 ) ) );
      else if ( k % 3 == 1 )
        bytes.truncate( static_cast<int>( rng() % n ) );
      else
        for ( int at = static_cast<int>( rng() % n ), e = std::min( n, at + 1 + static_cast<int>( rng() % 256 ) );
              at < e; ++at )
          bytes[at] = static_cast<char>( rng() );
      const QString path = dir.filePath( QStringLiteral( "%1_%2.gpkg" ).arg( name ).arg( k ) );
      QFile out( path );
      ASSERT_TRUE( out.open( QIODevice::WriteOnly ) );
      out.write( bytes );
      out.close();
      QgsProcessingContext context;
      const AlgorithmRun run = name == QLatin1String( "flows" )
                                   ? runAlgorithm( "musecl:mobilityfeatures",
                                                   { { "REGIONS", QVariant::fromValue( regions ) },
                                                     { "FLOWS", path },
                                                     { "WEIGHT_FIELD", "trips" },
                                                     { "OUTPUT", "memory:" } },
                                                   context )
                                   : runAlgorithm( "musecl:poifeatures",
                                                   { { "REGIONS", QVariant::fromValue( regions ) },
                                                     { "POIS", path },
                                                     { "CATEGORY_FIELD", "category" },
                                                     { "OUTPUT", "memory:" } },
                                                   context );
      if ( run.ok )
        ++succeeded;
      else
      {
        ++failed;
        EXPECT_FALSE( run.error.trimmed().isEmpty() )
            << name.toStdString() << " case " << k << " failed without a message";
      }
    }
  }
  std::printf(
      "GeoPackage fuzz: %d damaged files, %d read without error (GeoPackage has no checksums: a changed value reads as data), %d refused with a message\n",
      succeeded + failed, succeeded, failed );
  EXPECT_GT( failed, 0 );
}
