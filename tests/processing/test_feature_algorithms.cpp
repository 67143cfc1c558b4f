// The region-feature algorithms on small hand-built layers whose right answers are counted by
// hand in the comments, plus equality with QGIS's own native:countpointsinpolygon.
#include "qgis_test_support.h"

#include <gtest/gtest.h>

#include <qgscoordinatetransform.h>
#include <qgsprocessingutils.h>
#include <qgsvectorfilewriter.h>

#include <gdal.h>
#include <gdal_priv.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <cmath>
#include <cstdio>
#include <random>

namespace
{
  // Four 1 km squares in EPSG:32618 (UTM 18N), ids A B (bottom row) C D (top row):
  //   C: x 500000-501000, y 4401000-4402000   D: x 501000-502000, y 4401000-4402000
  //   A: x 500000-501000, y 4400000-4401000   B: x 501000-502000, y 4400000-4401000
  std::unique_ptr<QgsVectorLayer> squareRegions()
  {
    auto layer = std::make_unique<QgsVectorLayer>( QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string&field=name:string" ), QStringLiteral( "squares" ), QStringLiteral( "memory" ) );
    const QStringList ids { "A", "B", "C", "D" };
    QgsFeatureList features;
    for ( int i = 0; i < 4; ++i )
    {
      const double x = 500000 + 1000 * ( i % 2 ), y = 4400000 + 1000 * ( i / 2 );
      QgsFeature f( layer->fields() );
      f.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 1000, y + 1000 ) ) );
      f.setAttributes( QgsAttributes() << ids[i] << QStringLiteral( "square %1" ).arg( ids[i] ) );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }

  QgsPointXY toWgs84( double x, double y )
  {
    const QgsCoordinateTransform t( QgsCoordinateReferenceSystem( "EPSG:32618" ), QgsCoordinateReferenceSystem( "EPSG:4326" ), QgsCoordinateTransformContext() );
    return t.transform( QgsPointXY( x, y ) );
  }

  struct Poi
  {
    double x, y;
    QVariant category;
    QString name;
  };

  // POIs are stored in EPSG:4326 on purpose: they must be transformed onto the UTM squares.
  std::unique_ptr<QgsVectorLayer> poiLayer( const QList<Poi> &pois )
  {
    auto layer = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:4326&field=fclass:string&field=name:string" ), QStringLiteral( "pois" ), QStringLiteral( "memory" ) );
    QgsFeatureList features;
    for ( const Poi &p : pois )
    {
      QgsFeature f( layer->fields() );
      f.setGeometry( QgsGeometry::fromPointXY( toWgs84( p.x, p.y ) ) );
      f.setAttributes( QgsAttributes() << p.category << p.name );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }

  QgsVectorLayer *layerOf( const AlgorithmRun &run, const QString &output, QgsProcessingContext &context )
  {
    return qobject_cast<QgsVectorLayer *>( QgsProcessingUtils::mapLayerFromString( run.outputs.value( output ).toString(), context ) );
  }

  QMap<QString, QgsFeature> byRegion( QgsVectorLayer *layer, const QString &idField = QStringLiteral( "region_id" ) )
  {
    QMap<QString, QgsFeature> out;
    QgsFeature f;
    QgsFeatureIterator it = layer->getFeatures();
    while ( it.nextFeature( f ) )
      out.insert( f.attribute( idField ).toString(), f );
    return out;
  }

  QList<Poi> standardPois()
  {
    return {
      { 500100, 4400100, "restaurant", "Joe's Diner" },   // A
      { 500200, 4400200, "restaurant", "Pizza Place" },   // A
      { 500300, 4400300, "cafe", "Corner Cafe" },         // A
      { 501500, 4400500, "cafe", "" },                    // B
      { 500500, 4401500, "school", "PS 1" },              // C
      { 501500, 4401500, QVariant(), "no category" },     // D, null category
      { 503000, 4403000, "bank", "Far Away Bank" },       // outside every square
    };
  }
}

