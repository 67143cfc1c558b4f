// musecl:train and musecl:embed with region attribute fields: the fields become a view of their
// own, embed reads the model's fields by name, and bad values are refused naming the feature.
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace learning_fixtures;

namespace
{
  // The training city's squares with a "jobs" count (a NULL for square s15) and, when asked, a NaN.
  std::unique_ptr<QgsVectorLayer> squaresWithJobs( TrainingCity &city, bool withNaN = false )
  {
    auto layer = std::make_unique<QgsVectorLayer>(
        QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string&field=jobs:double" ),
        QStringLiteral( "squares with jobs" ), QStringLiteral( "memory" ) );
    QgsFeatureList features;
    QgsFeature square;
    QgsFeatureIterator it = city.regions->getFeatures();
    for ( int i = 0; it.nextFeature( square ); ++i )
    {
      QgsFeature f( layer->fields() );
      f.setGeometry( square.geometry() );
      const QVariant jobs =
          i == 15 ? QVariant( QVariant::Double )
                  : QVariant( withNaN && i == 3 ? std::numeric_limits<double>::quiet_NaN() : 100.0 * ( 1 + i % 4 ) );
      f.setAttributes( QgsAttributes() << square.attribute( "region_id" ) << jobs );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }

  QVariantMap attributeParams( TrainingCity &city, QgsVectorLayer *regions, const QString &model )
  {
    QVariantMap params = trainParams( city, model );
    params.remove( "RASTER" );
    params.remove( "FLOWS" );
    params.remove( "WEIGHT_FIELD" );
    params.insert( "REGIONS", QVariant::fromValue( regions ) );
    params.insert( "ATTRIBUTE_FIELDS", QStringList{ "jobs" } );
    return params;
  }
} // namespace

TEST( AttributeFields, AreAViewOfTheirOwnAndEmbedReadsTheModelsFieldsByName )
{
  auto city = trainingCity();
  auto regions = squaresWithJobs( *city );
  const QString model = city->dir.filePath( "jobs.musecl" );
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun train =
      runAlgorithm( "musecl:train", attributeParams( *city, regions.get(), model ), context, &feedback );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  EXPECT_TRUE( feedback.textLog().contains( "region attributes: 1 field(s) in 15 of 16 regions" ) )
      << feedback.textLog().toStdString();
  EXPECT_TRUE( feedback.textLog().contains( "1 of 16 regions have a NULL in an attribute field" ) );
  QMap<QString, QgsFeature> trained;
  QgsFeature f;
  QgsFeatureIterator it = layerOf( train, "OUTPUT", context )->getFeatures();
  while ( it.nextFeature( f ) )
    trained.insert( f.attribute( "region_id" ).toString(), f );
  EXPECT_EQ( trained["s0"].attribute( "views" ).toString(), QStringLiteral( "poi+attr" ) );
  EXPECT_EQ( trained["s15"].attribute( "views" ).toString(), QStringLiteral( "poi" ) );
  EXPECT_FALSE( trained["s0"].attribute( "beta_attr" ).isNull() );

  // Embed without naming the fields: the model's are read by name, and the embeddings are training's.
  QVariantMap embedParams = attributeParams( *city, regions.get(), QString() );
  for ( const char *key :
        { "CHIP_SIZE", "RS_MODE", "EMBEDDING_SIZE", "IMAGE_EPOCHS", "FUSION_EPOCHS", "MOBILITY_EPOCHS", "BATCH_SIZE",
          "RS_BACKBONE", "SEED", "OUTPUT_MODEL", "OUTPUT_LOG", "ATTRIBUTE_FIELDS" } )
    embedParams.remove( key );
  embedParams.insert( "MODEL", model );
  const AlgorithmRun embed = runAlgorithm( "musecl:embed", embedParams, context );
  ASSERT_TRUE( embed.ok ) << embed.error.toStdString();
  it = layerOf( embed, "OUTPUT", context )->getFeatures();
  while ( it.nextFeature( f ) )
    EXPECT_NEAR( f.attribute( "emb_3" ).toDouble(),
                 trained[f.attribute( "region_id" ).toString()].attribute( "emb_3" ).toDouble(), 1e-5 )
        << f.attribute( "region_id" ).toString().toStdString();

  // A layer without the field: the view is left out, and the log says why.
  embedParams.insert( "REGIONS", QVariant::fromValue( city->regions.get() ) );
  QgsProcessingFeedback without;
  const AlgorithmRun lacking = runAlgorithm( "musecl:embed", embedParams, context, &without );
  ASSERT_TRUE( lacking.ok ) << lacking.error.toStdString();
  EXPECT_TRUE( without.textLog().contains( "the region layer lacks jobs, so the view is left out" ) )
      << without.textLog().toStdString();
}

TEST( AttributeFields, ANaNIsRefusedNamingTheFeatureAndTheField )
{
  auto city = trainingCity();
  auto regions = squaresWithJobs( *city, true );
  QgsProcessingContext context;
  const AlgorithmRun train = runAlgorithm(
      "musecl:train", attributeParams( *city, regions.get(), city->dir.filePath( "nan.musecl" ) ), context );
  EXPECT_FALSE( train.ok );
  EXPECT_TRUE(
      train.error.contains( "Feature 4 of region layer “squares with jobs” has “nan” in attribute field jobs" ) )
      << train.error.toStdString();
  EXPECT_FALSE( QFileInfo::exists( city->dir.filePath( "nan.musecl" ) ) );
}
