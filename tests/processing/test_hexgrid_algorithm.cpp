// musecl:hexgrid through the real Processing registry. Tolerances: areas 1e-6 relative (GEOS
// overlay on UTM-sized coordinates), lon/lat 1e-6 degrees.
#include "qgis_test_support.h"

#include <gtest/gtest.h>

#include <QRegularExpression>

#include <qgsgeometry.h>
#include <qgsprocessingutils.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QTemporaryDir>
#include <cmath>
#include <ctime>
#include <utime.h>
#include <map>

namespace
{
  const double kHexArea1000 = 2598076.2113533160; // 3*sqrt(3)/2 * 1000^2

  QVariantMap hexParams( QgsVectorLayer *layer, double size, const QVariant &output = QStringLiteral( "memory:" ) )
  {
    QVariantMap p;
    p.insert( QStringLiteral( "INPUT" ), QVariant::fromValue( layer ) );
    p.insert( QStringLiteral( "HEX_SIZE" ), size );
    p.insert( QStringLiteral( "OUTPUT" ), output );
    return p;
  }

  QgsVectorLayer *outputLayer( const AlgorithmRun &run, QgsProcessingContext &context )
  {
    return qobject_cast<QgsVectorLayer *>(
        QgsProcessingUtils::mapLayerFromString( run.outputs.value( QStringLiteral( "OUTPUT" ) ).toString(), context ) );
  }

  std::map<QString, QgsGeometry> geometriesById( QgsVectorLayer *layer )
  {
    std::map<QString, QgsGeometry> out;
    QgsFeature f;
    QgsFeatureIterator it = layer->getFeatures();
    while ( it.nextFeature( f ) )
      out[f.attribute( QStringLiteral( "region_id" ) ).toString()] = f.geometry();
    return out;
  }

  // Cancels once the algorithm reports some progress, i.e. in the middle of writing its output.
  struct CancelMidway : QgsProcessingFeedback
  {
      CancelMidway()
      {
        QObject::connect( this, &QgsFeedback::progressChanged, this,
                          [this]( double progress )
                          {
                            if ( progress >= 40 )
                              cancel();
                          } );
      }
  };

  const QString kRectangle = QStringLiteral( "POLYGON((100 100, 10100 100, 10100 10100, 100 10100, 100 100))" );
} // namespace

TEST( HexGridAlgorithm, RectangleGivesTheHandCountedHexagonsWithAllFields )
{
  // Same rectangle as the core HexCover test: 33 hexagon centres fall inside (see there).
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { kRectangle } );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 1000 ), context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( QStringLiteral( "HEX_COUNT" ) ).toLongLong(), 33 );
  EXPECT_EQ( run.outputs.value( QStringLiteral( "OUTPUT_CRS" ) ).toString(), QStringLiteral( "EPSG:32618" ) );
  QgsVectorLayer *out = outputLayer( run, context );
  ASSERT_TRUE( out );
  EXPECT_EQ( out->featureCount(), 33 );
  const QStringList expectedFields{ "region_id", "row", "col", "area_m2", "centroid_lon", "centroid_lat" };
  EXPECT_EQ( out->fields().names(), expectedFields );
  QgsFeature f;
  QgsFeatureIterator it = out->getFeatures();
  while ( it.nextFeature( f ) )
  {
    EXPECT_NEAR( f.attribute( "area_m2" ).toDouble(), kHexArea1000, 1e-6 * kHexArea1000 );
    EXPECT_NEAR( f.geometry().area(), kHexArea1000, 1e-6 * kHexArea1000 );
    const QString expectedId =
        QStringLiteral( "r%1_c%2" ).arg( f.attribute( "row" ).toLongLong() ).arg( f.attribute( "col" ).toLongLong() );
    EXPECT_EQ( f.attribute( "region_id" ).toString(), expectedId );
    EXPECT_TRUE( std::isfinite( f.attribute( "centroid_lon" ).toDouble() ) );
  }
}