TEST( PoiFeatures, CountsPerRegionAndCategoryAcrossCrss )
{
  auto regions = squareRegions();
  auto pois = poiLayer( standardPois() );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( pois.get() ) },
    { "CATEGORY_FIELD", "fclass" }, { "TEXT_FIELDS", QStringList { "name" } },
    { "OUTPUT", "memory:" }, { "OUTPUT_TABLE", "memory:" } }, context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "POIS_IN_REGIONS" ).toLongLong(), 6 );
  EXPECT_EQ( run.outputs.value( "POIS_OUTSIDE" ).toLongLong(), 1 );
  EXPECT_EQ( run.outputs.value( "CATEGORY_COUNT" ).toLongLong(), 3 ) << "restaurant, cafe, school (bank is outside)";
  QgsVectorLayer *out = layerOf( run, "OUTPUT", context );
  ASSERT_TRUE( out );
  EXPECT_EQ( out->featureCount(), 4 );
  // Input fields kept, then ours; categories ordered by frequency: cafe (2) = restaurant (2) by name, school (1).
  const QStringList expected { "region_id", "name", "poi_total", "poi_distinct", "poi_words", "cat_cafe", "cat_restaurant", "cat_school" };
  EXPECT_EQ( out->fields().names(), expected );
  const auto r = byRegion( out );
  EXPECT_EQ( r["A"].attribute( "poi_total" ).toDouble(), 3 );
  EXPECT_EQ( r["A"].attribute( "cat_restaurant" ).toDouble(), 2 );
  EXPECT_EQ( r["A"].attribute( "cat_cafe" ).toDouble(), 1 );
  EXPECT_EQ( r["A"].attribute( "poi_distinct" ).toDouble(), 2 );
  // Words: 3 category tokens + "joe","s","diner" + "pizza","place" + "corner","cafe" = 10.
  EXPECT_EQ( r["A"].attribute( "poi_words" ).toDouble(), 10 );
  EXPECT_EQ( r["B"].attribute( "cat_cafe" ).toDouble(), 1 );
  EXPECT_EQ( r["C"].attribute( "cat_school" ).toDouble(), 1 );
  EXPECT_EQ( r["D"].attribute( "poi_total" ).toDouble(), 1 ) << "a null category still counts in the total";
  EXPECT_EQ( r["D"].attribute( "poi_distinct" ).toDouble(), 0 );
  EXPECT_EQ( r["D"].attribute( "name" ).toString(), QStringLiteral( "square D" ) ) << "region attributes kept";

  QgsVectorLayer *table = layerOf( run, "OUTPUT_TABLE", context );
  ASSERT_TRUE( table );
  EXPECT_EQ( table->featureCount(), 4 ) << "A/restaurant, A/cafe, B/cafe, C/school";
  double sum = 0;
  QgsFeature f;
  QgsFeatureIterator it = table->getFeatures();
  while ( it.nextFeature( f ) )
    sum += f.attribute( "count" ).toDouble();
  EXPECT_EQ( sum, 5 );
}

TEST( PoiFeatures, APoiOnASharedEdgeIsCountedOnce )
{
  // Exactly on the edge x = 501000 between A and B, and on the corner shared by all four squares.
  auto regions = squareRegions();
  auto pois = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string" ), QStringLiteral( "edge_pois" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( const QgsPointXY &p : { QgsPointXY( 501000, 4400500 ), QgsPointXY( 501000, 4401000 ), QgsPointXY( 500500, 4401000 ) } )
  {
    QgsFeature feature( pois->fields() );
    feature.setGeometry( QgsGeometry::fromPointXY( p ) );
    feature.setAttributes( QgsAttributes() << "shop" );
    features << feature;
  }
  pois->dataProvider()->addFeatures( features );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( pois.get() ) },
    { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }, context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "POIS_IN_REGIONS" ).toLongLong(), 3 );
  double sum = 0;
  for ( const QgsFeature &f : byRegion( layerOf( run, "OUTPUT", context ) ) )
    sum += f.attribute( "poi_total" ).toDouble();
  EXPECT_EQ( sum, 3 ) << "three points, three counts, whatever squares they touch";
}

