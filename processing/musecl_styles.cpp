#include "musecl_styles.h"

#include <qgscategorizedsymbolrenderer.h>
#include <qgsclassificationquantile.h>
#include <qgscolorramp.h>
#include <qgsfillsymbol.h>
#include <qgsgraduatedsymbolrenderer.h>
#include <qgsprocessingcontext.h>
#include <qgssymbol.h>
#include <qgsvectorlayer.h>

#include <QFileInfo>

QgsFeatureRenderer *museclGraduatedRenderer( const QgsVectorLayer *layer, const QString &field, bool diverging )
{
  auto *renderer = new QgsGraduatedSymbolRenderer( field );
  renderer->setClassificationMethod( new QgsClassificationQuantile() );
  renderer->setSourceSymbol( QgsSymbol::defaultSymbol( layer->geometryType() ) );
  renderer->updateClasses( layer, 7 );
  // ColorBrewer RdBu for residuals (over- vs under-prediction), YlGnBu for levels.
  QgsGradientColorRamp *ramp =
      diverging ? new QgsGradientColorRamp( QColor( 178, 24, 43 ), QColor( 33, 102, 172 ), false,
                                            QgsGradientStopsList() << QgsGradientStop( 0.5, QColor( 247, 247, 247 ) ) )
                : new QgsGradientColorRamp( QColor( 255, 255, 204 ), QColor( 37, 52, 148 ), false,
                                            QgsGradientStopsList() << QgsGradientStop( 0.5, QColor( 65, 182, 196 ) ) );
  renderer->updateColorRamp( ramp );
  return renderer;
}

QgsFeatureRenderer *museclCategorisedRenderer( const QgsVectorLayer *layer, const QString &field, int categories )
{
  // ColorBrewer Set3/Paired-like qualitative colours, cycled beyond 12.
  static const QColor palette[] = { { 141, 211, 199 }, { 255, 255, 179 }, { 190, 186, 218 }, { 251, 128, 114 },
                                    { 128, 177, 211 }, { 253, 180, 98 },  { 179, 222, 105 }, { 252, 205, 229 },
                                    { 217, 217, 217 }, { 188, 128, 189 }, { 204, 235, 197 }, { 255, 237, 111 } };
  QgsCategoryList list;
  for ( int c = 0; c < categories; ++c )
  {
    QgsSymbol *symbol = QgsSymbol::defaultSymbol( layer->geometryType() );
    symbol->setColor( palette[c % 12] );
    list << QgsRendererCategory( c, symbol, QObject::tr( "Cluster %1" ).arg( c ) );
  }
  return new QgsCategorizedSymbolRenderer( field, list );
}

namespace
{
  class StylePostProcessor : public QgsProcessingLayerPostProcessorInterface
  {
    public:
      StylePostProcessor( const QString &field, int categories, bool diverging )
          : mField( field ), mCategories( categories ), mDiverging( diverging )
      {
      }
      void postProcessLayer( QgsMapLayer *layer, QgsProcessingContext &, QgsProcessingFeedback * ) override
      {
        if ( auto *vl = qobject_cast<QgsVectorLayer *>( layer ) )
        {
          vl->setRenderer( mCategories > 0 ? museclCategorisedRenderer( vl, mField, mCategories )
                                           : museclGraduatedRenderer( vl, mField, mDiverging ) );
          vl->triggerRepaint();
        }
      }

    private:
      QString mField;
      int mCategories;
      bool mDiverging;
  };
} // namespace

void museclStyleOutput( QgsProcessingContext &context, const QString &destination, const QString &field, int categories,
                        bool diverging )
{
  if ( context.willLoadLayerOnCompletion( destination ) )
    context.layerToLoadOnCompletionDetails( destination )
        .setPostProcessor( new StylePostProcessor( field, categories, diverging ) );
  if ( QFileInfo( destination ).suffix().compare( QLatin1String( "gpkg" ), Qt::CaseInsensitive ) == 0 )
  {
    QgsVectorLayer layer( destination, QStringLiteral( "musecl" ), QStringLiteral( "ogr" ) );
    if ( !layer.isValid() )
      return;
    layer.setRenderer( categories > 0 ? museclCategorisedRenderer( &layer, field, categories )
                                      : museclGraduatedRenderer( &layer, field, diverging ) );
    QString error;
    layer.saveStyleToDatabase( QStringLiteral( "musecl_%1" ).arg( field ), QObject::tr( "MuseCL default style" ), true,
                               QString(), error );
  }
}
