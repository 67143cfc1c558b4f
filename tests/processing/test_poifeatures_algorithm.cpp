// musecl:poifeatures on small hand-built layers whose right answers are counted by hand in the
// comments, plus equality with QGIS's own native:countpointsinpolygon.
#include "feature_fixtures.h"

#include <gtest/gtest.h>

#include <random>

using namespace feature_fixtures;

namespace
{
  struct Poi
  {
      double x, y;
      QVariant category;
      QString name;
  };

  // POIs are stored in EPSG:4326 on purpose: they must be transformed onto the UTM squares.
  std::unique_ptr<QgsVectorLayer> poiLayer( const QList<Poi> &pois )
  {
    auto layer =
        std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:4326&field=fclass:string&field=name:string" ),
                                          QStringLiteral( "pois" ), QStringLiteral( "memory" ) );
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

  QList<Poi> standardPois()
  {
    return {
      { 500100, 4400100, "restaurant", "Joe's Diner" }, // A
      { 500200, 4400200, "restaurant", "Pizza Place" }, // A
      { 500300, 4400300, "cafe", "Corner Cafe" },       // A
      { 501500, 4400500, "cafe", "" },                  // B
      { 500500, 4401500, "school", "PS 1" },            // C
      { 501500, 4401500, QVariant(), "no category" },   // D, null category
      { 503000, 4403000, "bank", "Far Away Bank" },     // outside every square
    };
  }
} // namespace

