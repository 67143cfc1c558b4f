// Default styles of file outputs: each output opens as one layer (no "Select Items to Add" prompt)
// with the renderer a map reader expects, and a desktop run gets the further named styles.
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <qgscategorizedsymbolrenderer.h>
#include <qgsexpressioncontextutils.h>
#include <qgsgraduatedsymbolrenderer.h>
#include <qgsmaplayerstylemanager.h>
#include <qgsproject.h>
#include <qgsproperty.h>
#include <qgsrendercontext.h>
#include <qgssinglesymbolrenderer.h>
#include <qgssymbollayer.h>
#include <qgsvectordataprovider.h>

#include <QDir>
#include <QFileInfo>
#include <set>

using namespace learning_fixtures;

namespace
{
  void expectOneLayerWithRenderer( const QgsVectorLayer &layer, const QString &type )
  {
    ASSERT_TRUE( layer.isValid() ) << layer.source().toStdString();
    EXPECT_EQ( layer.dataProvider()->subLayers().size(), 1 )
        << "one table, no sublayer prompt: " << layer.dataProvider()->subLayers().join( ';' ).toStdString();
    ASSERT_TRUE( layer.renderer() ) << layer.source().toStdString();
    EXPECT_EQ( layer.renderer()->type(), type ) << layer.source().toStdString();
  }
} // namespace

TEST( OutputStyles, HexagonsAreOutlinesAndEmbeddingsAreColouredByTheirPrincipalComponents )
{
  auto city = trainingCity();
  const QDir dir( city->dir.path() );
  QgsProcessingContext context;
  const AlgorithmRun grid = runAlgorithm( "musecl:hexgrid",
                                          { { "INPUT", QVariant::fromValue( city->regions.get() ) },
                                            { "HEX_SIZE", 300 },
                                            { "OUTPUT", dir.filePath( "hex.gpkg" ) } },
                                          context );
  ASSERT_TRUE( grid.ok ) << grid.error.toStdString();
  EXPECT_TRUE( QFileInfo::exists( dir.filePath( "hex.qml" ) ) );
  const QgsVectorLayer hexagons( dir.filePath( "hex.gpkg" ), "hex", "ogr" );
  expectOneLayerWithRenderer( hexagons, QStringLiteral( "singleSymbol" ) );
  const QgsSymbol *outline = static_cast<const QgsSingleSymbolRenderer *>( hexagons.renderer() )->symbol();
  EXPECT_EQ( outline->symbolLayer( 0 )->properties().value( "style" ), QStringLiteral( "no" ) ) << "no fill";

  QVariantMap params = trainParams( *city, dir.filePath( "city.musecl" ) );
  params.insert( "OUTPUT", dir.filePath( "embeddings.gpkg" ) );
  const AlgorithmRun train = runAlgorithm( "musecl:train", params, context );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  QgsVectorLayer embeddings( dir.filePath( "embeddings.gpkg" ), "embeddings", "ogr" );
  expectOneLayerWithRenderer( embeddings, QStringLiteral( "singleSymbol" ) );
  const QgsSymbolLayer *fill =
      static_cast<const QgsSingleSymbolRenderer *>( embeddings.renderer() )->symbol()->symbolLayer( 0 );
  const QgsProperty colour = fill->dataDefinedProperties().property( QgsSymbolLayer::PropertyFillColor );
  ASSERT_TRUE( colour.isActive() ) << "the fill colour comes from the embedding";
  // The 16 squares differ in their POIs and flows: their colours must differ too (most of them).
  QgsExpressionContext expressionContext( QgsExpressionContextUtils::globalProjectLayerScopes( &embeddings ) );
  std::set<QString> colours;
  QgsFeature f;
  QgsFeatureIterator it = embeddings.getFeatures();
  while ( it.nextFeature( f ) )
  {
    expressionContext.setFeature( f );
    bool ok = false;
    const QColor c = colour.valueAsColor( expressionContext, QColor(), &ok );
    ASSERT_TRUE( ok && c.isValid() ) << colour.expressionString().left( 300 ).toStdString();
    colours.insert( c.name() );
  }
  EXPECT_GE( colours.size(), 8u ) << "16 regions, " << colours.size() << " colours";

  // Embedding the embeddings layer again: its emb_* and has_embedding fields are kept, the new ones
  // get other names, and the style colours by the new ones.
  QVariantMap again = params;
  for ( const char *key : { "CHIP_SIZE", "RS_MODE", "EMBEDDING_SIZE", "IMAGE_EPOCHS", "FUSION_EPOCHS",
                            "MOBILITY_EPOCHS", "BATCH_SIZE", "RS_BACKBONE", "SEED", "OUTPUT_MODEL", "OUTPUT_LOG" } )
    again.remove( key );
  again.insert( "REGIONS", dir.filePath( "embeddings.gpkg" ) );
  again.insert( "MODEL", dir.filePath( "city.musecl" ) );
  again.insert( "OUTPUT", dir.filePath( "again.gpkg" ) );
  const AlgorithmRun embed = runAlgorithm( "musecl:embed", again, context );
  ASSERT_TRUE( embed.ok ) << embed.error.toStdString();
  const QgsVectorLayer reembedded( dir.filePath( "again.gpkg" ), "again", "ogr" );
  const QgsSymbolLayer *refill =
      static_cast<const QgsSingleSymbolRenderer *>( reembedded.renderer() )->symbol()->symbolLayer( 0 );
  const QString expression =
      refill->dataDefinedProperties().property( QgsSymbolLayer::PropertyFillColor ).expressionString();
  ASSERT_GE( reembedded.fields().lookupField( "has_embedding_2" ), 0 ) << "the new field's name";
  EXPECT_TRUE( expression.contains( "\"has_embedding_2\"" ) && expression.contains( "\"emb_0_2\"" ) )
      << expression.left( 300 ).toStdString();
}

