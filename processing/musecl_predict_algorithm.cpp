// musecl:predict. Downstream evaluation of region embeddings (or of any numeric region features):
// the core predictor (core/musecl/predict.h) under the analyst's choice of model and validation,
// with predictions, residuals and folds written back, and an HTML report.
#include "musecl_predict_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_core_call.h"
#include "musecl_enum_parameters.h"
#include "musecl_output_fields.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_numeric_fields.h"
#include "musecl_region_inputs.h"
#include "musecl_stage_feedback.h"
#include "musecl_styles.h"

#include "musecl/learn/predict/predict.h"

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
    QString svg =
        QStringLiteral(
            "<svg xmlns='http://www.w3.org/2000/svg' width='%1' height='%1' style='background:#fff;border:1px solid #ccc'>" )
            .arg( size );
    svg += QStringLiteral( "<line x1='%1' y1='%2' x2='%2' y2='%1' stroke='#999' stroke-dasharray='4,3'/>" )
               .arg( pad )
               .arg( size - pad );
    for ( std::size_t i = 0; i < truth.size(); ++i )
      svg += QStringLiteral( "<circle cx='%1' cy='%2' r='3' fill='#2b7a78' fill-opacity='0.6'/>" )
                 .arg( px( truth[i] ), 0, 'f', 1 )
                 .arg( size - px( predicted[i] ), 0, 'f', 1 );
    const QString scale = logScale ? QStringLiteral( "log1p " ) : QString();
    svg += QStringLiteral( "<text x='%1' y='%2' font-size='12' text-anchor='middle'>true (%3scale)</text>" )
               .arg( size / 2 )
               .arg( size - 10 )
               .arg( scale );
    svg +=
        QStringLiteral(
            "<text x='12' y='%1' font-size='12' text-anchor='middle' transform='rotate(-90 12 %1)'>predicted</text>" )
            .arg( size / 2 );
    svg +=
        QStringLiteral(
            "<text x='%1' y='%2' font-size='10'>%3</text><text x='%4' y='%2' font-size='10' text-anchor='end'>%5</text>" )
            .arg( pad )
            .arg( size - pad + 14 )
            .arg( lo, 0, 'g', 3 )
            .arg( size - pad )
            .arg( hi, 0, 'g', 3 );
    return svg + QStringLiteral( "</svg>" );
  }

  // The rows given to the predictor, and which output feature each comes from.
  struct PredictRows
  {
      musecl::PredictInput in;
      QVector<QgsFeature> features;
      std::vector<int> rowOf; // output feature -> row given to the predictor, -1 when skipped
      long long withoutEmbedding = 0;
  };

  // Regions that no input reached carry has_embedding = 0 and an all-zero embedding: fitting or
  // predicting them would teach the model that zeros mean something. They are written with NULL
  // predictions and counted instead.
  PredictRows readPredictRows( QgsProcessingFeatureSource &source, const QList<int> &featureIndexes, int targetIndex,
                               const QString &targetName, const QString &layer, bool logTarget )
  {
    PredictRows rows;
    musecl::PredictInput &in = rows.in;
    const int hasEmbeddingIndex = source.fields().lookupField( QStringLiteral( "has_embedding" ) );
    QgsFeature f;
    QgsFeatureIterator it = source.getFeatures();
    while ( it.nextFeature( f ) )
    {
      if ( museclLacksEmbedding( f, hasEmbeddingIndex ) )
      {
        ++rows.withoutEmbedding;
        rows.rowOf.push_back( -1 );
        rows.features << f;
        continue;
      }
      in.features.push_back( museclFeatureRow(
          f, featureIndexes, source.fields(), layer,
          QObject::tr(
              "Feature %1 of layer “%2” has “%3” in feature field %4; features must be finite numbers (fill or drop such rows first)" ) ) );
      // NULL means "predict this region"; anything else must be a usable number.
      const QVariant t = f.attribute( targetIndex );
      bool ok = false;
      const double target = t.toDouble( &ok );
      if ( !t.isNull() && ( !ok || !std::isfinite( target ) ) )
        throw QgsProcessingException(
            QObject::tr(
                "Feature %1 of layer “%2” has “%3” in target field %4: a target must be a finite number, or NULL for a region to predict" )
                .arg( f.id() )
                .arg( layer, t.toString(), targetName ) );
      if ( !t.isNull() && logTarget && target < 0 )
        throw QgsProcessingException(
            QObject::tr(
                "Feature %1 of layer “%2” has %3 in target field %4: LOG_TARGET models log(1 + target) and needs values ≥ 0 (turn LOG_TARGET off for signed targets)" )
                .arg( f.id() )
                .arg( layer )
                .arg( target )
                .arg( targetName ) );
      in.target.push_back( t.isNull() ? std::numeric_limits<double>::quiet_NaN() : target );
      rows.rowOf.push_back( static_cast<int>( in.features.size() ) - 1 );
      if ( f.hasGeometry() )
      {
        const QgsPointXY c = f.geometry().centroid().asPoint();
        in.x.push_back( c.x() );
        in.y.push_back( c.y() );
      }
      rows.features << f;
    }
    return rows;
  }

  // MODEL automatic: ridge up to kRidgeUpTo labelled regions, the MLP above.
  void chooseModelAutomatically( const musecl::PredictInput &in, musecl::PredictOptions &o,
                                 QgsProcessingFeedback *feedback )
  {
    const auto labelled =
        std::count_if( in.target.begin(), in.target.end(), []( double v ) { return !std::isnan( v ); } );
    o.kind = labelled <= kRidgeUpTo ? musecl::PredictorKind::Ridge : musecl::PredictorKind::Mlp;
    feedback->pushInfo( QObject::tr( "Model: automatic choice for %1 labelled regions: %2" )
                            .arg( labelled )
                            .arg( o.kind == musecl::PredictorKind::Ridge
                                      ? QObject::tr( "ridge regression (MLP above %1)" ).arg( kRidgeUpTo )
                                      : QObject::tr( "MLP" ) ) );
  }

  // The core predictor, progress 0-100 on `feedback`; a failure or cancel becomes a QgsProcessingException.
  musecl::PredictResult runPredictor( const musecl::PredictInput &in, const musecl::PredictOptions &o,
                                      const QString &targetName, const QString &layer, QgsProcessingFeedback *feedback )
  {
    const MuseclCoreErrors errors(
        [&]( const QString &reason )
        { return QObject::tr( "Prediction of %1 from layer “%2” failed: %3" ).arg( targetName, layer, reason ); },
        QObject::tr( "Cancelled; no output was written" ), feedback );
    return museclCallCore(
        [&]
        {
          return musecl::predictIndicator( in, o,
                                           [feedback]( double fraction )
                                           {
                                             feedback->setProgress( 100.0 * fraction );
                                             return !feedback->isCanceled();
                                           } );
        },
        errors );
  }

  // Every input feature with pred, residual and fold (NULL for regions without an embedding).
  void writePredictions( MuseclAtomicSink &output, const MuseclOutputFields &outputFields, const PredictRows &rows,
                         const musecl::PredictResult &result )
  {
    for ( int i = 0; i < rows.features.size(); ++i )
    {
      if ( rows.rowOf[static_cast<std::size_t>( i )] < 0 )
      {
        output.addFeature( outputFields.extended(
            rows.features.at( i ), QgsAttributes() << QVariant( QVariant::Double ) << QVariant( QVariant::Double )
                                                   << QVariant( QVariant::Int ) ) );
        continue;
      }
      const auto r = static_cast<std::size_t>( rows.rowOf[static_cast<std::size_t>( i )] );
      const double target = rows.in.target[r];
      output.addFeature( outputFields.extended(
          rows.features.at( i ),
          QgsAttributes() << result.prediction[r]
                          << ( std::isnan( target ) ? QVariant( QVariant::Double )
                                                    : QVariant( target - result.prediction[r] ) )
                          << ( result.fold[r] < 0 ? QVariant( QVariant::Int ) : QVariant( result.fold[r] ) ) ) );
    }
  }

  // The HTML report: settings, metrics overall and per fold, and the held-out regions' scatter plot.
  QString reportHtml( const musecl::PredictInput &in, const musecl::PredictOptions &o,
                      const musecl::PredictResult &result, const QString &targetName, const QString &layer,
                      int featureCount, const QString &scale )
  {
    std::vector<double> truth, predicted;
    for ( std::size_t i = 0; i < in.target.size(); ++i )
    {
      const bool evaluated =
          o.evaluation == musecl::Evaluation::Split602020 ? result.fold[i] == 2 : result.fold[i] >= 0;
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
      << "<p>" << QObject::tr( "Layer" ) << " <b>" << layer.toHtmlEscaped() << "</b>, " << featureCount << " "
      << QObject::tr( "features" ) << ", "
      << ( o.kind == musecl::PredictorKind::Mlp ? QObject::tr( "MLP 512-256-128-64" )
                                                : QObject::tr( "ridge regression" ) )
      << ", " << QString::fromStdString( result.notes.empty() ? std::string() : result.notes.front() ).toHtmlEscaped()
      << ", seed " << o.seed
      << ( o.logTarget ? QObject::tr( ", target modelled as log(1 + %1)" ).arg( targetName.toHtmlEscaped() )
                       : QString() )
      << ".</p>"
      // Markup literals go through QTextStream as Latin-1 in Qt 5, so they stay ASCII (R&sup2;, not R²).
      << "<h2>" << QObject::tr( "Metrics" ) << scale
      << "</h2><table><tr><th></th><th>R&sup2;</th><th>RMSE</th><th>MAE</th><th>n</th></tr>"
      << QStringLiteral( "<tr><th>%1</th><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>" )
             .arg( QObject::tr( "overall" ) )
             .arg( result.overall.r2, 0, 'f', 3 )
             .arg( result.overall.rmse, 0, 'f', 3 )
             .arg( result.overall.mae, 0, 'f', 3 )
             .arg( result.overall.n );
    for ( std::size_t k = 0; k < result.perFold.size() && o.evaluation != musecl::Evaluation::Split602020; ++k )
      s << QStringLiteral( "<tr><th>%1 %2</th><td>%3</td><td>%4</td><td>%5</td><td>%6</td></tr>" )
               .arg( QObject::tr( "fold" ) )
               .arg( k )
               .arg( result.perFold[k].r2, 0, 'f', 3 )
               .arg( result.perFold[k].rmse, 0, 'f', 3 )
               .arg( result.perFold[k].mae, 0, 'f', 3 )
               .arg( result.perFold[k].n );
    s << "</table><h2>" << QObject::tr( "Predicted against true (held-out regions)" ) << "</h2>"
      << scatterSvg( truth, predicted, o.logTarget );
    s << "<p>"
      << QObject::tr(
             "MuseCL: Yong, X. and Zhou, X. (2024), Predicting Urban Socioeconomic Indicators via Multi-Semantic Contrastive Learning, IJCAI." )
      << "</p></body></html>";
    return html;
  }

  // `html` staged under `reportPath` (published by the caller with the layer).
  std::unique_ptr<MuseclStagedFile> stageReport( const QString &reportPath, const QString &html )
  {
    auto report = std::make_unique<MuseclStagedFile>( reportPath, QObject::tr( "report" ) );
    QFile file( report->stagingPath() );
    if ( !file.open( QIODevice::WriteOnly | QIODevice::Truncate ) || file.write( html.toUtf8() ) < 0 || !file.flush() )
      throw QgsProcessingException(
          QObject::tr( "Could not write the report “%1”: %2" ).arg( reportPath, file.errorString() ) );
    file.close();
    return report;
  }
} // namespace