TEST( PoiFeatures, CountsPerRegionAndCategoryAcrossCrss )
{
  auto regions = squareRegions();
  auto pois = poiLayer( standardPois() );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "POIS", QVariant::fromValue( pois.get() ) },
                                           { "CATEGORY_FIELD", "fclass" },
                                           { "TEXT_FIELDS", QStringList{ "name" } },
                                           { "OUTPUT", "memory:" },
                                           { "OUTPUT_TABLE", "memory:" } },
                                         context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "POIS_IN_REGIONS" ).toLongLong(), 6 );
  EXPECT_EQ( run.outputs.value( "POIS_OUTSIDE" ).toLongLong(), 1 );
  EXPECT_EQ( run.outputs.value( "CATEGORY_COUNT" ).toLongLong(), 3 ) << "restaurant, cafe, school (bank is outside)";
  QgsVectorLayer *out = layerOf( run, "OUTPUT", context );
  ASSERT_TRUE( out );
  EXPECT_EQ( out->featureCount(), 4 );
  // Input fields kept, then ours; categories ordered by frequency: cafe (2) = restaurant (2) by name, school (1).
  const QStringList expected{ "region_id", "name",     "poi_total",      "poi_distinct",
                              "poi_words", "cat_cafe", "cat_restaurant", "cat_school" };
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
  auto pois = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string" ),
                                                QStringLiteral( "edge_pois" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( const QgsPointXY &p :
        { QgsPointXY( 501000, 4400500 ), QgsPointXY( 501000, 4401000 ), QgsPointXY( 500500, 4401000 ) } )
  {
    QgsFeature feature( pois->fields() );
    feature.setGeometry( QgsGeometry::fromPointXY( p ) );
    feature.setAttributes( QgsAttributes() << "shop" );
    features << feature;
  }
  pois->dataProvider()->addFeatures( features );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "POIS", QVariant::fromValue( pois.get() ) },
                                           { "CATEGORY_FIELD", "fclass" },
                                           { "OUTPUT", "memory:" } },
                                         context );
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
  auto pois = poiLayer( { { 500100, 4400100, "Bar & Grill", "" },
                          { 500200, 4400100, "Bar & Grill", "" },
                          { 500300, 4400100, "Bar & Grill", "" },
                          { 500100, 4400200, "bar grill", "" },
                          { 500200, 4400200, "bar grill", "" },
                          { 500100, 4400300, "other", "" },
                          { 500100, 4400400, "zoo", "" } } );
  QgsProcessingContext context;
  const AlgorithmRun all = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "POIS", QVariant::fromValue( pois.get() ) },
                                           { "CATEGORY_FIELD", "fclass" },
                                           { "OUTPUT", "memory:" } },
                                         context );
  ASSERT_TRUE( all.ok ) << all.error.toStdString();
  const QStringList allFields = layerOf( all, "OUTPUT", context )->fields().names().mid( 5 );
  EXPECT_EQ( allFields, QStringList( { "cat_bar_grill", "cat_bar_grill_2", "cat_other", "cat_zoo" } ) );

  const AlgorithmRun top = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "POIS", QVariant::fromValue( pois.get() ) },
                                           { "CATEGORY_FIELD", "fclass" },
                                           { "TOP_K", 1 },
                                           { "OUTPUT", "memory:" } },
                                         context );
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
  auto boundary = polygonLayer(
      QStringLiteral( "EPSG:32618" ),
      { QStringLiteral(
          "POLYGON((580000 4500000, 586000 4501000, 584000 4506000, 579000 4504000, 580000 4500000))" ) } );
  QgsProcessingContext context;
  const AlgorithmRun grid = runAlgorithm( QStringLiteral( "musecl:hexgrid" ),
                                          { { "INPUT", QVariant::fromValue( boundary.get() ) },
                                            { "HEX_SIZE", 250 },
                                            { "CLIP", true },
                                            { "COVERAGE", 1 },
                                            { "OUTPUT", "memory:" } },
                                          context );
  ASSERT_TRUE( grid.ok ) << grid.error.toStdString();
  QgsVectorLayer *hexes = layerOf( grid, "OUTPUT", context );

  auto pois = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string" ),
                                                QStringLiteral( "random" ), QStringLiteral( "memory" ) );
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
  const AlgorithmRun ours = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                          { { "REGIONS", QVariant::fromValue( hexes ) },
                                            { "POIS", QVariant::fromValue( pois.get() ) },
                                            { "CATEGORY_FIELD", "fclass" },
                                            { "OUTPUT", "memory:" } },
                                          context, &feedback );
  ASSERT_TRUE( ours.ok ) << ours.error.toStdString();
  EXPECT_TRUE( feedback.textLog().contains( QStringLiteral( "lattice" ) ) )
      << "clipped hexgrid output still uses the lattice path";
  const AlgorithmRun native = runAlgorithm( QStringLiteral( "native:countpointsinpolygon" ),
                                            { { "POLYGONS", QVariant::fromValue( hexes ) },
                                              { "POINTS", QVariant::fromValue( pois.get() ) },
                                              { "FIELD", "NUMPOINTS" },
                                              { "OUTPUT", "memory:" } },
                                            context );
  ASSERT_TRUE( native.ok ) << native.error.toStdString();
  const auto a = byRegion( layerOf( ours, "OUTPUT", context ) );
  const auto b = byRegion( layerOf( native, "OUTPUT", context ) );
  ASSERT_EQ( a.size(), b.size() );
  double total = 0;
  for ( auto it = a.begin(); it != a.end(); ++it )
  {
    EXPECT_EQ( it.value().attribute( "poi_total" ).toDouble(), b[it.key()].attribute( "NUMPOINTS" ).toDouble() )
        << it.key().toStdString();
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
  const AlgorithmRun missingField = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                                  { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                                    { "POIS", QVariant::fromValue( pois.get() ) },
                                                    { "CATEGORY_FIELD", "kind" },
                                                    { "OUTPUT", "memory:" } },
                                                  context );
  EXPECT_FALSE( missingField.ok );
  EXPECT_TRUE( missingField.error.contains( "“kind”" ) && missingField.error.contains( "pois" ) &&
               missingField.error.contains( "fclass" ) )
      << missingField.error.toStdString();

  auto empty = poiLayer( {} );
  const AlgorithmRun emptyRun = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                              { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                                { "POIS", QVariant::fromValue( empty.get() ) },
                                                { "CATEGORY_FIELD", "fclass" },
                                                { "OUTPUT", "memory:" } },
                                              context );
  EXPECT_FALSE( emptyRun.ok );
  EXPECT_TRUE( emptyRun.error.contains( "no features" ) ) << emptyRun.error.toStdString();

  auto far = poiLayer( { { 900000, 4900000, "shop", "" } } );
  const AlgorithmRun noOverlap = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                               { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                                 { "POIS", QVariant::fromValue( far.get() ) },
                                                 { "CATEGORY_FIELD", "fclass" },
                                                 { "OUTPUT", "memory:" } },
                                               context );
  EXPECT_FALSE( noOverlap.ok );
  EXPECT_TRUE( noOverlap.error.contains( "overlap" ) && noOverlap.error.contains( "EPSG:4326" ) &&
               noOverlap.error.contains( "EPSG:32618" ) )
      << noOverlap.error.toStdString();

  // Duplicate region ids.
  auto dup = squareRegions();
  dup->startEditing();
  QgsFeature first;
  dup->getFeatures().nextFeature( first );
  dup->changeAttributeValue( first.id(), 0, "B" );
  dup->commitChanges();
  const AlgorithmRun dupRun = runAlgorithm( QStringLiteral( "musecl:poifeatures" ),
                                            { { "REGIONS", QVariant::fromValue( dup.get() ) },
                                              { "POIS", QVariant::fromValue( pois.get() ) },
                                              { "CATEGORY_FIELD", "fclass" },
                                              { "OUTPUT", "memory:" } },
                                            context );
  EXPECT_FALSE( dupRun.ok );
  EXPECT_TRUE( dupRun.error.contains( "“B” appears twice" ) ) << dupRun.error.toStdString();
}