TEST( OutputStyles, ADesktopRunGetsTheDominantViewAsASecondStyle )
{
  auto city = trainingCity();
  const QDir dir( city->dir.path() );
  QVariantMap params = trainParams( *city, dir.filePath( "city.musecl" ) );
  QgsProcessingOutputLayerDefinition output( dir.filePath( "embeddings.gpkg" ), QgsProject::instance() );
  params.insert( "OUTPUT", QVariant::fromValue( output ) );
  QgsProcessingContext context;
  const AlgorithmRun train = runAlgorithm( "musecl:train", params, context );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  ASSERT_TRUE( context.willLoadLayerOnCompletion( dir.filePath( "embeddings.gpkg" ) ) );
  QgsProcessingLayerPostProcessorInterface *styler =
      context.layerToLoadOnCompletionDetails( dir.filePath( "embeddings.gpkg" ) ).postProcessor();
  ASSERT_TRUE( styler );
  QgsVectorLayer loaded( dir.filePath( "embeddings.gpkg" ), "embeddings", "ogr" );
  styler->postProcessLayer( &loaded, context, nullptr );
  QStringList styles = loaded.styleManager()->styles();
  styles.sort();
  EXPECT_EQ( styles.join( ';' ).toStdString(),
             "Dominant view (largest attention weight);Embedding (principal components as colour)" );
  EXPECT_EQ( loaded.renderer()->type(), QStringLiteral( "singleSymbol" ) ) << "the colour style is the default";
  ASSERT_TRUE( loaded.styleManager()->setCurrentStyle( "Dominant view (largest attention weight)" ) );
  ASSERT_EQ( loaded.renderer()->type(), QStringLiteral( "categorizedSymbol" ) );
  // Every region falls into one of the model's three views (remote sensing, POI, mobility).
  auto *dominant = static_cast<QgsCategorizedSymbolRenderer *>( loaded.renderer() );
  QgsExpression expression( dominant->classAttribute() );
  QgsExpressionContext expressionContext( QgsExpressionContextUtils::globalProjectLayerScopes( &loaded ) );
  QgsFeature f;
  QgsFeatureIterator it = loaded.getFeatures();
  std::set<QString> seen;
  while ( it.nextFeature( f ) )
  {
    expressionContext.setFeature( f );
    const QString view = expression.evaluate( &expressionContext ).toString();
    double largest = -1;
    QString argmax;
    for ( const QString key : { "rs", "poi", "mob" } )
      if ( f.attribute( "beta_" + key ).toDouble() > largest )
        largest = f.attribute( "beta_" + key ).toDouble(), argmax = key;
    EXPECT_EQ( view, "beta_" + argmax ) << "region " << f.attribute( "region_id" ).toString().toStdString();
    seen.insert( view );
  }
  EXPECT_GE( dominant->categories().size(), 4 ) << "three views and “No embedding”";
}