TEST( PoiFeatures, TopKSumsTheRestIntoOtherAndNamesNeverCollide )
{
  auto regions = squareRegions();
  // "Bar & Grill" and "bar grill" sanitise to the same name; "other" collides with cat_other.
  auto pois = poiLayer( {
    { 500100, 4400100, "Bar & Grill", "" }, { 500200, 4400100, "Bar & Grill", "" }, { 500300, 4400100, "Bar & Grill", "" },
    { 500100, 4400200, "bar grill", "" }, { 500200, 4400200, "bar grill", "" },
    { 500100, 4400300, "other", "" },
    { 500100, 4400400, "zoo", "" } } );
  QgsProcessingContext context;
  const AlgorithmRun all = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( pois.get() ) },
    { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }, context );
  ASSERT_TRUE( all.ok ) << all.error.toStdString();
  const QStringList allFields = layerOf( all, "OUTPUT", context )->fields().names().mid( 5 );
  EXPECT_EQ( allFields, QStringList( { "cat_bar_grill", "cat_bar_grill_2", "cat_other", "cat_zoo" } ) );

  const AlgorithmRun top = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( pois.get() ) },
    { "CATEGORY_FIELD", "fclass" }, { "TOP_K", 1 }, { "OUTPUT", "memory:" } }, context );
  ASSERT_TRUE( top.ok ) << top.error.toStdString();
  QgsVectorLayer *out = layerOf( top, "OUTPUT", context );
  EXPECT_EQ( out->fields().names().mid( 5 ), QStringList( { "cat_bar_grill", "cat_other" } ) );
  const QgsFeature a = byRegion( out )["A"];
  EXPECT_EQ( a.attribute( "cat_bar_grill" ).toDouble(), 3 );
  EXPECT_EQ( a.attribute( "cat_other" ).toDouble(), 4 ) << "bar grill (2) + other (1) + zoo (1)";
}

TEST( PoiFeatures, HexGridCountsEqualQgisCountPointsInPolygon )
{
  // Random POIs over a hexagon grid: the lattice path must agree with QGIS point by point.
  auto boundary = polygonLayer( QStringLiteral( "EPSG:32618" ), { QStringLiteral( "POLYGON((580000 4500000, 586000 4501000, 584000 4506000, 579000 4504000, 580000 4500000))" ) } );
  QgsProcessingContext context;
  const AlgorithmRun grid = runAlgorithm( QStringLiteral( "musecl:hexgrid" ), {
    { "INPUT", QVariant::fromValue( boundary.get() ) }, { "HEX_SIZE", 250 }, { "CLIP", true }, { "COVERAGE", 1 }, { "OUTPUT", "memory:" } }, context );
  ASSERT_TRUE( grid.ok ) << grid.error.toStdString();
  QgsVectorLayer *hexes = layerOf( grid, "OUTPUT", context );

  auto pois = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string" ), QStringLiteral( "random" ), QStringLiteral( "memory" ) );
  std::mt19937 rng( 7 );
  std::uniform_real_distribution<double> ux( 578000, 587000 ), uy( 4499000, 4507000 );
  QgsFeatureList features;
  for ( int i = 0; i < 5000; ++i )
  {
    QgsFeature f( pois->fields() );
    f.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( ux( rng ), uy( rng ) ) ) );
    f.setAttributes( QgsAttributes() << ( i % 3 ? "a" : "b" ) );
    features << f;
  }
  pois->dataProvider()->addFeatures( features );

  std::string log;
  QgsProcessingFeedback feedback;
  const AlgorithmRun ours = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( hexes ) }, { "POIS", QVariant::fromValue( pois.get() ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }, context, &feedback );
  ASSERT_TRUE( ours.ok ) << ours.error.toStdString();
  EXPECT_TRUE( feedback.textLog().contains( QStringLiteral( "lattice" ) ) ) << "clipped hexgrid output still uses the lattice path";
  const AlgorithmRun native = runAlgorithm( QStringLiteral( "native:countpointsinpolygon" ), {
    { "POLYGONS", QVariant::fromValue( hexes ) }, { "POINTS", QVariant::fromValue( pois.get() ) }, { "FIELD", "NUMPOINTS" }, { "OUTPUT", "memory:" } }, context );
  ASSERT_TRUE( native.ok ) << native.error.toStdString();
  const auto a = byRegion( layerOf( ours, "OUTPUT", context ) );
  const auto b = byRegion( layerOf( native, "OUTPUT", context ) );
  ASSERT_EQ( a.size(), b.size() );
  double total = 0;
  for ( auto it = a.begin(); it != a.end(); ++it )
  {
    EXPECT_EQ( it.value().attribute( "poi_total" ).toDouble(), b[it.key()].attribute( "NUMPOINTS" ).toDouble() ) << it.key().toStdString();
    total += it.value().attribute( "poi_total" ).toDouble();
  }
  EXPECT_EQ( total, ours.outputs.value( "POIS_IN_REGIONS" ).toDouble() );
  EXPECT_GT( total, 1500 );
}