TEST( HexGridAlgorithm, ClippedIntersectingHexagonsTileTheBoundaryWithoutGapsOrOverlaps )
{
  // With the intersects rule and clipping, the pieces must add up to the boundary's own area, and
  // their union must have the same area as their sum (no overlaps).
  const QString concave = QStringLiteral(
      "POLYGON((500000 4400000, 503000 4400000, 503000 4401000, 501000 4401000, 501000 4402000, "
      "503000 4402500, 500000 4403000, 500000 4400000),(500200 4400200, 500200 4400700, 500700 4400700, 500200 4400200))" );
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { concave } );
  QVariantMap params = hexParams( layer.get(), 173.2 );
  params.insert( QStringLiteral( "COVERAGE" ), 1 );
  params.insert( QStringLiteral( "CLIP" ), true );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), params, context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  QgsVectorLayer *out = outputLayer( run, context );
  ASSERT_TRUE( out );
  double sum = 0;
  QVector<QgsGeometry> pieces;
  QgsFeature f;
  QgsFeatureIterator it = out->getFeatures();
  while ( it.nextFeature( f ) )
  {
    sum += f.geometry().area();
    EXPECT_NEAR( f.attribute( "area_m2" ).toDouble(), f.geometry().area(), 1e-6 * f.geometry().area() );
    pieces << f.geometry();
  }
  const double boundaryArea = QgsGeometry::fromWkt( concave ).area();
  EXPECT_NEAR( sum, boundaryArea, 1e-6 * boundaryArea ) << "no gaps";
  EXPECT_NEAR( QgsGeometry::unaryUnion( pieces ).area(), sum, 1e-6 * sum ) << "no overlaps";
}

TEST( HexGridAlgorithm, CoverageRulesAreOrderedAsTheirDefinitionsRequire )
{
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ),
                             { QStringLiteral( "POLYGON((0 0, 7000 1000, 5000 6000, 500 4000, 0 0))" ) } );
  auto countFor = [&]( int coverage, double minOverlap )
  {
    QVariantMap params = hexParams( layer.get(), 300 );
    params.insert( QStringLiteral( "COVERAGE" ), coverage );
    params.insert( QStringLiteral( "MIN_OVERLAP" ), minOverlap );
    QgsProcessingContext context;
    const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), params, context );
    EXPECT_TRUE( run.ok ) << run.error.toStdString();
    return run.outputs.value( QStringLiteral( "HEX_COUNT" ) ).toLongLong();
  };
  const long long centroid = countFor( 0, 0.5 );
  const long long intersects = countFor( 1, 0.5 );
  const long long overlapTiny = countFor( 2, 1e-9 );
  const long long overlapAll = countFor( 2, 1.0 );
  EXPECT_GT( intersects, centroid );
  EXPECT_EQ( overlapTiny, intersects ) << "any positive overlap is an intersection of interiors";
  EXPECT_LT( overlapAll, centroid ) << "only wholly covered hexagons";
  // The polygon's area over the hexagon area is a good estimate of the centroid-rule count.
  const double expected =
      QgsGeometry::fromWkt( QStringLiteral( "POLYGON((0 0, 7000 1000, 5000 6000, 500 4000, 0 0))" ) ).area() /
      ( 2.598076211 * 300 * 300 );
  EXPECT_NEAR( static_cast<double>( centroid ), expected, 0.05 * expected );
}

TEST( HexGridAlgorithm, IdsAreDeterministicAndAgreeAcrossOverlappingExtents )
{
  auto a = polygonLayer(
      QStringLiteral( "EPSG:32618" ),
      { QStringLiteral(
          "POLYGON((580000 4500000, 590000 4500000, 590000 4508000, 580000 4508000, 580000 4500000))" ) } );
  auto b = polygonLayer(
      QStringLiteral( "EPSG:32618" ),
      { QStringLiteral(
          "POLYGON((585000 4504000, 596000 4504000, 596000 4512000, 585000 4512000, 585000 4504000))" ) } );
  QgsProcessingContext context;
  const AlgorithmRun runA1 = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( a.get(), 400 ), context );
  const AlgorithmRun runA2 = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( a.get(), 400 ), context );
  const AlgorithmRun runB = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( b.get(), 400 ), context );
  ASSERT_TRUE( runA1.ok && runA2.ok && runB.ok );
  const auto ga1 = geometriesById( outputLayer( runA1, context ) );
  const auto ga2 = geometriesById( outputLayer( runA2, context ) );
  const auto gb = geometriesById( outputLayer( runB, context ) );
  ASSERT_EQ( ga1.size(), ga2.size() );
  for ( const auto &[id, geometry] : ga1 )
    EXPECT_TRUE( geometry.equals( ga2.at( id ) ) ) << id.toStdString();
  int shared = 0;
  for ( const auto &[id, geometry] : gb )
  {
    const auto it = ga1.find( id );
    if ( it == ga1.end() )
      continue;
    ++shared;
    EXPECT_TRUE( geometry.equals( it->second ) ) << "same id, same hexagon: " << id.toStdString();
  }
  EXPECT_GT( shared, 50 ) << "the overlap (5 km x 4 km) holds many shared hexagons";
}

