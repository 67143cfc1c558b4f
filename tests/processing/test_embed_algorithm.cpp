// musecl:embed through the registry: regions streamed in blocks give the embeddings of one block,
// and what streaming refuses (repeated ids, layers no input reaches, cancellation mid-block).
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <QFileInfo>
#include <algorithm>

using namespace learning_fixtures;

TEST( TrainEmbed, EmbedStreamsBlocksThatGiveTheEmbeddingsOfOneBlock )
{
  auto city = trainingCity();
  QgsProcessingContext context;
  // A model without OD flows (the mobility graph would need every region at once).
  QVariantMap params = trainParams( *city, city->dir.filePath( "local.musecl" ) );
  params.remove( "FLOWS" );
  params.remove( "WEIGHT_FIELD" );
  const AlgorithmRun train = runAlgorithm( "musecl:train", params, context );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  // The 16 squares, then 5 squares 100 km east: beyond the raster and every POI.
  QgsVectorLayer regions( QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" ),
                          QStringLiteral( "squares and far squares" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  QgsFeature f;
  QgsFeatureIterator it = city->regions->getFeatures();
  while ( it.nextFeature( f ) )
    features << f;
  for ( int i = 0; i < 5; ++i )
  {
    QgsFeature far( regions.fields() );
    far.setGeometry( QgsGeometry::fromRect( QgsRectangle( 600000 + 500 * i, 4400000, 600500 + 500 * i, 4400500 ) ) );
    far.setAttributes( QgsAttributes() << QStringLiteral( "far%1" ).arg( i ) );
    features << far;
  }
  regions.dataProvider()->addFeatures( features );
  auto embed = [&]( QgsVectorLayer *layer, int blockSize, QgsProcessingFeedback *feedback )
  {
    return runAlgorithm( "musecl:embed",
                         { { "MODEL", city->dir.filePath( "local.musecl" ) },
                           { "REGIONS", QVariant::fromValue( layer ) },
                           { "RASTER", city->raster },
                           { "POIS", QVariant::fromValue( city->pois.get() ) },
                           { "CATEGORY_FIELD", "kind" },
                           { "TEXT_FIELDS", QStringList{ "name" } },
                           { "BLOCK_SIZE", blockSize },
                           { "OUTPUT", "memory:" } },
                         context, feedback );
  };
  QgsProcessingFeedback wholeLog, blockLog;
  const AlgorithmRun whole = embed( &regions, 0, &wholeLog );
  ASSERT_TRUE( whole.ok ) << whole.error.toStdString();
  const AlgorithmRun blocks = embed( &regions, 5, &blockLog );
  ASSERT_TRUE( blocks.ok ) << blocks.error.toStdString();
  EXPECT_TRUE( blockLog.textLog().contains( "21 regions streamed in blocks of 5" ) &&
               blockLog.textLog().contains( "21 regions embedded in 5 block(s)" ) )
      << blockLog.textLog().toStdString();
  EXPECT_TRUE( wholeLog.textLog().contains( "21 regions embedded in 1 block(s)" ) ) << wholeLog.textLog().toStdString();
  // Same regions, same order, same values (rounding aside: blocks are encoded in other batches).
  QgsVectorLayer *a = layerOf( whole, "OUTPUT", context ), *b = layerOf( blocks, "OUTPUT", context );
  ASSERT_EQ( a->featureCount(), 21 );
  ASSERT_EQ( b->featureCount(), 21 );
  QgsFeature fa, fb;
  QgsFeatureIterator ia = a->getFeatures(), ib = b->getFeatures();
  int compared = 0, without = 0;
  while ( ia.nextFeature( fa ) && ib.nextFeature( fb ) )
  {
    ASSERT_EQ( fa.attribute( "region_id" ), fb.attribute( "region_id" ) );
    EXPECT_EQ( fa.attribute( "views" ), fb.attribute( "views" ) )
        << fa.attribute( "region_id" ).toString().toStdString();
    EXPECT_EQ( fa.attribute( "has_embedding" ), fb.attribute( "has_embedding" ) );
    without += fb.attribute( "has_embedding" ).toInt() == 0;
    for ( int k = 0; k < 24; ++k, ++compared )
      EXPECT_NEAR( fa.attribute( QStringLiteral( "emb_%1" ).arg( k ) ).toDouble(),
                   fb.attribute( QStringLiteral( "emb_%1" ).arg( k ) ).toDouble(), 1e-5 );
  }
  EXPECT_EQ( compared, 21 * 24 );
  EXPECT_EQ( without, 5 ) << "the far squares have neither a chip nor a POI";

  // With the raster alone, the last block (one far square) has no view at all: its region gets no
  // embedding, as it would in one block, instead of stopping the run.
  const AlgorithmRun rasterOnly = runAlgorithm( "musecl:embed",
                                                { { "MODEL", city->dir.filePath( "local.musecl" ) },
                                                  { "REGIONS", QVariant::fromValue( &regions ) },
                                                  { "RASTER", city->raster },
                                                  { "BLOCK_SIZE", 5 },
                                                  { "OUTPUT", "memory:" } },
                                                context );
  ASSERT_TRUE( rasterOnly.ok ) << rasterOnly.error.toStdString();
  int rasterOnlyWithout = 0;
  ia = layerOf( rasterOnly, "OUTPUT", context )->getFeatures();
  while ( ia.nextFeature( fa ) )
    rasterOnlyWithout += fa.attribute( "has_embedding" ).toInt() == 0;
  EXPECT_EQ( rasterOnlyWithout, 5 );

  // Cancelled in the second block while writing a file: the run stops there and leaves no file.
  struct CancelInSecondBlock : QgsProcessingFeedback
  {
      double furthest = 0;
      CancelInSecondBlock()
      {
        QObject::connect( this, &QgsFeedback::progressChanged, this,
                          [this]( double p )
                          {
                            furthest = std::max( furthest, p );
                            if ( p >= 30 ) // the first of 5 blocks ends at 95 * 5 / 21 = 22.6 %
                              cancel();
                          } );
      }
  } cancelling;
  const QString cancelledPath = city->dir.filePath( "cancelled_blocks.gpkg" );
  const AlgorithmRun cancelled = runAlgorithm( "musecl:embed",
                                               { { "MODEL", city->dir.filePath( "local.musecl" ) },
                                                 { "REGIONS", QVariant::fromValue( &regions ) },
                                                 { "RASTER", city->raster },
                                                 { "POIS", QVariant::fromValue( city->pois.get() ) },
                                                 { "CATEGORY_FIELD", "kind" },
                                                 { "TEXT_FIELDS", QStringList{ "name" } },
                                                 { "BLOCK_SIZE", 5 },
                                                 { "OUTPUT", cancelledPath } },
                                               context, &cancelling );
  EXPECT_FALSE( cancelled.ok );
  EXPECT_TRUE( cancelled.error.contains( "ancel" ) ) << cancelled.error.toStdString();
  EXPECT_LT( cancelling.furthest, 95 * 10 / 21.0 ) << "stopped within the second block";
  EXPECT_FALSE( QFileInfo::exists( cancelledPath ) );

  // An id repeated in two blocks is found after the last block (only a hash per id is kept).
  QgsVectorLayer repeated( QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" ),
                           QStringLiteral( "repeated id" ), QStringLiteral( "memory" ) );
  QgsFeatureList repeatedFeatures = features;
  repeatedFeatures.last().setAttributes( QgsAttributes() << QStringLiteral( "s3" ) );
  repeated.dataProvider()->addFeatures( repeatedFeatures );
  const AlgorithmRun twice = embed( &repeated, 5, nullptr );
  EXPECT_FALSE( twice.ok );
  EXPECT_TRUE( twice.error.contains( "Region id “s3” appears twice in field region_id of layer “repeated id”" ) )
      << twice.error.toStdString();

  // A layer that no input reaches is refused whole, streamed or not, and names the input.
  QgsVectorLayer farOnly( QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" ),
                          QStringLiteral( "far squares" ), QStringLiteral( "memory" ) );
  QgsFeatureList farFeatures = features.mid( 16 );
  farOnly.dataProvider()->addFeatures( farFeatures );
  const AlgorithmRun farStreamed = embed( &farOnly, 2, nullptr );
  EXPECT_FALSE( farStreamed.ok );
  EXPECT_TRUE( farStreamed.error.contains( "RASTER was given, but no region of the layer has data from it" ) )
      << farStreamed.error.toStdString();
  const AlgorithmRun farWhole = embed( &farOnly, 0, nullptr );
  EXPECT_FALSE( farWhole.ok );
  EXPECT_TRUE( farWhole.error.contains( "do the layers overlap?" ) ) << farWhole.error.toStdString();

  // A model with a mobility view over OD flows embeds in one block, and says why.
  const AlgorithmRun odTrain =
      runAlgorithm( "musecl:train", trainParams( *city, city->dir.filePath( "od.musecl" ) ), context );
  ASSERT_TRUE( odTrain.ok ) << odTrain.error.toStdString();
  QVariantMap odEmbed = trainParams( *city, QString() );
  for ( const char *key : { "CHIP_SIZE", "EMBEDDING_SIZE", "IMAGE_EPOCHS", "FUSION_EPOCHS", "MOBILITY_EPOCHS",
                            "BATCH_SIZE", "RS_BACKBONE", "SEED", "OUTPUT_MODEL", "OUTPUT_LOG" } )
    odEmbed.remove( key );
  odEmbed.insert( "MODEL", city->dir.filePath( "od.musecl" ) );
  odEmbed.insert( "BLOCK_SIZE", 5 );
  QgsProcessingFeedback odLog;
  const AlgorithmRun od = runAlgorithm( "musecl:embed", odEmbed, context, &odLog );
  ASSERT_TRUE( od.ok ) << od.error.toStdString();
  EXPECT_TRUE( odLog.textLog().contains( "embedded in one block (BLOCK_SIZE is not used)" ) &&
               odLog.textLog().contains( "16 regions embedded in 1 block(s)" ) )
      << odLog.textLog().toStdString();
}