TEST( PoiFeatures, BadInputsAreRefusedByName )
{
  auto regions = squareRegions();
  auto pois = poiLayer( standardPois() );
  QgsProcessingContext context;
  const AlgorithmRun missingField = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( pois.get() ) }, { "CATEGORY_FIELD", "kind" }, { "OUTPUT", "memory:" } }, context );
  EXPECT_FALSE( missingField.ok );
  EXPECT_TRUE( missingField.error.contains( "“kind”" ) && missingField.error.contains( "pois" ) && missingField.error.contains( "fclass" ) ) << missingField.error.toStdString();

  auto empty = poiLayer( {} );
  const AlgorithmRun emptyRun = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( empty.get() ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }, context );
  EXPECT_FALSE( emptyRun.ok );
  EXPECT_TRUE( emptyRun.error.contains( "no features" ) ) << emptyRun.error.toStdString();

  auto far = poiLayer( { { 900000, 4900000, "shop", "" } } );
  const AlgorithmRun noOverlap = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( far.get() ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }, context );
  EXPECT_FALSE( noOverlap.ok );
  EXPECT_TRUE( noOverlap.error.contains( "overlap" ) && noOverlap.error.contains( "EPSG:4326" ) && noOverlap.error.contains( "EPSG:32618" ) ) << noOverlap.error.toStdString();

  // Duplicate region ids.
  auto dup = squareRegions();
  dup->startEditing();
  QgsFeature first;
  dup->getFeatures().nextFeature( first );
  dup->changeAttributeValue( first.id(), 0, "B" );
  dup->commitChanges();
  const AlgorithmRun dupRun = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( dup.get() ) }, { "POIS", QVariant::fromValue( pois.get() ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }, context );
  EXPECT_FALSE( dupRun.ok );
  EXPECT_TRUE( dupRun.error.contains( "“B” appears twice" ) ) << dupRun.error.toStdString();
}

namespace
{
  std::unique_ptr<QgsVectorLayer> flowLines( const QList<std::tuple<QgsPointXY, QgsPointXY, QVariant>> &flows )
  {
    auto layer = std::make_unique<QgsVectorLayer>( QStringLiteral( "LineString?crs=EPSG:4326&field=trips:double" ), QStringLiteral( "flows" ), QStringLiteral( "memory" ) );
    QgsFeatureList features;
    for ( const auto &[from, to, trips] : flows )
    {
      QgsFeature f( layer->fields() );
      // A middle vertex off the straight line: only the first and last vertices may matter.
      f.setGeometry( QgsGeometry::fromPolylineXY( { toWgs84( from.x(), from.y() ), toWgs84( 510000, 4410000 ), toWgs84( to.x(), to.y() ) } ) );
      f.setAttributes( QgsAttributes() << trips );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }
  const QgsPointXY kInA( 500500, 4400500 ), kInB( 501500, 4400500 ), kInC( 500500, 4401500 ), kOutside( 520000, 4420000 );
}

TEST( MobilityFeatures, InflowOutflowAndInternalFromOdLines )
{
  auto regions = squareRegions();
  auto flows = flowLines( {
    { kInA, kInB, 10.0 }, { kInA, kInC, 5.0 }, { kInB, kInA, 2.0 }, { kInA, kInA, 7.0 },  // inside: 24
    { kInA, kOutside, 100.0 }, { kOutside, kInB, 50.0 },                              // an end outside: 150, 2 flows
    { kInC, kInB, QVariant() } } );                                                  // null weight: counts 0
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "FLOWS", QVariant::fromValue( flows.get() ) }, { "WEIGHT_FIELD", "trips" },
    { "OUTPUT", "memory:" }, { "OUTPUT_OD", "memory:" } }, context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "WEIGHT_INSIDE" ).toDouble(), 24 );
  EXPECT_EQ( run.outputs.value( "FLOWS_OUTSIDE" ).toLongLong(), 2 );
  EXPECT_EQ( run.outputs.value( "WEIGHT_OUTSIDE" ).toDouble(), 150 );
  EXPECT_TRUE( feedback.textLog().contains( "1 flows have a null trips" ) ) << feedback.textLog().toStdString();
  const auto r = byRegion( layerOf( run, "OUTPUT", context ) );
  EXPECT_EQ( r["A"].attribute( "outflow" ).toDouble(), 22 );  // 10 + 5 + 7
  EXPECT_EQ( r["A"].attribute( "inflow" ).toDouble(), 9 );    // 2 + 7
  EXPECT_EQ( r["A"].attribute( "internal" ).toDouble(), 7 );
  EXPECT_EQ( r["B"].attribute( "inflow" ).toDouble(), 10 );
  EXPECT_EQ( r["C"].attribute( "inflow" ).toDouble(), 5 );
  double in = 0, out = 0;
  for ( const QgsFeature &f : r )
  {
    in += f.attribute( "inflow" ).toDouble();
    out += f.attribute( "outflow" ).toDouble();
  }
  EXPECT_EQ( in, 24 );
  EXPECT_EQ( out, 24 );
  QgsVectorLayer *od = layerOf( run, "OUTPUT_OD", context );
  ASSERT_TRUE( od );
  EXPECT_EQ( od->featureCount(), 5 ) << "A>B, A>C, B>A, A>A, C>B (weight 0)";
}

