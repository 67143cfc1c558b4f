// musecl:predict. Downstream evaluation of region embeddings (or of any numeric region features):
// the core predictor (core/musecl/predict.h) under the analyst's choice of model and validation,
// with predictions, residuals and folds written back, and an HTML report.
#include "musecl_predict_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_provider.h"
#include "musecl_numeric_fields.h"
#include "musecl_region_inputs.h"
#include "musecl_styles.h"

#include "musecl/predict.h"

#include <qgsexception.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QIcon>
#include <QTextStream>
#include <algorithm>
#include <cmath>

namespace
{
  const QString kInput = QStringLiteral( "INPUT" );
  const QString kFeatures = QStringLiteral( "FEATURES" );
  const QString kFeaturePattern = QStringLiteral( "FEATURE_PATTERN" );
  const QString kTarget = QStringLiteral( "TARGET" );
  const QString kLog = QStringLiteral( "LOG_TARGET" );
  const QString kLogFeatures = QStringLiteral( "LOG_FEATURES" );
  const QString kModel = QStringLiteral( "MODEL" );
  const QString kEvaluation = QStringLiteral( "EVALUATION" );
  const QString kFolds = QStringLiteral( "FOLDS" );
  const QString kSeed = QStringLiteral( "SEED" );
  const QString kThreads = QStringLiteral( "THREADS" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
  const QString kReport = QStringLiteral( "OUTPUT_REPORT" );
  // Up to this many labelled regions the automatic choice is ridge: on Manhattan's 180 zones the
  // MLP (hundreds of thousands of weights) scored below ridge in most rows of BENCHMARKS.md, by up
  // to 0.3 R² (random folds).
  constexpr int kRidgeUpTo = 500;

  QString scatterSvg( const std::vector<double> &truth, const std::vector<double> &predicted, bool logScale )
  {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for ( std::size_t i = 0; i < truth.size(); ++i )
    {
      lo = std::min( { lo, truth[i], predicted[i] } );
      hi = std::max( { hi, truth[i], predicted[i] } );
    }
    if ( !( hi > lo ) )
      hi = lo + 1;
    const double size = 360, pad = 40;
    auto px = [&]( double v ) { return pad + ( v - lo ) / ( hi - lo ) * ( size - 2 * pad ); };
    QString svg = QStringLiteral( "<svg xmlns='http://www.w3.org/2000/svg' width='%1' height='%1' style='background:#fff;border:1px solid #ccc'>" ).arg( size );
    svg += QStringLiteral( "<line x1='%1' y1='%2' x2='%2' y2='%1' stroke='#999' stroke-dasharray='4,3'/>" ).arg( pad ).arg( size - pad );
    for ( std::size_t i = 0; i < truth.size(); ++i )
      svg += QStringLiteral( "<circle cx='%1' cy='%2' r='3' fill='#2b7a78' fill-opacity='0.6'/>" ).arg( px( truth[i] ), 0, 'f', 1 ).arg( size - px( predicted[i] ), 0, 'f', 1 );
    const QString scale = logScale ? QStringLiteral( "log1p " ) : QString();
    svg += QStringLiteral( "<text x='%1' y='%2' font-size='12' text-anchor='middle'>true (%3scale)</text>" ).arg( size / 2 ).arg( size - 10 ).arg( scale );
    svg += QStringLiteral( "<text x='12' y='%1' font-size='12' text-anchor='middle' transform='rotate(-90 12 %1)'>predicted</text>" ).arg( size / 2 );
    svg += QStringLiteral( "<text x='%1' y='%2' font-size='10'>%3</text><text x='%4' y='%2' font-size='10' text-anchor='end'>%5</text>" )
           .arg( pad ).arg( size - pad + 14 ).arg( lo, 0, 'g', 3 ).arg( size - pad ).arg( hi, 0, 'g', 3 );
    return svg + QStringLiteral( "</svg>" );
  }
}

QString MuseclPredictAlgorithm::name() const { return QStringLiteral( "predict" ); }
QString MuseclPredictAlgorithm::displayName() const { return QObject::tr( "Predict indicator from region embeddings" ); }
QStringList MuseclPredictAlgorithm::tags() const { return QObject::tr( "predict,regression,mlp,ridge,cross-validation,r2,rmse,indicator,population,crime,musecl" ).split( ',' ); }
QString MuseclPredictAlgorithm::group() const { return QObject::tr( "Prediction" ); }
QString MuseclPredictAlgorithm::groupId() const { return QStringLiteral( "prediction" ); }
QIcon MuseclPredictAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclPredictAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/predict.svg" ); }
MuseclPredictAlgorithm *MuseclPredictAlgorithm::createInstance() const { return new MuseclPredictAlgorithm(); }


QString MuseclPredictAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Predicts a socioeconomic indicator (population, crime, house prices, activity…) from numeric region features: the "
           "embeddings of <i>Train MuseCL region model</i> (emb_* fields, the default) or any other fields, e.g. the raw counts of "
           "the <i>Region features</i> algorithms as a baseline. FEATURE_PATTERN adds fields by name with wildcards, e.g. "
           "emb_*;cat_*;inflow;outflow for the embeddings together with the raw features, which with LOG_FEATURES predicted "
           "crime best on Manhattan (see BENCHMARKS.md).\n\n"
           "<b>Target</b>: regions with a null target are predicted, not trained on; any other value must be a finite number "
           "(text, NaN or infinity is an error naming the feature). Regions with has_embedding = 0 (no input reached them in "
           "musecl:train or musecl:embed) are not used and get NULL predictions; the count is the REGIONS_WITHOUT_EMBEDDING output. LOG_TARGET models log(1 + target), as usual for "
           "counts; predictions are written back on the original scale, metrics are on the modelling scale. LOG_FEATURES does "
           "the same for every feature field without negative values (raw counts of POIs and trips), which keeps ridge from "
           "extrapolating wildly into areas with counts beyond the training range; embedding fields are left as they are.\n\n"
           "<b>Models</b>: the paper's MLP (hidden 512-256-128-64, ReLU, Adam 5e-4, early stopping on a validation split), or ridge "
           "regression (standardised features, penalty chosen by inner cross-validation). The default, <i>automatic</i>, uses ridge "
           "up to 500 labelled regions and the MLP above: on small cities the MLP's hundreds of thousands of weights overfit (on "
           "Manhattan's 180 zones it scored below ridge in most settings, by up to 0.3 R², see BENCHMARKS.md).\n\n"
           "<b>Evaluation</b>: the paper's 60/20/20 train/validation/test split; random k-fold; or spatially blocked k-fold, whose "
           "folds are contiguous areas (k-means of the region centroids), so that nearby, similar regions cannot leak between "
           "training and test. Spatial k-fold is the honest choice for maps.\n\n"
           "<b>Outputs</b>: the input layer with pred, residual (target − pred) and fold; R2, RMSE and MAE (usable in models); an "
           "HTML report with a predicted-vs-true scatter plot, per-fold metrics and the settings." );
}

void MuseclPredictAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kInput, QObject::tr( "Regions with features" ), QList<int>() << QgsProcessing::TypeVector ) );
  addParameter( new QgsProcessingParameterField( kFeatures, QObject::tr( "Feature fields (default: all emb_* fields)" ), QVariant(), kInput,
                QgsProcessingParameterField::Numeric, true, true ) );
  addParameter( new QgsProcessingParameterString( kFeaturePattern, QObject::tr( "Feature fields by name pattern (e.g. emb_*;cat_*;inflow;outflow)" ), QVariant(), false, true ) );
  addParameter( new QgsProcessingParameterField( kTarget, QObject::tr( "Target field (indicator)" ), QVariant(), kInput, QgsProcessingParameterField::Numeric ) );
  addParameter( new QgsProcessingParameterBoolean( kLog, QObject::tr( "Model log(1 + target)" ), true ) );
  addParameter( new QgsProcessingParameterBoolean( kLogFeatures, QObject::tr( "Use log(1 + x) of non-negative features (counts)" ), false ) );
  // "Automatic" is appended rather than first so that MODEL=0 (MLP) and MODEL=1 (ridge) keep their meaning in saved batches and models.
  addParameter( new QgsProcessingParameterEnum( kModel, QObject::tr( "Model" ), QStringList() << QObject::tr( "MLP 512-256-128-64 (paper)" ) << QObject::tr( "Ridge regression" )
                << QObject::tr( "Automatic: ridge up to %1 labelled regions, MLP above" ).arg( kRidgeUpTo ), false, 2 ) );
  addParameter( new QgsProcessingParameterEnum( kEvaluation, QObject::tr( "Evaluation" ),
                QStringList() << QObject::tr( "60/20/20 split (paper)" ) << QObject::tr( "Random k-fold" ) << QObject::tr( "Spatially blocked k-fold" ), false, 1 ) );
  addParameter( new QgsProcessingParameterNumber( kFolds, QObject::tr( "Folds (k)" ), QgsProcessingParameterNumber::Integer, 5, false, 2, 100 ) );
  addParameter( new QgsProcessingParameterNumber( kSeed, QObject::tr( "Random seed" ), QgsProcessingParameterNumber::Integer, 42, false, 0 ) );
  auto threads = new QgsProcessingParameterNumber( kThreads, QObject::tr( "CPU threads (0 = automatic: the cores other programs leave free)" ), QgsProcessingParameterNumber::Integer, 0, false, 0, 1024 );
  threads->setFlags( threads->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( threads );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Predictions" ), QgsProcessing::TypeVector ) );
  addParameter( new QgsProcessingParameterFileDestination( kReport, QObject::tr( "Report" ), QObject::tr( "HTML files (*.html)" ), QVariant(), true, false ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "R2" ), QObject::tr( "R²" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_EMBEDDING" ), QObject::tr( "Regions skipped because has_embedding = 0" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "RMSE" ), QObject::tr( "RMSE" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "MAE" ), QObject::tr( "MAE" ) ) );
}


QVariantMap MuseclPredictAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  std::unique_ptr<QgsProcessingFeatureSource> source( parameterAsSource( parameters, kInput, context ) );
  if ( !source )
    throw QgsProcessingException( invalidSourceError( parameters, kInput ) );
  const QString layer = source->sourceName();
  const QString targetName = parameterAsString( parameters, kTarget, context );
  const int targetIndex = museclRequireField( source->fields(), targetName, layer, kTarget );
  const QList<int> featureIndexes = museclFeatureFields( source->fields(), parameterAsFields( parameters, kFeatures, context ), parameterAsString( parameters, kFeaturePattern, context ), layer, targetName );

  musecl::PredictOptions o;
  const int modelChoice = parameterAsEnum( parameters, kModel, context );
  o.kind = modelChoice == 0 ? musecl::PredictorKind::Mlp : musecl::PredictorKind::Ridge;
  const int evaluation = parameterAsEnum( parameters, kEvaluation, context );
  o.evaluation = evaluation == 0 ? musecl::Evaluation::Split602020 : evaluation == 2 ? musecl::Evaluation::SpatialKFold : musecl::Evaluation::KFold;
  o.folds = parameterAsInt( parameters, kFolds, context );
  o.logTarget = parameterAsBoolean( parameters, kLog, context );
  o.logFeatures = parameterAsBoolean( parameters, kLogFeatures, context );
  o.seed = static_cast<std::uint64_t>( parameterAsInt( parameters, kSeed, context ) );
  o.threads = parameterAsInt( parameters, kThreads, context );

  musecl::PredictInput in;
  QVector<QgsFeature> features;
  // Regions that no input reached carry has_embedding = 0 and an all-zero embedding: fitting or
  // predicting them would teach the model that zeros mean something. They are written with NULL
  // predictions and counted instead.
  const int hasEmbeddingIndex = source->fields().lookupField( QStringLiteral( "has_embedding" ) );
  std::vector<int> rowOf;  // output feature -> row given to the predictor, -1 when skipped
  long long withoutEmbedding = 0;
  QgsFeature f;
  QgsFeatureIterator it = source->getFeatures();
  while ( it.nextFeature( f ) )
  {
    if ( museclLacksEmbedding( f, hasEmbeddingIndex ) )
    {
      ++withoutEmbedding;
      rowOf.push_back( -1 );
      features << f;
      continue;
    }
    std::vector<double> row;
    for ( int index : featureIndexes )
    {
      bool ok = false;
      const QVariant v = f.attribute( index );
      const double x = v.toDouble( &ok );
      if ( v.isNull() || !ok || !std::isfinite( x ) )
        throw QgsProcessingException( QObject::tr( "Feature %1 of layer “%2” has “%3” in feature field %4; features must be finite numbers (fill or drop such rows first)" )
                                      .arg( f.id() ).arg( layer, v.isNull() ? QStringLiteral( "NULL" ) : v.toString(), source->fields().at( index ).name() ) );
      row.push_back( x );
    }
    in.features.push_back( std::move( row ) );
    // NULL means "predict this region"; anything else must be a usable number.
    const QVariant t = f.attribute( targetIndex );
    bool ok = false;
    const double target = t.toDouble( &ok );
    if ( !t.isNull() && ( !ok || !std::isfinite( target ) ) )
      throw QgsProcessingException( QObject::tr( "Feature %1 of layer “%2” has “%3” in target field %4: a target must be a finite number, or NULL for a region to predict" )
                                    .arg( f.id() ).arg( layer, t.toString(), targetName ) );
    if ( !t.isNull() && o.logTarget && target < 0 )
      throw QgsProcessingException( QObject::tr( "Feature %1 of layer “%2” has %3 in target field %4: LOG_TARGET models log(1 + target) and needs values ≥ 0 (turn LOG_TARGET off for signed targets)" )
                                    .arg( f.id() ).arg( layer ).arg( target ).arg( targetName ) );
    in.target.push_back( t.isNull() ? std::numeric_limits<double>::quiet_NaN() : target );
    rowOf.push_back( static_cast<int>( in.features.size() ) - 1 );
    if ( f.hasGeometry() )
    {
      const QgsPointXY c = f.geometry().centroid().asPoint();
      in.x.push_back( c.x() );
      in.y.push_back( c.y() );
    }
    features << f;
  }
  if ( features.isEmpty() )
    throw QgsProcessingException( QObject::tr( "Layer “%1” has no features" ).arg( layer ) );
  if ( withoutEmbedding > 0 )
    feedback->pushWarning( QObject::tr( "%1 of %2 regions have has_embedding = 0 (no input reached them): they are not used and get NULL predictions" )
                           .arg( withoutEmbedding ).arg( features.size() ) );
  if ( in.features.empty() )
    throw QgsProcessingException( QObject::tr( "No region of layer “%1” has an embedding (has_embedding = 0 everywhere)" ).arg( layer ) );
  if ( modelChoice == 2 )
  {
    const auto labelled = std::count_if( in.target.begin(), in.target.end(), []( double v ) { return !std::isnan( v ); } );
    o.kind = labelled <= kRidgeUpTo ? musecl::PredictorKind::Ridge : musecl::PredictorKind::Mlp;
    feedback->pushInfo( QObject::tr( "Model: automatic choice for %1 labelled regions: %2" )
                        .arg( labelled ).arg( o.kind == musecl::PredictorKind::Ridge ? QObject::tr( "ridge regression (MLP above %1)" ).arg( kRidgeUpTo ) : QObject::tr( "MLP" ) ) );
  }
  if ( o.evaluation == musecl::Evaluation::SpatialKFold && in.x.size() != in.features.size() )
    throw QgsProcessingException( QObject::tr( "Spatially blocked k-fold needs geometries, and layer “%1” has features without one; use random k-fold" ).arg( layer ) );

  musecl::PredictResult result;
  try
  {
    result = musecl::predictIndicator( in, o, [feedback]( double fraction ) {
      feedback->setProgress( 5 + 85 * fraction );
      return !feedback->isCanceled();
    } );
  }
  catch ( const std::exception &e )
  {
    if ( feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled; no output was written" ) );
    throw QgsProcessingException( QObject::tr( "Prediction of %1 from layer “%2” failed: %3" ).arg( targetName, layer, QString::fromStdString( e.what() ) ) );
  }
  for ( const std::string &note : result.notes )
    feedback->pushInfo( QString::fromStdString( note ) );
  const QString scale = o.logTarget ? QObject::tr( " (log1p scale)" ) : QString();
  feedback->pushInfo( QObject::tr( "%1 with %2 features: R² %3, RMSE %4, MAE %5%6 over %7 regions" )
                      .arg( o.kind == musecl::PredictorKind::Mlp ? QObject::tr( "MLP" ) : QObject::tr( "Ridge" ) ).arg( featureIndexes.size() )
                      .arg( result.overall.r2, 0, 'f', 3 ).arg( result.overall.rmse, 0, 'f', 3 ).arg( result.overall.mae, 0, 'f', 3 ).arg( scale ).arg( result.overall.n ) );

  MuseclOutputFields outputFields( source->fields() );
  const QString predName = outputFields.add( "", "pred", QVariant::Double );
  outputFields.add( "", "residual", QVariant::Double );
  outputFields.add( "", "fold", QVariant::Int );
  const QgsFields &fields = outputFields.fields();
  MuseclAtomicSink output( this, kOutput, parameters, context, fields, source->wkbType(), source->sourceCrs() );
  for ( int i = 0; i < features.size(); ++i )
  {
    if ( rowOf[static_cast<std::size_t>( i )] < 0 )
    {
      output.addFeature( outputFields.extended( features.at( i ), QgsAttributes() << QVariant( QVariant::Double ) << QVariant( QVariant::Double ) << QVariant( QVariant::Int ) ) );
      continue;
    }
    const auto r = static_cast<std::size_t>( rowOf[static_cast<std::size_t>( i )] );
    const double target = in.target[r];
    output.addFeature( outputFields.extended( features.at( i ), QgsAttributes() << result.prediction[r]
                       << ( std::isnan( target ) ? QVariant( QVariant::Double ) : QVariant( target - result.prediction[r] ) )
                       << ( result.fold[r] < 0 ? QVariant( QVariant::Int ) : QVariant( result.fold[r] ) ) ) );
  }

  QVariantMap outputs;
  output.finish();
  const QString reportPath = parameterAsFileOutput( parameters, kReport, context );
  std::unique_ptr<MuseclStagedFile> report;
  if ( !reportPath.isEmpty() )
  {
    std::vector<double> truth, predicted;
    for ( std::size_t i = 0; i < in.target.size(); ++i )
    {
      const bool evaluated = o.evaluation == musecl::Evaluation::Split602020 ? result.fold[i] == 2 : result.fold[i] >= 0;
      if ( !evaluated )
        continue;
      truth.push_back( o.logTarget ? std::log1p( in.target[i] ) : in.target[i] );
      predicted.push_back( o.logTarget ? std::log1p( std::max( 0.0, result.prediction[i] ) ) : result.prediction[i] );
    }
    QString html;
    QTextStream s( &html );
    s << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>MuseCL prediction report</title>"
      << "<style>body{font-family:sans-serif;margin:2em;color:#17252a}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}</style></head><body>"
      << "<h1>" << QObject::tr( "Prediction of %1" ).arg( targetName.toHtmlEscaped() ) << "</h1>"
      << "<p>" << QObject::tr( "Layer" ) << " <b>" << layer.toHtmlEscaped() << "</b>, " << featureIndexes.size() << " " << QObject::tr( "features" ) << ", "
      << ( o.kind == musecl::PredictorKind::Mlp ? QObject::tr( "MLP 512-256-128-64" ) : QObject::tr( "ridge regression" ) ) << ", "
      << QString::fromStdString( result.notes.empty() ? std::string() : result.notes.front() ).toHtmlEscaped() << ", seed " << o.seed
      << ( o.logTarget ? QObject::tr( ", target modelled as log(1 + %1)" ).arg( targetName.toHtmlEscaped() ) : QString() ) << ".</p>"
      // Markup literals go through QTextStream as Latin-1 in Qt 5, so they stay ASCII (R&sup2;, not R²).
      << "<h2>" << QObject::tr( "Metrics" ) << scale << "</h2><table><tr><th></th><th>R&sup2;</th><th>RMSE</th><th>MAE</th><th>n</th></tr>"
      << QStringLiteral( "<tr><th>%1</th><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>" ).arg( QObject::tr( "overall" ) ).arg( result.overall.r2, 0, 'f', 3 )
      .arg( result.overall.rmse, 0, 'f', 3 ).arg( result.overall.mae, 0, 'f', 3 ).arg( result.overall.n );
    for ( std::size_t k = 0; k < result.perFold.size() && o.evaluation != musecl::Evaluation::Split602020; ++k )
      s << QStringLiteral( "<tr><th>%1 %2</th><td>%3</td><td>%4</td><td>%5</td><td>%6</td></tr>" ).arg( QObject::tr( "fold" ) ).arg( k )
        .arg( result.perFold[k].r2, 0, 'f', 3 ).arg( result.perFold[k].rmse, 0, 'f', 3 ).arg( result.perFold[k].mae, 0, 'f', 3 ).arg( result.perFold[k].n );
    s << "</table><h2>" << QObject::tr( "Predicted against true (held-out regions)" ) << "</h2>" << scatterSvg( truth, predicted, o.logTarget );
    s << "<p>" << QObject::tr( "MuseCL: Yong, X. and Zhou, X. (2024), Predicting Urban Socioeconomic Indicators via Multi-Semantic Contrastive Learning, IJCAI." ) << "</p></body></html>";
    report = std::make_unique<MuseclStagedFile>( reportPath, QObject::tr( "report" ) );
    QFile file( report->stagingPath() );
    if ( !file.open( QIODevice::WriteOnly | QIODevice::Truncate ) || file.write( html.toUtf8() ) < 0 || !file.flush() )
      throw QgsProcessingException( QObject::tr( "Could not write the report “%1”: %2" ).arg( reportPath, file.errorString() ) );
    file.close();
  }
  // Both outputs are complete: publish them together (renames only).
  if ( report )
    outputs.insert( kReport, report->publish() );
  const QString destination = output.publish();
  museclStyleOutput( context, destination, predName, 0, false );
  outputs.insert( kOutput, destination );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_EMBEDDING" ), withoutEmbedding );
  outputs.insert( QStringLiteral( "R2" ), result.overall.r2 );
  outputs.insert( QStringLiteral( "RMSE" ), result.overall.rmse );
  outputs.insert( QStringLiteral( "MAE" ), result.overall.mae );
  return outputs;
}

QString MuseclPredictAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "predict-and-cluster" ) );
}