TEST( HexGridAlgorithm, GeographicInputInNewYorkGoesToUtm18N )
{
  // Central Park, roughly, in EPSG:4326.
  auto layer = polygonLayer(
      QStringLiteral( "EPSG:4326" ),
      { QStringLiteral(
          "POLYGON((-73.981 40.768, -73.958 40.800, -73.949 40.797, -73.973 40.764, -73.981 40.768))" ) } );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 100 ), context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( QStringLiteral( "OUTPUT_CRS" ) ).toString(), QStringLiteral( "EPSG:32618" ) );
  QgsVectorLayer *out = outputLayer( run, context );
  ASSERT_TRUE( out );
  EXPECT_EQ( out->crs().authid(), QStringLiteral( "EPSG:32618" ) );
  QgsFeature f;
  QgsFeatureIterator it = out->getFeatures();
  ASSERT_TRUE( it.nextFeature( f ) );
  EXPECT_NEAR( f.attribute( "centroid_lon" ).toDouble(), -73.965, 0.02 );
  EXPECT_NEAR( f.attribute( "centroid_lat" ).toDouble(), 40.782, 0.02 );
  // Park area ~3.4 km^2 over 0.026 km^2 hexagons.
  EXPECT_GT( out->featureCount(), 80 );
  EXPECT_LT( out->featureCount(), 180 );
}

TEST( HexGridAlgorithm, FeetCrsKeepsTheSizeInMetres )
{
  // EPSG:2263 (NY Long Island, US survey feet): a 100 m side hexagon still has 25,980.76 m^2.
  // QGIS 3.22 knows only the international foot (0.3048 m), 2 ppm shorter than the US survey foot,
  // so the hexagon drawn in this CRS is 4 ppm larger in area than exact: tolerance 1e-5 relative.
  auto layer = polygonLayer(
      QStringLiteral( "EPSG:2263" ),
      { QStringLiteral( "POLYGON((980000 200000, 990000 200000, 990000 210000, 980000 210000, 980000 200000))" ) } );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 100 ), context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  QgsVectorLayer *out = outputLayer( run, context );
  QgsFeature f;
  QgsFeatureIterator it = out->getFeatures();
  ASSERT_TRUE( it.nextFeature( f ) );
  EXPECT_NEAR( f.attribute( "area_m2" ).toDouble(), 25980.762, 0.01 );
  const double ftPerM = 1.0 / 0.3048006096012192;
  EXPECT_NEAR( f.geometry().area(), 25980.762 * ftPerM * ftPerM, 1e-5 * 25980.762 * ftPerM * ftPerM );
}

TEST( HexGridAlgorithm, EmptyBoundaryLayerIsRefusedByName )
{
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), {}, QStringLiteral( "empty_city" ) );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 500 ), context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( QStringLiteral( "empty_city" ) ) ) << run.error.toStdString();
  EXPECT_TRUE( run.error.contains( QStringLiteral( "no features" ) ) ) << run.error.toStdString();
}

TEST( HexGridAlgorithm, NonPositiveSizeIsRefusedQuotingTheValue )
{
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { kRectangle } );
  for ( double size : { 0.0, -250.0 } )
  {
    QgsProcessingContext context;
    const AlgorithmRun run =
        runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), size ), context );
    EXPECT_FALSE( run.ok );
    EXPECT_TRUE( run.error.contains( QStringLiteral( "HEX_SIZE" ) ) ) << run.error.toStdString();
    EXPECT_TRUE( run.error.contains( QString::number( size ) ) ) << run.error.toStdString();
  }
}