TEST( MobilityFeatures, TripEndPointsAndBadInputs )
{
  auto regions = squareRegions();
  auto points = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=role:string&field=w:double" ), QStringLiteral( "trip_ends" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( const auto &[p, role, w] : QList<std::tuple<QgsPointXY, QString, double>> { { kInA, "o", 3 }, { kInB, "D", 3 }, { kInB, "O", 1 }, { kInC, "x", 9 }, { kOutside, "D", 4 } } )
  {
    QgsFeature f( points->fields() );
    f.setGeometry( QgsGeometry::fromPointXY( p ) );
    f.setAttributes( QgsAttributes() << role << w );
    features << f;
  }
  points->dataProvider()->addFeatures( features );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "FLOWS", QVariant::fromValue( points.get() ) }, { "FLOW_TYPE", 1 },
    { "WEIGHT_FIELD", "w" }, { "ROLE_FIELD", "role" }, { "OUTPUT", "memory:" } }, context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  const auto r = byRegion( layerOf( run, "OUTPUT", context ) );
  EXPECT_EQ( r["A"].attribute( "outflow" ).toDouble(), 3 );
  EXPECT_EQ( r["B"].attribute( "inflow" ).toDouble(), 3 );
  EXPECT_EQ( r["B"].attribute( "outflow" ).toDouble(), 1 );
  EXPECT_EQ( run.outputs.value( "FLOWS_OUTSIDE" ).toLongLong(), 1 );

  const AlgorithmRun wrongType = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "FLOWS", QVariant::fromValue( points.get() ) }, { "OUTPUT", "memory:" } }, context );
  EXPECT_FALSE( wrongType.ok );
  EXPECT_TRUE( wrongType.error.contains( "trip_ends" ) && wrongType.error.contains( "FLOW_TYPE" ) ) << wrongType.error.toStdString();

  auto negative = flowLines( { { kInA, kInB, -3.0 } } );
  const AlgorithmRun negativeRun = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "FLOWS", QVariant::fromValue( negative.get() ) }, { "WEIGHT_FIELD", "trips" }, { "OUTPUT", "memory:" } }, context );
  EXPECT_FALSE( negativeRun.ok );
  EXPECT_TRUE( negativeRun.error.contains( "“-3”" ) ) << negativeRun.error.toStdString();
}

namespace
{
  // A 3-band Byte GeoTIFF in EPSG:32618 covering squares A and B only (x 500000-502000,
  // y 4400000-4401000) at 10 m, with the value 7 everywhere except nodata (0) over x > 501500.
  QString makeRaster( const QString &dir, int nodataFromColumn = 150 )
  {
    GDALAllRegister();
    const QString path = dir + QStringLiteral( "/image.tif" );
    GDALDataset *ds = GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create( path.toUtf8().constData(), 200, 100, 3, GDT_Byte, nullptr );
    double gt[6] = { 500000, 10, 0, 4401000, 0, -10 };
    ds->SetGeoTransform( gt );
    OGRSpatialReference srs;
    srs.importFromEPSG( 32618 );
    ds->SetSpatialRef( &srs );
    std::vector<unsigned char> pixels( 200 * 100, 7 );
    for ( int row = 0; row < 100; ++row )
      for ( int col = nodataFromColumn; col < 200; ++col )
        pixels[row * 200 + col] = 0;
    for ( int b = 1; b <= 3; ++b )
    {
      ds->GetRasterBand( b )->SetNoDataValue( 0 );
      EXPECT_EQ( ds->GetRasterBand( b )->RasterIO( GF_Write, 0, 0, 200, 100, pixels.data(), 200, 100, GDT_Byte, 0, 0 ), CE_None );
    }
    GDALClose( ds );
    return path;
  }

