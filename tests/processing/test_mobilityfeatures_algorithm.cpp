// musecl:mobilityfeatures on hand-placed OD lines and trip end points whose inflow, outflow and
// internal trips are counted by hand in the comments.
#include "feature_fixtures.h"

#include <gtest/gtest.h>

#include <tuple>

using namespace feature_fixtures;

namespace
{
  std::unique_ptr<QgsVectorLayer> flowLines( const QList<std::tuple<QgsPointXY, QgsPointXY, QVariant>> &flows )
  {
    auto layer = std::make_unique<QgsVectorLayer>( QStringLiteral( "LineString?crs=EPSG:4326&field=trips:double" ),
                                                   QStringLiteral( "flows" ), QStringLiteral( "memory" ) );
    QgsFeatureList features;
    for ( const auto &[from, to, trips] : flows )
    {
      QgsFeature f( layer->fields() );
      // A middle vertex off the straight line: only the first and last vertices may matter.
      f.setGeometry( QgsGeometry::fromPolylineXY(
          { toWgs84( from.x(), from.y() ), toWgs84( 510000, 4410000 ), toWgs84( to.x(), to.y() ) } ) );
      f.setAttributes( QgsAttributes() << trips );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }
} // namespace

TEST( MobilityFeatures, InflowOutflowAndInternalFromOdLines )
{
  auto regions = squareRegions();
  auto flows = flowLines( { { kInA, kInB, 10.0 },
                            { kInA, kInC, 5.0 },
                            { kInB, kInA, 2.0 },
                            { kInA, kInA, 7.0 }, // inside: 24
                            { kInA, kOutside, 100.0 },
                            { kOutside, kInB, 50.0 },       // an end outside: 150, 2 flows
                            { kInC, kInB, QVariant() } } ); // null weight: counts 0
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "FLOWS", QVariant::fromValue( flows.get() ) },
                                           { "WEIGHT_FIELD", "trips" },
                                           { "OUTPUT", "memory:" },
                                           { "OUTPUT_OD", "memory:" } },
                                         context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "WEIGHT_INSIDE" ).toDouble(), 24 );
  EXPECT_EQ( run.outputs.value( "FLOWS_OUTSIDE" ).toLongLong(), 2 );
  EXPECT_EQ( run.outputs.value( "WEIGHT_OUTSIDE" ).toDouble(), 150 );
  EXPECT_TRUE( feedback.textLog().contains( "1 flows have a null trips" ) ) << feedback.textLog().toStdString();
  const auto r = byRegion( layerOf( run, "OUTPUT", context ) );
  EXPECT_EQ( r["A"].attribute( "outflow" ).toDouble(), 22 ); // 10 + 5 + 7
  EXPECT_EQ( r["A"].attribute( "inflow" ).toDouble(), 9 );   // 2 + 7
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
  auto points =
      std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=role:string&field=w:double" ),
                                        QStringLiteral( "trip_ends" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( const auto &[p, role, w] : QList<std::tuple<QgsPointXY, QString, double>>{
            { kInA, "o", 3 }, { kInB, "D", 3 }, { kInB, "O", 1 }, { kInC, "x", 9 }, { kOutside, "D", 4 } } )
  {
    QgsFeature f( points->fields() );
    f.setGeometry( QgsGeometry::fromPointXY( p ) );
    f.setAttributes( QgsAttributes() << role << w );
    features << f;
  }
  points->dataProvider()->addFeatures( features );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "FLOWS", QVariant::fromValue( points.get() ) },
                                           { "FLOW_TYPE", 1 },
                                           { "WEIGHT_FIELD", "w" },
                                           { "ROLE_FIELD", "role" },
                                           { "OUTPUT", "memory:" } },
                                         context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  const auto r = byRegion( layerOf( run, "OUTPUT", context ) );
  EXPECT_EQ( r["A"].attribute( "outflow" ).toDouble(), 3 );
  EXPECT_EQ( r["B"].attribute( "inflow" ).toDouble(), 3 );
  EXPECT_EQ( r["B"].attribute( "outflow" ).toDouble(), 1 );
  EXPECT_EQ( run.outputs.value( "FLOWS_OUTSIDE" ).toLongLong(), 1 );

  const AlgorithmRun wrongType = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ),
                                               { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                                 { "FLOWS", QVariant::fromValue( points.get() ) },
                                                 { "OUTPUT", "memory:" } },
                                               context );
  EXPECT_FALSE( wrongType.ok );
  EXPECT_TRUE( wrongType.error.contains( "trip_ends" ) && wrongType.error.contains( "FLOW_TYPE" ) )
      << wrongType.error.toStdString();

  auto negative = flowLines( { { kInA, kInB, -3.0 } } );
  const AlgorithmRun negativeRun = runAlgorithm( QStringLiteral( "musecl:mobilityfeatures" ),
                                                 { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                                   { "FLOWS", QVariant::fromValue( negative.get() ) },
                                                   { "WEIGHT_FIELD", "trips" },
                                                   { "OUTPUT", "memory:" } },
                                                 context );
  EXPECT_FALSE( negativeRun.ok );
  EXPECT_TRUE( negativeRun.error.contains( "“-3”" ) ) << negativeRun.error.toStdString();
}
