// musecl:predict. Downstream evaluation of region embeddings (or of any numeric region features):
// the core predictor (core/musecl/predict.h) under the analyst's choice of model and validation,
// with predictions, residuals and folds written back, and an HTML report.
#include "musecl_predict_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_core_call.h"
#include "musecl_enum_parameters.h"
#include "musecl_output_fields.h"
#include "musecl_parameter_names.h"
#include "musecl_prediction_report.h"
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

  MuseclReportInput reportInput( const PredictRows &rows, const musecl::PredictOptions &o,
                                 const musecl::PredictResult &result, const QString &targetName, const QString &layer,
                                 int featureCount )
  {
    MuseclReportInput report;
    report.input = &rows.in;
    report.options = &o;
    report.result = &result;
    report.targetName = targetName;
    report.layer = layer;
    report.featureCount = featureCount;
    report.geometries.resize( rows.in.target.size() );
    for ( int i = 0; i < rows.features.size(); ++i )
      if ( rows.rowOf[static_cast<std::size_t>( i )] >= 0 )
        report.geometries[static_cast<std::size_t>( rows.rowOf[static_cast<std::size_t>( i )] )] =
            rows.features.at( i ).geometry();
    return report;
  }

  // Graduated predictions by default; the residuals as a second style of a desktop run.
  void stylePredictions( QgsProcessingContext &context, const QString &destination, const QString &targetName,
                         const QString &predName, const QString &residualName )
  {
    museclStyleOutput( context, destination,
                       { { QObject::tr( "Predicted %1" ).arg( targetName ), [predName]( const QgsVectorLayer *l )
                           { return museclGraduatedRenderer( l, predName, false ); } },
                         { QObject::tr( "Residuals (true − predicted)" ), [residualName]( const QgsVectorLayer *l )
                           { return museclGraduatedRenderer( l, residualName, true ); } } } );
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
            QT_TRANSLATE_NOOP( "QObject", "4. Prediction" ), "prediction", ":/musecl/icons/predict.svg" } )
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
  const QString scale = o.logTarget ? QObject::tr( " (on the log(1 + value) scale)" ) : QString();
  logResult( feedback, o, result, featureIndexes.size(), scale );

  steps.setCurrentStep( 2 );
  MuseclOutputFields outputFields( source->fields() );
  const QString predName = outputFields.add( "", "pred", QVariant::Double );
  const QString residualName = outputFields.add( "", "residual", QVariant::Double );
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
    report = stageReport( reportPath, museclPredictionReport(
                                          reportInput( rows, o, result, targetName, layer, featureIndexes.size() ) ) );
  // Both outputs are complete: publish them together (renames only).
  if ( report )
    outputs.insert( MuseclParameter::OUTPUT_REPORT, report->publish() );
  const QString destination = output.publish();
  stylePredictions( context, destination, targetName, predName, residualName );
  outputs.insert( MuseclParameter::OUTPUT, destination );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_EMBEDDING, rows.withoutEmbedding );
  outputs.insert( MuseclOutput::R2, result.overall.r2 );
  outputs.insert( MuseclOutput::RMSE, result.overall.rmse );
  outputs.insert( MuseclOutput::MAE, result.overall.mae );
  return outputs;
}