  QVariantMap chipParams( QgsVectorLayer *regions, const QString &raster, const QString &folder )
  {
    return { { "REGIONS", QVariant::fromValue( regions ) }, { "RASTER", raster }, { "CHIP_SIZE", 32 },
      { "OUTPUT_FOLDER", folder }, { "OUTPUT_INDEX", "memory:" }, { "THREADS", 2 } };
  }
}

TEST( ImageChips, OneChipPerRegionWithValidFractionsAndNoChipWhereNoData )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path() );
  auto regions = squareRegions();
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const QString folder = dir.filePath( "chips" );
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ), chipParams( regions.get(), raster, folder ), context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "CHIP_COUNT" ).toLongLong(), 2 ) << "C and D lie north of the raster";
  EXPECT_EQ( run.outputs.value( "REGIONS_WITHOUT_CHIP" ).toLongLong(), 2 );
  EXPECT_TRUE( feedback.textLog().contains( "C, D" ) ) << feedback.textLog().toStdString();
  const auto index = byRegion( layerOf( run, "OUTPUT_INDEX", context ) );
  EXPECT_DOUBLE_EQ( index["A"].attribute( "valid_fraction" ).toDouble(), 1.0 );
  // B: columns 100-199 of the raster, the eastern half nodata -> half its chip is valid.
  EXPECT_NEAR( index["B"].attribute( "valid_fraction" ).toDouble(), 0.5, 1.0 / 32 );
  EXPECT_TRUE( index["C"].attribute( "path" ).isNull() );
  const QString chipA = index["A"].attribute( "path" ).toString();
  EXPECT_EQ( chipA, QDir( folder ).absoluteFilePath( "chip_a.tif" ) );
  GDALDatasetH chip = GDALOpen( chipA.toUtf8().constData(), GA_ReadOnly );
  ASSERT_TRUE( chip );
  EXPECT_EQ( GDALGetRasterXSize( chip ), 32 );
  EXPECT_EQ( GDALGetRasterCount( chip ), 3 );
  double gt[6];
  GDALGetGeoTransform( chip, gt );
  EXPECT_NEAR( gt[0], 500000, 1e-6 );
  EXPECT_NEAR( gt[1], 1000.0 / 32, 1e-9 );
  double minMax[2];
  GDALComputeRasterMinMax( GDALGetRasterBand( chip, 1 ), FALSE, minMax );
  EXPECT_EQ( minMax[0], 7 );
  EXPECT_EQ( minMax[1], 7 );
  GDALClose( chip );
  EXPECT_EQ( QDir( folder ).entryList( QDir::Files ).size(), 2 );
  EXPECT_TRUE( QDir( folder ).entryList( QStringList() << ".musecl-partial-*", QDir::Dirs | QDir::Hidden ).isEmpty() );
}

TEST( ImageChips, MaskAndPngAndRegionsInAnotherCrs )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path(), 200 );
  // A triangle over square A, given in EPSG:4326: masking keeps about half of its bounding square.
  const QgsPointXY a = toWgs84( 500000, 4400000 ), b = toWgs84( 501000, 4400000 ), c = toWgs84( 500000, 4401000 );
  auto triangle = polygonLayer( QStringLiteral( "EPSG:4326" ), { QStringLiteral( "POLYGON((%1 %2, %3 %4, %5 %6, %1 %2))" )
                                .arg( a.x(), 0, 'f', 9 ).arg( a.y(), 0, 'f', 9 ).arg( b.x(), 0, 'f', 9 ).arg( b.y(), 0, 'f', 9 ).arg( c.x(), 0, 'f', 9 ).arg( c.y(), 0, 'f', 9 ) } );
  QVariantMap params = chipParams( triangle.get(), raster, dir.filePath( "png" ) );
  params.insert( "MASK", true );
  params.insert( "FORMAT", 1 );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ), params, context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  QgsFeature row;
  layerOf( run, "OUTPUT_INDEX", context )->getFeatures().nextFeature( row );
  EXPECT_NEAR( row.attribute( "valid_fraction" ).toDouble(), 0.5, 0.05 );
  EXPECT_TRUE( row.attribute( "path" ).toString().endsWith( ".png" ) );
  EXPECT_TRUE( QFile::exists( row.attribute( "path" ).toString() ) );
}

