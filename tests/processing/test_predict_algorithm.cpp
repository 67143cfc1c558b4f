// musecl:predict through the registry, on small tabular layers with known answers.
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QTemporaryDir>
#include <cmath>
#include <limits>
#include <random>

using namespace learning_fixtures;

TEST( Predict, RidgeAndMlpRecoverAKnownLinearRelation )
{
  auto layer = tabularRegions( 120, 0.1, 1 );
  // Ridge under every evaluation; the MLP (slower: up to 1000 epochs per fold) under k-fold.
  for ( const auto &[model, evaluation] : { std::pair<int, int>{ 1, 0 }, { 1, 1 }, { 1, 2 }, { 0, 1 } } )
  {
    QgsProcessingContext context;
    const AlgorithmRun run = runAlgorithm( "musecl:predict", predictParams( layer.get(), model, evaluation ), context );
    ASSERT_TRUE( run.ok ) << run.error.toStdString();
    EXPECT_GT( run.outputs.value( "R2" ).toDouble(), 0.95 ) << "model " << model << " evaluation " << evaluation;
    EXPECT_LE( run.outputs.value( "R2" ).toDouble(), 1.0 );
    EXPECT_GT( run.outputs.value( "RMSE" ).toDouble(), 0.0 );
  }
}

TEST( Predict, TargetsMustBeNumbersAndRegionsWithoutAnEmbeddingAreLeftOut )
{
  QgsProcessingContext context;
  // NaN and infinity are data errors, named by feature id; NULL alone means "predict this region".
  for ( const double bad : { std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity() } )
  {
    auto layer = tabularRegions( 40, 0.1, 6 );
    const QgsFeatureId id = 7;
    layer->dataProvider()->changeAttributeValues( { { id, { { layer->fields().lookupField( "target" ), bad } } } } );
    const AlgorithmRun run = runAlgorithm( "musecl:predict", predictParams( layer.get(), 1, 1 ), context );
    EXPECT_FALSE( run.ok );
    EXPECT_TRUE( run.error.contains( "Feature 7 of layer “tabular”" ) && run.error.contains( "target field target" ) )
        << run.error.toStdString();
  }
  {
    // Counts (all ≥ 0) except one negative value.
    auto layer = tabularRegions( 40, 0.1, 6 );
    const int target = layer->fields().lookupField( "target" );
    QgsChangedAttributesMap counts;
    for ( QgsFeatureId id = 1; id <= 40; ++id )
      counts.insert( id, { { target, id == 9 ? -2.5 : static_cast<double>( id ) } } );
    layer->dataProvider()->changeAttributeValues( counts );
    const AlgorithmRun run = runAlgorithm( "musecl:predict", predictParams( layer.get(), 1, 1, true ), context );
    EXPECT_FALSE( run.ok );
    EXPECT_TRUE( run.error.contains( "Feature 9" ) && run.error.contains( "-2.5" ) &&
                 run.error.contains( "LOG_TARGET" ) )
        << run.error.toStdString();
  }
  // has_embedding = 0: written with NULL pred/residual/fold (and a NULL cluster), counted, never fitted.
  auto layer = tabularRegions( 40, 0.1, 6 );
  layer->dataProvider()->addAttributes( { QgsField( "has_embedding", QVariant::Int ) } );
  layer->updateFields();
  const int flag = layer->fields().lookupField( "has_embedding" );
  QgsChangedAttributesMap changes;
  QgsFeature f;
  QgsFeatureIterator it = layer->getFeatures();
  while ( it.nextFeature( f ) )
    changes.insert( f.id(), { { flag, f.id() % 10 == 0 ? 0 : 1 } } ); // ids 10, 20, 30, 40
  layer->dataProvider()->changeAttributeValues( changes );
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( "musecl:predict", predictParams( layer.get(), 1, 1 ), context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "REGIONS_WITHOUT_EMBEDDING" ).toInt(), 4 );
  EXPECT_TRUE( feedback.textLog().contains( "4 of 40 regions have has_embedding = 0" ) )
      << feedback.textLog().toStdString();
  EXPECT_GT( run.outputs.value( "R2" ).toDouble(), 0.95 );
  int nullPredictions = 0;
  it = layerOf( run, "OUTPUT", context )->getFeatures();
  while ( it.nextFeature( f ) )
  {
    const bool skipped = f.attribute( "has_embedding" ).toInt() == 0;
    EXPECT_EQ( f.attribute( "pred" ).isNull(), skipped ) << f.attribute( "region_id" ).toString().toStdString();
    nullPredictions += f.attribute( "pred" ).isNull();
  }
  EXPECT_EQ( nullPredictions, 4 );
  EXPECT_EQ( layerOf( run, "OUTPUT", context )->featureCount(), 40 ) << "no row is dropped";

  const AlgorithmRun clusters = runAlgorithm( "musecl:cluster",
                                              { { "INPUT", QVariant::fromValue( layer.get() ) },
                                                { "CLUSTERS", 3 },
                                                { "PCA_COMPONENTS", 0 },
                                                { "OUTPUT", "memory:" } },
                                              context );
  ASSERT_TRUE( clusters.ok ) << clusters.error.toStdString();
  EXPECT_EQ( clusters.outputs.value( "REGIONS_WITHOUT_EMBEDDING" ).toInt(), 4 );
  int nullClusters = 0;
  it = layerOf( clusters, "OUTPUT", context )->getFeatures();
  while ( it.nextFeature( f ) )
  {
    EXPECT_EQ( f.attribute( "cluster" ).isNull(), f.attribute( "has_embedding" ).toInt() == 0 );
    nullClusters += f.attribute( "cluster" ).isNull();
  }
  EXPECT_EQ( nullClusters, 4 );
}