TEST( HexGridAlgorithm, GridAboveTheCapIsRefusedWithCountAndCap )
{
  // 10 km x 10 km with 10 m sides: 1e8 / 259.81 = 384,900 interior hexagons plus a band of
  // 2 * perimeter / side = 8,000 along the edge gives the stated estimate of 392,901. Cap at 1000.
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { kRectangle } );
  QVariantMap params = hexParams( layer.get(), 10 );
  params.insert( QStringLiteral( "MAX_HEXAGONS" ), 1000 );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), params, context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( QStringLiteral( "MAX_HEXAGONS" ) ) ) << run.error.toStdString();
  EXPECT_TRUE( run.error.contains( QLocale().toString( 1000 ) ) ) << run.error.toStdString();
  EXPECT_TRUE( run.error.contains( QStringLiteral( "about %1" ).arg( QLocale().toString( 392901 ) ) ) )
      << "the estimate: " << run.error.toStdString();
}

TEST( HexGridAlgorithm, GeographicOutputCrsIsRefused )
{
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { kRectangle } );
  QVariantMap params = hexParams( layer.get(), 500 );
  params.insert( QStringLiteral( "TARGET_CRS" ), QStringLiteral( "EPSG:4326" ) );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), params, context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( QStringLiteral( "EPSG:4326" ) ) &&
               run.error.contains( QStringLiteral( "geographic" ) ) )
      << run.error.toStdString();
}

TEST( HexGridAlgorithm, BoundarySmallerThanAHexagonIsExplained )
{
  auto layer =
      polygonLayer( QStringLiteral( "EPSG:32618" ), { QStringLiteral( "POLYGON((10 10, 20 10, 20 20, 10 10))" ) } );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 1000 ), context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( QStringLiteral( "smaller than one hexagon" ) ) ) << run.error.toStdString();
}

TEST( HexGridAlgorithm, FileOutputIsAtomicAndCancellationLeavesThePreviousFile )
{
  QTemporaryDir dir;
  const QString path = dir.filePath( QStringLiteral( "hexes.gpkg" ) );
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { kRectangle } );
  {
    QgsProcessingContext context;
    const AlgorithmRun run =
        runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 1000, path ), context );
    ASSERT_TRUE( run.ok ) << run.error.toStdString();
    EXPECT_EQ( run.outputs.value( QStringLiteral( "OUTPUT" ) ).toString(), QFileInfo( path ).absoluteFilePath() );
  }
  QgsVectorLayer written( path, QStringLiteral( "w" ), QStringLiteral( "ogr" ) );
  ASSERT_TRUE( written.isValid() );
  EXPECT_EQ( written.featureCount(), 33 );
  const QByteArray before = [&]
  {
    QFile f( path );
    f.open( QIODevice::ReadOnly );
    return f.readAll();
  }();

  // A re-run with another size, cancelled while writing, must leave the first result exactly as it was.
  CancelMidway cancelled;
  QgsProcessingContext context;
  const AlgorithmRun run =
      runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 300, path ), context, &cancelled );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( QStringLiteral( "Cancelled after" ) ) )
      << "cancelled while writing: " << run.error.toStdString();
  QFile after( path );
  ASSERT_TRUE( after.open( QIODevice::ReadOnly ) );
  EXPECT_EQ( after.readAll(), before );
  const QStringList leftovers =
      QDir( dir.path() ).entryList( QStringList() << QStringLiteral( ".musecl-partial-*" ), QDir::Dirs | QDir::Hidden );
  EXPECT_TRUE( leftovers.isEmpty() ) << leftovers.join( ',' ).toStdString();
}

TEST( HexGridAlgorithm, CancelledFirstRunLeavesNoFile )
{
  QTemporaryDir dir;
  const QString path = dir.filePath( QStringLiteral( "never.gpkg" ) );
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { kRectangle } );
  CancelMidway cancelled;
  QgsProcessingContext context;
  const AlgorithmRun run =
      runAlgorithm( QStringLiteral( "musecl:hexgrid" ), hexParams( layer.get(), 1000, path ), context, &cancelled );
  EXPECT_TRUE( run.error.contains( QStringLiteral( "Cancelled after" ) ) )
      << "cancelled while writing: " << run.error.toStdString();
  EXPECT_FALSE( run.ok );
  EXPECT_FALSE( QFileInfo::exists( path ) );
  EXPECT_TRUE( QDir( dir.path() ).entryList( QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot ).isEmpty() );
}