TEST( ImageChips, RasterNotOverlappingTheRegionsIsRefusedWithBothExtents )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path() );
  auto far = polygonLayer( QStringLiteral( "EPSG:32618" ), { QStringLiteral( "POLYGON((600000 4500000, 601000 4500000, 601000 4501000, 600000 4500000))" ) }, QStringLiteral( "far_regions" ) );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ), chipParams( far.get(), raster, dir.filePath( "none" ) ), context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( "does not overlap" ) && run.error.contains( "far_regions" ) && run.error.contains( "500000" ) && run.error.contains( "600000" ) )
      << run.error.toStdString();
  EXPECT_FALSE( QDir( dir.filePath( "none" ) ).exists() && !QDir( dir.filePath( "none" ) ).entryList( QDir::Files ).isEmpty() );
}

TEST( ImageChips, NodataOnlyRasterGivesAClearError )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path(), 0 );  // every pixel nodata
  auto regions = squareRegions();
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ), chipParams( regions.get(), raster, dir.filePath( "chips" ) ), context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( "No region" ) && run.error.contains( "valid pixel" ) ) << run.error.toStdString();
  EXPECT_TRUE( QDir( dir.filePath( "chips" ) ).entryList( QDir::Files ).isEmpty() ) << "nothing written";
}

TEST( StreetView, AssignsReadableImagesAndReportsTheRest )
{
  QTemporaryDir dir;
  QDir().mkpath( dir.filePath( "photos" ) );
  GDALAllRegister();
  GDALDriver *mem = GetGDALDriverManager()->GetDriverByName( "MEM" );
  GDALDriver *png = GetGDALDriverManager()->GetDriverByName( "PNG" );
  for ( const char *name : { "a1.png", "a2.png", "b1.png", "far.png" } )
  {
    GDALDataset *src = mem->Create( "", 4, 4, 3, GDT_Byte, nullptr );
    GDALClose( png->CreateCopy( dir.filePath( QStringLiteral( "photos/%1" ).arg( name ) ).toUtf8().constData(), src, FALSE, nullptr, nullptr, nullptr ) );
    GDALClose( src );
  }
  QFile corrupt( dir.filePath( "photos/corrupt.jpg" ) );
  corrupt.open( QIODevice::WriteOnly );
  corrupt.write( "not an image" );
  corrupt.close();

  // A GeoPackage in `dir` with paths relative to it: they must resolve against the layer's folder.
  auto memoryPoints = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=file:string" ), QStringLiteral( "photos" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( const auto &[p, file] : QList<std::pair<QgsPointXY, QVariant>> {
          { kInA, "photos/a1.png" }, { kInA, "photos/a2.png" }, { kInB, "photos/b1.png" }, { kInB, "photos/missing.png" },
          { kInC, "photos/corrupt.jpg" }, { kOutside, "photos/far.png" }, { kInC, QVariant() } } )
  {
    QgsFeature f( memoryPoints->fields() );
    f.setGeometry( QgsGeometry::fromPointXY( p ) );
    f.setAttributes( QgsAttributes() << file );
    features << f;
  }
  memoryPoints->dataProvider()->addFeatures( features );
  const QString gpkg = dir.filePath( "photos.gpkg" );
  QgsVectorFileWriter::SaveVectorOptions options;
  options.driverName = QStringLiteral( "GPKG" );
  QString error;
  ASSERT_EQ( QgsVectorFileWriter::writeAsVectorFormatV3( memoryPoints.get(), gpkg, QgsCoordinateTransformContext(), options, &error ), QgsVectorFileWriter::NoError ) << error.toStdString();

  auto regions = squareRegions();
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:streetview" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "IMAGES", gpkg }, { "PATH_FIELD", "file" },
    { "OUTPUT", "memory:" }, { "OUTPUT_INDEX", "memory:" } }, context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "IMAGES_ASSIGNED" ).toLongLong(), 3 );
  EXPECT_EQ( run.outputs.value( "IMAGES_REJECTED" ).toLongLong(), 4 ) << "missing, corrupt, outside, no path";
  const QString log = feedback.textLog();
  EXPECT_TRUE( log.contains( "missing.png" ) && log.contains( "corrupt.jpg" ) && log.contains( "far.png" ) ) << log.toStdString();
  const auto r = byRegion( layerOf( run, "OUTPUT", context ) );
  EXPECT_EQ( r["A"].attribute( "sv_images" ).toInt(), 2 );
  EXPECT_EQ( r["B"].attribute( "sv_images" ).toInt(), 1 );
  EXPECT_EQ( r["C"].attribute( "sv_images" ).toInt(), 0 );
  QgsFeature row;
  QgsFeatureIterator it = layerOf( run, "OUTPUT_INDEX", context )->getFeatures();
  while ( it.nextFeature( row ) )
    EXPECT_TRUE( QFileInfo( row.attribute( "image_path" ).toString() ).isAbsolute() && QFile::exists( row.attribute( "image_path" ).toString() ) );
}

