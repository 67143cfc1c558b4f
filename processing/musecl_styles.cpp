#include "musecl_styles.h"

#include "musecl_atomic_sink.h"
#include "musecl_core_call.h"

#include "musecl/learn/predict/clustering.h"

#include <qgscategorizedsymbolrenderer.h>
#include <qgsclassificationquantile.h>
#include <qgscolorramp.h>
#include <qgsexpression.h>
#include <qgsfillsymbol.h>
#include <qgsfillsymbollayer.h>
#include <qgsgraduatedsymbolrenderer.h>
#include <qgsmaplayerstylemanager.h>
#include <qgsmessagelog.h>
#include <qgsprocessingcontext.h>
#include <qgsproperty.h>
#include <qgsreadwritecontext.h>
#include <qgssinglesymbolrenderer.h>
#include <qgssymbol.h>
#include <qgssymbollayer.h>
#include <qgsvectorlayer.h>

#include <QDomDocument>
#include <QFile>
#include <QFileInfo>
#include <algorithm>
#include <cmath>

namespace
{
  // ColorBrewer Set3-like qualitative colours, cycled beyond 12.
  const QColor kQualitative[] = { { 141, 211, 199 }, { 255, 255, 179 }, { 190, 186, 218 }, { 251, 128, 114 },
                                  { 128, 177, 211 }, { 253, 180, 98 },  { 179, 222, 105 }, { 252, 205, 229 },
                                  { 217, 217, 217 }, { 188, 128, 189 }, { 204, 235, 197 }, { 255, 237, 111 } };

  // Legend precision from the values' spread: two significant digits across the range.
  int labelPrecision( const QgsVectorLayer *layer, const QString &field )
  {
    const int index = layer->fields().lookupField( field );
    if ( index < 0 )
      return 2;
    const double span = layer->maximumValue( index ).toDouble() - layer->minimumValue( index ).toDouble();
    if ( !( span > 0 ) )
      return 2;
    return std::clamp( 1 - static_cast<int>( std::floor( std::log10( span ) ) ), 0, 6 );
  }

  QgsSymbol *symbolFor( const QgsVectorLayer *layer, const QColor &colour )
  {
    QgsSymbol *symbol = QgsSymbol::defaultSymbol( layer->geometryType() );
    symbol->setColor( colour );
    return symbol;
  }

  class StylePostProcessor : public QgsProcessingLayerPostProcessorInterface
  {
    public:
      explicit StylePostProcessor( const QList<MuseclStyle> &styles ) : mStyles( styles ) {}
      void postProcessLayer( QgsMapLayer *layer, QgsProcessingContext &, QgsProcessingFeedback * ) override
      {
        auto *vl = qobject_cast<QgsVectorLayer *>( layer );
        if ( !vl || mStyles.isEmpty() )
          return;
        // Every further style is added from the layer as it looks with that style, the default last.
        QgsMapLayerStyleManager *manager = vl->styleManager();
        for ( int i = mStyles.size() - 1; i >= 1; --i )
        {
          vl->setRenderer( mStyles.at( i ).renderer( vl ) );
          manager->addStyleFromLayer( mStyles.at( i ).name );
        }
        vl->setRenderer( mStyles.first().renderer( vl ) );
        manager->renameStyle( manager->currentStyle(), mStyles.first().name );
        vl->triggerRepaint();
      }

    private:
      QList<MuseclStyle> mStyles;
  };

  // The .qml beside a file output, written aside and renamed over any older one.
  void writeQml( const QString &destination, const MuseclStyle &style )
  {
    QgsVectorLayer layer( destination, QStringLiteral( "musecl" ), QStringLiteral( "ogr" ) );
    if ( !layer.isValid() )
      return;
    layer.setRenderer( style.renderer( &layer ) );
    QDomDocument document;
    QString error;
    layer.exportNamedStyle( document, error, QgsReadWriteContext(), QgsMapLayer::Symbology );
    const QFileInfo info( destination );
    MuseclStagedFile qml( info.absoluteDir().absoluteFilePath( info.completeBaseName() + QStringLiteral( ".qml" ) ),
                          QObject::tr( "layer style" ) );
    QFile file( qml.stagingPath() );
    if ( !error.isEmpty() || !file.open( QIODevice::WriteOnly ) || file.write( document.toByteArray( 2 ) ) < 0 )
      throw QgsProcessingException( QObject::tr( "Could not write the style of “%1”: %2" )
                                        .arg( destination, error.isEmpty() ? file.errorString() : error ) );
    file.close();
    qml.publish();
  }
} // namespace

QgsFeatureRenderer *museclGraduatedRenderer( const QgsVectorLayer *layer, const QString &field, bool diverging )
{
  auto *renderer = new QgsGraduatedSymbolRenderer( field );
  auto *method = new QgsClassificationQuantile();
  method->setLabelPrecision( labelPrecision( layer, field ) );
  renderer->setClassificationMethod( method );
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
  QgsCategoryList list;
  for ( int c = 0; c < categories; ++c )
    list << QgsRendererCategory( c, symbolFor( layer, kQualitative[c % 12] ), QObject::tr( "Cluster %1" ).arg( c ) );
  return new QgsCategorizedSymbolRenderer( field, list );
}

QgsFeatureRenderer *museclOutlineRenderer( const QgsVectorLayer * )
{
  return new QgsSingleSymbolRenderer(
      QgsFillSymbol::createSimple( { { QStringLiteral( "style" ), QStringLiteral( "no" ) },
                                     { QStringLiteral( "outline_color" ), QStringLiteral( "50,50,50,255" ) },
                                     { QStringLiteral( "outline_width" ), QStringLiteral( "0.3" ) } } ) );
}

