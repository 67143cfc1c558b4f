// musecl:imagefeatures. The encoder learns from tiles drawn over the whole scene and the feature
// raster is written block by block, so memory follows the tile batch and one block, not the scene.
#include "musecl_imagefeatures_algorithm.h"

#include "musecl_core_call.h"
#include "musecl_enum_parameters.h"
#include "musecl_parameter_names.h"
#include "musecl_region_features.h"
#include "musecl_region_inputs.h"
#include "musecl_region_table_builder.h"
#include "musecl_scene_features.h"
#include "musecl_stage_feedback.h"

#include "musecl/geo/raster_bands.h"
#include "musecl/learn/scene_features.h"

#include <qgsexception.h>
#include <qgsrasterlayer.h>

MuseclImageFeaturesAlgorithm::MuseclImageFeaturesAlgorithm()
    : MuseclAlgorithmOf<MuseclImageFeaturesAlgorithm>(
          { "imagefeatures", QT_TRANSLATE_NOOP( "QObject", "Learn image features from a scene" ),
            QT_TRANSLATE_NOOP(
                "QObject",
                "raster,remote sensing,satellite,image,features,self-supervised,contrastive,texture,land cover,musecl" ),
            QT_TRANSLATE_NOOP( "QObject", "2. Region features" ), "features", ":/musecl/icons/imagefeatures.svg" } )
{
}

void MuseclImageFeaturesAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterRasterLayer( MuseclParameter::RASTER,
                                                       QObject::tr( "Raster (remote sensing scene)" ) ) );
  addParameter( new QgsProcessingParameterString(
      MuseclParameter::RS_BANDS, QObject::tr( "Bands to learn from (e.g. 2,3,4,8; empty = every band)" ), QVariant(),
      false, true ) );
  addParameter( new QgsProcessingParameterFile(
      MuseclParameter::SCENE_ENCODER,
      QObject::tr( "Trained encoder to reuse (another scene of the same sensor; empty = learn from this scene)" ),
      QgsProcessingParameterFile::File, QStringLiteral( "musecl" ), QVariant(), true ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::TILE_SIZE,
                                                  QObject::tr( "Tile size (pixels described by one feature vector)" ),
                                                  QgsProcessingParameterNumber::Integer, 16, false, 8, 512 ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::FEATURE_BANDS, QObject::tr( "Feature bands" ),
                                                  QgsProcessingParameterNumber::Integer, 16, false, 1, 256 ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::STRIDE,
                                                  QObject::tr( "Output pixel size (scene pixels per feature pixel)" ),
                                                  QgsProcessingParameterNumber::Integer, 4, false, 1, 4096 ) );
  auto steps = new QgsProcessingParameterNumber( MuseclParameter::STEPS, QObject::tr( "Training steps" ),
                                                 QgsProcessingParameterNumber::Integer, 300, false, 1, 1000000 );
  steps->setFlags( steps->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( steps );
  auto batch = new QgsProcessingParameterNumber( MuseclParameter::BATCH_SIZE, QObject::tr( "Tile pairs per step" ),
                                                 QgsProcessingParameterNumber::Integer, 128, false, 2, 65536 );
  batch->setFlags( batch->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( batch );
  auto seed = new QgsProcessingParameterNumber( MuseclParameter::SEED, QObject::tr( "Random seed" ),
                                                QgsProcessingParameterNumber::Integer, 42, false, 0 );
  seed->setFlags( seed->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( seed );
  // Optional, so that models saved before it existed still validate: absent means one encoder.
  auto runs = new QgsProcessingParameterNumber(
      MuseclParameter::RUNS, QObject::tr( "Encoders from different seeds, turned onto the first and averaged" ),
      QgsProcessingParameterNumber::Integer, 1, true, 1, musecl::kMaxRuns );
  runs->setFlags( runs->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( runs );
  for ( QgsProcessingParameterDefinition *p : museclDeviceParameters() )
    addParameter( p );
  addParameter(
      new QgsProcessingParameterRasterDestination( MuseclParameter::OUTPUT, QObject::tr( "Feature raster" ) ) );
  addParameter( new QgsProcessingParameterFileDestination(
      MuseclParameter::OUTPUT_ENCODER, QObject::tr( "Encoder file" ), QObject::tr( "MuseCL scene encoder (*.musecl)" ),
      QVariant(), true, false ) );
}

namespace
{
  // The encoder given (SCENE_ENCODER), or one learned from the scene.
  musecl::SceneEncoder sceneEncoder( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                     QgsRasterLayer *raster, const QString &path, const MuseclCoreErrors &errors,
                                     QgsProcessingContext &context, QgsProcessingFeedback *feedback )
  {
    auto definition = [&]( const QString &name ) { return algorithm->parameterDefinition( name ); };
    const QString encoderPath =
        QgsProcessingParameters::parameterAsFile( definition( MuseclParameter::SCENE_ENCODER ), parameters, context );
    if ( !encoderPath.isEmpty() )
    {
      const musecl::SceneEncoder encoder =
          museclCallCore( [&] { return musecl::SceneEncoder::read( encoderPath.toStdString() ); } );
      museclWarnOfRadiometryMismatch( encoder, path, errors, feedback );
      feedback->pushInfo( QObject::tr( "Reusing the encoder “%1”: %2" )
                              .arg( encoderPath, QString::fromStdString( encoder.info().summary ) ) );
      return encoder;
    }
    musecl::SceneFeatureOptions o;
    o.tileSize =
        QgsProcessingParameters::parameterAsInt( definition( MuseclParameter::TILE_SIZE ), parameters, context );
    o.features =
        QgsProcessingParameters::parameterAsInt( definition( MuseclParameter::FEATURE_BANDS ), parameters, context );
    o.steps = QgsProcessingParameters::parameterAsInt( definition( MuseclParameter::STEPS ), parameters, context );
    o.batchSize =
        QgsProcessingParameters::parameterAsInt( definition( MuseclParameter::BATCH_SIZE ), parameters, context );
    o.seed = static_cast<std::uint64_t>(
        QgsProcessingParameters::parameterAsInt( definition( MuseclParameter::SEED ), parameters, context ) );
    o.runs = QgsProcessingParameters::parameterAsInt( definition( MuseclParameter::RUNS ), parameters, context );
    o.device = MuseclEnum::device().read( algorithm, parameters, context );
    o.threads = QgsProcessingParameters::parameterAsInt( definition( MuseclParameter::THREADS ), parameters, context );
    return museclLearnSceneEncoder(
        raster, path,
        QgsProcessingParameters::parameterAsString( definition( MuseclParameter::RS_BANDS ), parameters, context ), o,
        errors, feedback );
  }
} // namespace

QVariantMap MuseclImageFeaturesAlgorithm::processAlgorithm( const QVariantMap &parameters,
                                                            QgsProcessingContext &context,
                                                            QgsProcessingFeedback *feedback )
{
  QgsRasterLayer *raster = museclRasterInput( this, parameters, MuseclParameter::RASTER, context );
  if ( !raster )
    throw QgsProcessingException( invalidRasterError( parameters, MuseclParameter::RASTER ) );
  const QString path = museclGdalRasterPath( raster, QObject::tr( "learning image features" ) );
  const MuseclCoreErrors errors( [raster, path]( const QString &reason )
                                 { return QObject::tr( "Raster “%1” (%2): %3" ).arg( raster->name(), path, reason ); },
                                 QObject::tr( "Cancelled; no feature raster was written" ), feedback );
  const QString output = parameterAsOutputLayer( parameters, MuseclParameter::OUTPUT, context );
  const QString encoderOutput = parameterAsFileOutput( parameters, MuseclParameter::OUTPUT_ENCODER, context );
  const int stride = parameterAsInt( parameters, MuseclParameter::STRIDE, context );

  MuseclStepFeedback steps( 2, feedback );
  const musecl::SceneEncoder encoder = sceneEncoder( this, parameters, raster, path, errors, context, &steps );
  steps.setCurrentStep( 1 );
  const QSize size =
      museclWriteFeatureRaster( encoder, path, output, stride, MuseclEnum::device().read( this, parameters, context ),
                                parameterAsInt( parameters, MuseclParameter::THREADS, context ), errors, &steps );
  feedback->pushInfo( QObject::tr( "Feature raster: %1 band(s), %2 x %3 pixels of %4 scene pixels each: %5" )
                          .arg( encoder.info().features )
                          .arg( size.width() )
                          .arg( size.height() )
                          .arg( stride )
                          .arg( output ) );
  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT, output );
  if ( !encoderOutput.isEmpty() )
  {
    museclCallCore( [&] { encoder.write( encoderOutput.toStdString() ); } );
    outputs.insert( MuseclParameter::OUTPUT_ENCODER, encoderOutput );
  }
  return outputs;
}