TEST( FeatureAlgorithms, CancellationWhileReadingPointsLeavesNoOutput )
{
  QTemporaryDir dir;
  auto regions = squareRegions();
  auto pois = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string" ), QStringLiteral( "many" ), QStringLiteral( "memory" ) );
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
    CancelAtHalf() { QObject::connect( this, &QgsFeedback::progressChanged, this, [this]( double p ) { if ( p >= 30 ) cancel(); } ); }
  } feedback;
  QgsProcessingContext context;
  const QString path = dir.filePath( "counts.gpkg" );
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:poifeatures" ), {
    { "REGIONS", QVariant::fromValue( regions.get() ) }, { "POIS", QVariant::fromValue( pois.get() ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", path } }, context, &feedback );
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
  const AlgorithmRun grid = runAlgorithm( "musecl:hexgrid", { { "INPUT", QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city/boundary.geojson" ) },
    { "HEX_SIZE", 500 }, { "OUTPUT", "memory:" } }, gridContext );
  ASSERT_TRUE( grid.ok ) << grid.error.toStdString();
  QgsVectorLayer *regions = layerOf( grid, "OUTPUT", gridContext );
  QTemporaryDir dir;
  std::mt19937_64 rng( 20261130 );
  const int perLayer = qEnvironmentVariableIsSet( "MUSECL_FUZZ_CASES" ) ? qEnvironmentVariableIntValue( "MUSECL_FUZZ_CASES" ) / 2 : 100;
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
          bytes[static_cast<int>( rng() % n )] = static_cast<char>( bytes[static_cast<int>( rng() % n )] ^ ( 1 << ( rng() % 8 ) ) );
      else if ( k % 3 == 1 )
        bytes.truncate( static_cast<int>( rng() % n ) );
      else
        for ( int at = static_cast<int>( rng() % n ), e = std::min( n, at + 1 + static_cast<int>( rng() % 256 ) ); at < e; ++at )
          bytes[at] = static_cast<char>( rng() );
      const QString path = dir.filePath( QStringLiteral( "%1_%2.gpkg" ).arg( name ).arg( k ) );
      QFile out( path );
      ASSERT_TRUE( out.open( QIODevice::WriteOnly ) );
      out.write( bytes );
      out.close();
      QgsProcessingContext context;
      const AlgorithmRun run = name == QLatin1String( "flows" )
                               ? runAlgorithm( "musecl:mobilityfeatures", { { "REGIONS", QVariant::fromValue( regions ) }, { "FLOWS", path }, { "WEIGHT_FIELD", "trips" }, { "OUTPUT", "memory:" } }, context )
                               : runAlgorithm( "musecl:poifeatures", { { "REGIONS", QVariant::fromValue( regions ) }, { "POIS", path }, { "CATEGORY_FIELD", "category" }, { "OUTPUT", "memory:" } }, context );
      if ( run.ok )
        ++succeeded;
      else
      {
        ++failed;
        EXPECT_FALSE( run.error.trimmed().isEmpty() ) << name.toStdString() << " case " << k << " failed without a message";
      }
    }
  }
  std::printf( "GeoPackage fuzz: %d damaged files, %d read without error (GeoPackage has no checksums: a changed value reads as data), %d refused with a message\n", succeeded + failed, succeeded, failed );
  EXPECT_GT( failed, 0 );
}