MuseclPredictAlgorithm::MuseclPredictAlgorithm()
    : MuseclAlgorithmOf<MuseclPredictAlgorithm>(
          { "predict", QT_TRANSLATE_NOOP( "QObject", "Predict indicator from region embeddings" ),
            QT_TRANSLATE_NOOP(
                "QObject", "predict,regression,mlp,ridge,cross-validation,r2,rmse,indicator,population,crime,musecl" ),
            QT_TRANSLATE_NOOP( "QObject", "Prediction" ), "prediction", ":/musecl/icons/predict.svg",
            "predict-and-cluster" } )
{
}


void MuseclPredictAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::INPUT, QObject::tr( "Regions with features" ),
                                                         QList<int>() << QgsProcessing::TypeVector ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::FEATURES, QObject::tr( "Feature fields (default: all emb_* fields)" ), QVariant(),
      MuseclParameter::INPUT, QgsProcessingParameterField::Numeric, true, true ) );
  addParameter( new QgsProcessingParameterString(
      MuseclParameter::FEATURE_PATTERN,
      QObject::tr( "Feature fields by name pattern (e.g. emb_*;cat_*;inflow;outflow)" ), QVariant(), false, true ) );
  addParameter( new QgsProcessingParameterField( MuseclParameter::TARGET, QObject::tr( "Target field (indicator)" ),
                                                 QVariant(), MuseclParameter::INPUT,
                                                 QgsProcessingParameterField::Numeric ) );
  addParameter(
      new QgsProcessingParameterBoolean( MuseclParameter::LOG_TARGET, QObject::tr( "Model log(1 + target)" ), true ) );
  addParameter( new QgsProcessingParameterBoolean(
      MuseclParameter::LOG_FEATURES, QObject::tr( "Use log(1 + x) of non-negative features (counts)" ), false ) );
  QgsProcessingParameterEnum *model = MuseclEnum::predictModel().create( QObject::tr( "Model" ) );
  QStringList models = model->options();
  const int automatic = MuseclEnum::predictModel().index( MuseclPredictModel::Automatic );
  models[automatic] = models.at( automatic ).arg( kRidgeUpTo );
  model->setOptions( models );
  addParameter( model );
  addParameter( MuseclEnum::evaluation().create( QObject::tr( "Evaluation" ) ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::FOLDS, QObject::tr( "Folds (k)" ),
                                                  QgsProcessingParameterNumber::Integer, 5, false, 2, 100 ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::SEED, QObject::tr( "Random seed" ),
                                                  QgsProcessingParameterNumber::Integer, 42, false, 0 ) );
  auto threads = new QgsProcessingParameterNumber(
      MuseclParameter::THREADS, QObject::tr( "CPU threads (0 = automatic: the cores other programs leave free)" ),
      QgsProcessingParameterNumber::Integer, 0, false, 0, 1024 );
  threads->setFlags( threads->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( threads );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT, QObject::tr( "Predictions" ),
                                                       QgsProcessing::TypeVector ) );
  addParameter( new QgsProcessingParameterFileDestination( MuseclParameter::OUTPUT_REPORT, QObject::tr( "Report" ),
                                                           QObject::tr( "HTML files (*.html)" ), QVariant(), true,
                                                           false ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::R2, QObject::tr( "R²" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_EMBEDDING,
                                            QObject::tr( "Regions skipped because has_embedding = 0" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::RMSE, QObject::tr( "RMSE" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::MAE, QObject::tr( "MAE" ) ) );
}


namespace
{
  // The core's notes, then the metrics line that the README and the tests quote.
  void logResult( QgsProcessingFeedback *feedback, const musecl::PredictOptions &o, const musecl::PredictResult &result,
                  int featureCount, const QString &scale )
  {
    for ( const std::string &note : result.notes )
      feedback->pushInfo( QString::fromStdString( note ) );
    feedback->pushInfo( QObject::tr( "%1 with %2 features: R² %3, RMSE %4, MAE %5%6 over %7 regions" )
                            .arg( o.kind == musecl::PredictorKind::Mlp ? QObject::tr( "MLP" ) : QObject::tr( "Ridge" ) )
                            .arg( featureCount )
                            .arg( result.overall.r2, 0, 'f', 3 )
                            .arg( result.overall.rmse, 0, 'f', 3 )
                            .arg( result.overall.mae, 0, 'f', 3 )
                            .arg( scale )
                            .arg( result.overall.n ) );
  }
} // namespace

QVariantMap MuseclPredictAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                      QgsProcessingFeedback *feedback )
{
  // Three steps: the rows, the predictor, the outputs.
  MuseclStepFeedback steps( 3, feedback );
  std::unique_ptr<QgsProcessingFeatureSource> source(
      parameterAsSource( parameters, MuseclParameter::INPUT, context ) );
  if ( !source )
    throw QgsProcessingException( invalidSourceError( parameters, MuseclParameter::INPUT ) );
  const QString layer = source->sourceName();
  const QString targetName = parameterAsString( parameters, MuseclParameter::TARGET, context );
  const int targetIndex = museclRequireField( source->fields(), targetName, layer, MuseclParameter::TARGET );
  const QList<int> featureIndexes = museclFeatureFields(
      source->fields(), parameterAsFields( parameters, MuseclParameter::FEATURES, context ),
      parameterAsString( parameters, MuseclParameter::FEATURE_PATTERN, context ), layer, targetName );

  musecl::PredictOptions o;
  const MuseclPredictModel model = MuseclEnum::predictModel().read( this, parameters, context );
  o.kind = model == MuseclPredictModel::Mlp ? musecl::PredictorKind::Mlp : musecl::PredictorKind::Ridge;
  o.evaluation = MuseclEnum::evaluation().read( this, parameters, context );
  o.folds = parameterAsInt( parameters, MuseclParameter::FOLDS, context );
  o.logTarget = parameterAsBoolean( parameters, MuseclParameter::LOG_TARGET, context );
  o.logFeatures = parameterAsBoolean( parameters, MuseclParameter::LOG_FEATURES, context );
  o.seed = static_cast<std::uint64_t>( parameterAsInt( parameters, MuseclParameter::SEED, context ) );
  o.threads = parameterAsInt( parameters, MuseclParameter::THREADS, context );

  const PredictRows rows = readPredictRows( *source, featureIndexes, targetIndex, targetName, layer, o.logTarget );
  const musecl::PredictInput &in = rows.in;
  if ( rows.features.isEmpty() )
    throw QgsProcessingException( QObject::tr( "Layer “%1” has no features" ).arg( layer ) );
  if ( rows.withoutEmbedding > 0 )
    feedback->pushWarning(
        QObject::tr(
            "%1 of %2 regions have has_embedding = 0 (no input reached them): they are not used and get NULL predictions" )
            .arg( rows.withoutEmbedding )
            .arg( rows.features.size() ) );
  if ( in.features.empty() )
    throw QgsProcessingException(
        QObject::tr( "No region of layer “%1” has an embedding (has_embedding = 0 everywhere)" ).arg( layer ) );
  if ( model == MuseclPredictModel::Automatic )
    chooseModelAutomatically( in, o, feedback );
  if ( o.evaluation == musecl::Evaluation::SpatialKFold && in.x.size() != in.features.size() )
    throw QgsProcessingException(
        QObject::tr(
            "Spatially blocked k-fold needs geometries, and layer “%1” has features without one; use random k-fold" )
            .arg( layer ) );

  steps.setCurrentStep( 1 );
  const musecl::PredictResult result = runPredictor( in, o, targetName, layer, &steps );
  const QString scale = o.logTarget ? QObject::tr( " (log1p scale)" ) : QString();
  logResult( feedback, o, result, featureIndexes.size(), scale );

  steps.setCurrentStep( 2 );
  MuseclOutputFields outputFields( source->fields() );
  const QString predName = outputFields.add( "", "pred", QVariant::Double );
  outputFields.add( "", "residual", QVariant::Double );
  outputFields.add( "", "fold", QVariant::Int );
  const QgsFields &fields = outputFields.fields();
  MuseclAtomicSink output( this, MuseclParameter::OUTPUT, parameters, context, fields, source->wkbType(),
                           source->sourceCrs() );
  writePredictions( output, outputFields, rows, result );

  QVariantMap outputs;
  output.finish();
  const QString reportPath = parameterAsFileOutput( parameters, MuseclParameter::OUTPUT_REPORT, context );
  std::unique_ptr<MuseclStagedFile> report;
  if ( !reportPath.isEmpty() )
    report = stageReport( reportPath, reportHtml( in, o, result, targetName, layer, featureIndexes.size(), scale ) );
  // Both outputs are complete: publish them together (renames only).
  if ( report )
    outputs.insert( MuseclParameter::OUTPUT_REPORT, report->publish() );
  const QString destination = output.publish();
  museclStyleOutput( context, destination, predName, 0, false );
  outputs.insert( MuseclParameter::OUTPUT, destination );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_EMBEDDING, rows.withoutEmbedding );
  outputs.insert( MuseclOutput::R2, result.overall.r2 );
  outputs.insert( MuseclOutput::RMSE, result.overall.rmse );
  outputs.insert( MuseclOutput::MAE, result.overall.mae );
  return outputs;
}