TEST( HexGridAlgorithm, StagingLeftByAKilledRunIsCleanedAfterADay )
{
  // Two leftovers of killed runs beside the output: one two days old (removed by the next run),
  // one an hour old (it could belong to a run still going: kept).
  QTemporaryDir dir;
  const QString old = dir.filePath( ".musecl-partial-old" ), recent = dir.filePath( ".musecl-partial-recent" ),
                oldModel = dir.filePath( ".m.musecl.musecl-partial-old" );
  ASSERT_TRUE( QDir().mkpath( old ) && QDir().mkpath( recent ) );
  QFile( old + "/grid.gpkg" ).open( QIODevice::WriteOnly );
  QFile( oldModel ).open( QIODevice::WriteOnly );
  auto age = []( const QString &path, int hours )
  {
    const time_t when = time( nullptr ) - hours * 3600;
    const struct utimbuf times
    {
        when, when
    };
    return ::utime( path.toLocal8Bit().constData(), &times ) == 0;
  };
  ASSERT_TRUE( age( old, 48 ) && age( oldModel, 48 ) && age( recent, 1 ) );
  auto layer = polygonLayer( QStringLiteral( "EPSG:32618" ), { kRectangle } );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:hexgrid" ),
                                         hexParams( layer.get(), 1000, dir.filePath( "grid.gpkg" ) ), context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_FALSE( QFileInfo::exists( old ) ) << "a two-day-old staging folder is removed";
  EXPECT_FALSE( QFileInfo::exists( oldModel ) ) << "a two-day-old staged model is removed";
  EXPECT_TRUE( QFileInfo::exists( recent ) ) << "an hour-old one may belong to a live run";
}

TEST( HexGridAlgorithm, ProviderIsRegisteredWithVersionAndIcon )
{
  QgsProcessingProvider *provider = QgsApplication::processingRegistry()->providerById( QStringLiteral( "musecl" ) );
  ASSERT_TRUE( provider );
  EXPECT_FALSE( provider->versionInfo().isEmpty() );
  EXPECT_TRUE( provider->longName().contains( QStringLiteral( "LibTorch" ) ) ) << provider->longName().toStdString();
  EXPECT_FALSE( provider->icon().isNull() );
  const QgsProcessingAlgorithm *alg = provider->algorithm( QStringLiteral( "hexgrid" ) );
  ASSERT_TRUE( alg );
  EXPECT_EQ( alg->id(), QStringLiteral( "musecl:hexgrid" ) );
  EXPECT_FALSE( alg->icon().isNull() );
  EXPECT_TRUE( alg->shortHelpString().contains( QStringLiteral( "side length" ) ) );
  // Every algorithm declares its flags: background-thread safe, cancellable, batch-capable.
  EXPECT_EQ( provider->algorithms().size(), 10 );
  for ( const QgsProcessingAlgorithm *a : provider->algorithms() )
  {
    EXPECT_TRUE( a->flags() & QgsProcessingAlgorithm::FlagCanCancel ) << a->id().toStdString();
    EXPECT_TRUE( a->flags() & QgsProcessingAlgorithm::FlagSupportsBatch ) << a->id().toStdString();
    EXPECT_FALSE( a->flags() & QgsProcessingAlgorithm::FlagNoThreading ) << a->id().toStdString();
    EXPECT_FALSE( a->shortHelpString().isEmpty() ) << a->id().toStdString();
    // The dialog's side pane: a few sentences in the dialog's own words. The full documentation
    // is the help page (helpUrl), checked where the plugin folder is installed (tests/desktop).
    EXPECT_LT( a->shortHelpString().size(), 800 ) << a->id().toStdString();
    const QRegularExpressionMatch id =
        QRegularExpression( QStringLiteral( "\\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\\b" ) ).match( a->shortHelpString() );
    EXPECT_FALSE( id.hasMatch() ) << a->id().toStdString() << " names the parameter id " << id.captured().toStdString()
                                  << ", which the dialog never shows";
  }
}