QgsFeatureRenderer *museclExpressionColourRenderer( const QgsVectorLayer *layer, const QString &colourExpression )
{
  QgsSymbol *symbol = symbolFor( layer, QColor( 190, 190, 190 ) );
  if ( QgsSymbolLayer *first = symbol->symbolLayer( 0 ) )
  {
    first->setDataDefinedProperty( QgsSymbolLayer::PropertyFillColor, QgsProperty::fromExpression( colourExpression ) );
    first->setStrokeColor( QColor( 255, 255, 255, 120 ) );
  }
  return new QgsSingleSymbolRenderer( symbol );
}

QgsFeatureRenderer *museclDominantViewRenderer( const QgsVectorLayer *layer, const QStringList &betaFields,
                                                const QStringList &viewNames )
{
  // The first view whose weight is not below any other's (its attention field names the category);
  // regions without an embedding match none.
  QStringList cases;
  for ( int v = 0; v < betaFields.size(); ++v )
  {
    const QString mine = QgsExpression::quotedColumnRef( betaFields.at( v ) );
    QStringList conditions{ QStringLiteral( "%1 IS NOT NULL" ).arg( mine ) };
    for ( int w = 0; w < betaFields.size(); ++w )
      if ( w != v )
        conditions << QStringLiteral( "coalesce(%1, -1) %2 %3" )
                          .arg( QgsExpression::quotedColumnRef( betaFields.at( w ) ),
                                w < v ? QStringLiteral( "<" ) : QStringLiteral( "<=" ), mine );
    cases << QStringLiteral( "WHEN %1 THEN %2" )
                 .arg( conditions.join( QStringLiteral( " AND " ) ),
                       QgsExpression::quotedString( betaFields.at( v ) ) );
  }
  const QString expression = QStringLiteral( "CASE %1 END" ).arg( cases.join( ' ' ) );
  QgsCategoryList list;
  for ( int v = 0; v < betaFields.size(); ++v )
    list << QgsRendererCategory( betaFields.at( v ), symbolFor( layer, kQualitative[( v * 3 ) % 12] ),
                                 viewNames.at( v ) );
  list << QgsRendererCategory( QVariant(), symbolFor( layer, QColor( 190, 190, 190 ) ), QObject::tr( "No embedding" ) );
  return new QgsCategorizedSymbolRenderer( expression, list );
}

void museclStyleOutput( QgsProcessingContext &context, const QString &destination, const QList<MuseclStyle> &styles )
{
  if ( styles.isEmpty() )
    return;
  if ( context.willLoadLayerOnCompletion( destination ) )
    context.layerToLoadOnCompletionDetails( destination ).setPostProcessor( new StylePostProcessor( styles ) );
  if ( museclIsPlainFileDestination( destination ) && QFileInfo( destination ).isFile() )
    writeQml( destination, styles.first() );
}

void museclStyleOutput( QgsProcessingContext &context, const QString &destination, const QString &field, int categories,
                        bool diverging )
{
  museclStyleOutput(
      context, destination,
      { { QObject::tr( "MuseCL: %1" ).arg( field ), [field, categories, diverging]( const QgsVectorLayer *layer )
          {
            return categories > 0 ? museclCategorisedRenderer( layer, field, categories )
                                  : museclGraduatedRenderer( layer, field, diverging );
          } } } );
}

QString museclEmbeddingColourExpression( const std::vector<std::vector<double>> &rows,
                                         const QStringList &embeddingFields, const QString &hasEmbeddingField )
{
  if ( rows.size() < 2 )
    return QString();
  const musecl::PrincipalAxes pa = museclCallCore( [&rows] { return musecl::principalAxes( rows, 3 ); } );
  QStringList channels;
  for ( std::size_t k = 0; k < 3; ++k )
  {
    if ( k >= pa.axes.size() )
    {
      channels << QStringLiteral( "128" );
      continue;
    }
    // score = offset + sum_j weight_j * emb_j, stretched from its 2nd to its 98th percentile.
    std::vector<double> weight( pa.mean.size() );
    double offset = 0;
    QStringList terms;
    for ( std::size_t j = 0; j < weight.size(); ++j )
    {
      weight[j] = pa.axes[k][j] / pa.scale[j];
      offset -= weight[j] * pa.mean[j];
      terms << QStringLiteral( "%1*%2" ).arg(
          QString::number( weight[j], 'f', 10 ),
          QgsExpression::quotedColumnRef( embeddingFields.at( static_cast<int>( j ) ) ) );
    }
    std::vector<double> scores;
    for ( const std::vector<double> &row : rows )
    {
      double s = offset;
      for ( std::size_t j = 0; j < weight.size(); ++j )
        s += weight[j] * row[j];
      scores.push_back( s );
    }
    std::sort( scores.begin(), scores.end() );
    const double low = scores[scores.size() / 50], high = scores[scores.size() - 1 - scores.size() / 50];
    channels << QStringLiteral( "scale_linear(%1 + %2, %3, %4, 0, 255)" )
                    .arg( QString::number( offset, 'f', 10 ), terms.join( QStringLiteral( " + " ) ),
                          QString::number( low, 'f', 10 ), QString::number( high > low ? high : low + 1, 'f', 10 ) );
  }
  return QStringLiteral( "CASE WHEN %1 = 0 THEN color_rgb(190, 190, 190) ELSE color_rgb(%2) END" )
      .arg( QgsExpression::quotedColumnRef( hasEmbeddingField ), channels.join( QStringLiteral( ", " ) ) );
}