TEST( Predict, AutomaticModelIsRidgeOnSmallCities )
{
  // 120 labelled regions: the default (automatic) choice must be ridge, with ridge's exact metrics.
  auto layer = tabularRegions( 120, 0.5, 4 );
  QgsProcessingContext context;
  QVariantMap automatic = predictParams( layer.get(), 1, 1 );
  automatic.remove( "MODEL" );
  const AlgorithmRun chosen = runAlgorithm( "musecl:predict", automatic, context );
  const AlgorithmRun ridge = runAlgorithm( "musecl:predict", predictParams( layer.get(), 1, 1 ), context );
  ASSERT_TRUE( chosen.ok && ridge.ok ) << chosen.error.toStdString() << ridge.error.toStdString();
  EXPECT_DOUBLE_EQ( chosen.outputs.value( "R2" ).toDouble(), ridge.outputs.value( "R2" ).toDouble() );
  EXPECT_DOUBLE_EQ( chosen.outputs.value( "RMSE" ).toDouble(), ridge.outputs.value( "RMSE" ).toDouble() );
}

TEST( Predict, NoiseGivesNoSkill )
{
  auto layer = tabularRegions( 150, 0, 2, true );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( "musecl:predict", predictParams( layer.get(), 1, 1 ), context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_LT( run.outputs.value( "R2" ).toDouble(), 0.1 );
  EXPECT_GT( run.outputs.value( "R2" ).toDouble(), -0.3 );
}

TEST( Predict, NullTargetsArePredictedNotTrainedOn )
{
  // The same labelled regions with or without extra unlabelled ones must give identical CV
  // metrics (fold assignment uses labelled regions only), and the unlabelled ones get predictions.
  auto labelled = tabularRegions( 60, 0.2, 3 );
  auto mixed = tabularRegions( 60, 0.2, 3 );
  QgsFeatureList extra;
  for ( int i = 0; i < 5; ++i )
  {
    QgsFeature f( mixed->fields() );
    f.setGeometry( QgsGeometry::fromRect( QgsRectangle( 600000 + 1000 * i, 4500000, 601000 + 1000 * i, 4501000 ) ) );
    f.setAttributes( QgsAttributes() << QStringLiteral( "u%1" ).arg( i ) << 1.0 * i << -1.0 << 1.0 * i << -1.0
                                     << QVariant( QVariant::Double ) );
    extra << f;
  }
  mixed->dataProvider()->addFeatures( extra );
  QgsProcessingContext context;
  const AlgorithmRun a = runAlgorithm( "musecl:predict", predictParams( labelled.get(), 1, 1 ), context );
  const AlgorithmRun b = runAlgorithm( "musecl:predict", predictParams( mixed.get(), 1, 1 ), context );
  ASSERT_TRUE( a.ok && b.ok ) << a.error.toStdString() << b.error.toStdString();
  EXPECT_DOUBLE_EQ( a.outputs.value( "R2" ).toDouble(), b.outputs.value( "R2" ).toDouble() );
  QgsFeature f;
  QgsFeatureIterator it =
      layerOf( b, "OUTPUT", context )->getFeatures( QgsFeatureRequest().setFilterExpression( "region_id LIKE 'u%'" ) );
  int unlabelled = 0;
  while ( it.nextFeature( f ) )
  {
    ++unlabelled;
    EXPECT_FALSE( f.attribute( "pred" ).isNull() );
    EXPECT_TRUE( f.attribute( "residual" ).isNull() );
    EXPECT_TRUE( f.attribute( "fold" ).isNull() );
    // y = 3 x0 - 2 x1 + 1 with x1 = -1: 3 i + 3.
    EXPECT_NEAR( f.attribute( "pred" ).toDouble(), 3.0 * f.attribute( "x0" ).toDouble() + 3.0, 0.3 );
  }
  EXPECT_EQ( unlabelled, 5 );
}

TEST( Predict, ReportAndBadInputs )
{
  QTemporaryDir dir;
  auto layer = tabularRegions( 40, 0.1, 4 );
  QVariantMap params = predictParams( layer.get(), 1, 2 );
  params.insert( "OUTPUT_REPORT", dir.filePath( "report.html" ) );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( "musecl:predict", params, context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  QFile report( dir.filePath( "report.html" ) );
  ASSERT_TRUE( report.open( QIODevice::ReadOnly ) );
  const QString html = QString::fromUtf8( report.readAll() );
  EXPECT_TRUE( html.contains( "<svg" ) && html.contains( "spatially blocked" ) && html.contains( "fold 4" ) )
      << html.left( 500 ).toStdString();
  // Encoding: the metric header reads R² in a browser, and no UTF-8 byte was read back as Latin-1.
  EXPECT_TRUE( html.contains( "<th>R&sup2;</th>" ) ) << html.left( 800 ).toStdString();
  EXPECT_FALSE( html.contains( QStringLiteral( "Â" ) ) || html.contains( QStringLiteral( "â€" ) ) )
      << "mojibake in the report";

  QVariantMap missing = predictParams( layer.get(), 1, 1 );
  missing.insert( "TARGET", "population" );
  const AlgorithmRun bad = runAlgorithm( "musecl:predict", missing, context );
  EXPECT_FALSE( bad.ok );
  EXPECT_TRUE( bad.error.contains( "“population”" ) ) << bad.error.toStdString();

  auto few = tabularRegions( 6, 0.1, 5 );
  const AlgorithmRun tooFew = runAlgorithm( "musecl:predict", predictParams( few.get(), 1, 1 ), context );
  EXPECT_FALSE( tooFew.ok );
  EXPECT_TRUE( tooFew.error.contains( "only 6 regions have a target" ) ) << tooFew.error.toStdString();
}

TEST( Predict, FeaturePatternSelectsFieldsByName )
{
  auto layer = tabularRegions( 80, 0.1, 6 );
  QgsProcessingContext context;
  auto r2With = [&]( const QStringList &features, const QString &pattern )
  {
    QVariantMap params = predictParams( layer.get(), 1, 1 );
    params.insert( "FEATURES", features );
    params.insert( "FEATURE_PATTERN", pattern );
    const AlgorithmRun run = runAlgorithm( "musecl:predict", params, context );
    EXPECT_TRUE( run.ok ) << pattern.toStdString() << ": " << run.error.toStdString();
    return run.outputs.value( "R2" ).toDouble();
  };
  const double both = r2With( { "x0", "x1" }, QString() );
  EXPECT_GT( both, 0.95 );
  EXPECT_DOUBLE_EQ( r2With( {}, "x?" ), both ) << "the same columns in the same order";
  EXPECT_DOUBLE_EQ( r2With( { "x0" }, "x*" ), both ) << "x0 chosen and matched is used once";
  // y = 3 x0 - 2 x1 + 1: x0 alone explains about 9 / 13 of the variance.
  EXPECT_LT( r2With( {}, "x0" ), 0.8 );
  // "*" takes every numeric field but the target (x0, x1 and their emb_ copies); region_id is text.
  EXPECT_GT( r2With( {}, "*" ), 0.95 );

  QVariantMap params = predictParams( layer.get(), 1, 1 );
  params.insert( "FEATURE_PATTERN", "x*;pop*" );
  const AlgorithmRun bad = runAlgorithm( "musecl:predict", params, context );
  EXPECT_FALSE( bad.ok );
  EXPECT_TRUE( bad.error.contains( "“pop*”" ) && bad.error.contains( "tabular" ) ) << bad.error.toStdString();
}

TEST( Predict, LogFeaturesLinearisesCountsAndLeavesSignedFieldsAlone )
{
  // target = 3 log1p(count) + 0.1 noise, with heavy-tailed counts (up to e^6); emb_0 is signed noise.
  auto layer = std::make_unique<QgsVectorLayer>(
      QStringLiteral(
          "Polygon?crs=EPSG:32618&field=region_id:string&field=count:double&field=emb_0:double&field=target:double" ),
      QStringLiteral( "counts" ), QStringLiteral( "memory" ) );
  std::mt19937 rng( 11 );
  std::uniform_real_distribution<double> u( 0, 6 );
  std::normal_distribution<double> g;
  QgsFeatureList features;
  for ( int i = 0; i < 100; ++i )
  {
    const double count = std::round( std::expm1( u( rng ) ) );
    QgsFeature f( layer->fields() );
    const double x = 500000 + 1000 * ( i % 10 ), y = 4400000 + 1000 * ( i / 10 );
    f.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 1000, y + 1000 ) ) );
    f.setAttributes( QgsAttributes() << QStringLiteral( "r%1" ).arg( i ) << count << g( rng )
                                     << 3 * std::log1p( count ) + 0.1 * g( rng ) );
    features << f;
  }
  layer->dataProvider()->addFeatures( features );
  QgsProcessingContext context;
  auto run = [&]( bool logFeatures, QgsProcessingFeedback *feedback )
  {
    QVariantMap params = predictParams( layer.get(), 1, 1 );
    params.insert( "FEATURES", QStringList{ "count", "emb_0" } );
    params.insert( "LOG_FEATURES", logFeatures );
    const AlgorithmRun r = runAlgorithm( "musecl:predict", params, context, feedback );
    EXPECT_TRUE( r.ok ) << r.error.toStdString();
    return r.outputs.value( "R2" ).toDouble();
  };
  QgsProcessingFeedback logged;
  EXPECT_GT( run( true, &logged ), 0.99 );
  EXPECT_TRUE( logged.textLog().contains( "log1p applied to 1 of 2 feature columns" ) )
      << logged.textLog().toStdString();
  QgsProcessingFeedback plain;
  EXPECT_LT( run( false, &plain ), 0.9 ) << "a straight line through raw counts misses the log relation";
  EXPECT_FALSE( plain.textLog().contains( "log1p applied" ) );
}
