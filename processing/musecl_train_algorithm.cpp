// musecl:train. Reads the regions and whichever modalities the analyst has, hands a RegionTable to
// the learning core (core/musecl/training.h), and writes the model file, the embeddings and the
// training log. Torch stays behind the core's standard-types API.
#include "musecl_train_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_core_call.h"
#include "musecl_enum_parameters.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_stage_feedback.h"
#include "musecl_region_table_builder.h"

#include "musecl/geo/image_io.h"
#include "musecl/geo/raster_bands.h"
#include "musecl/learn/training.h"

#include <qgsexception.h>

#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QTemporaryDir>

namespace
{
  template <typename T> T *advanced( T *p )
  {
    p->setFlags( p->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    return p;
  }
  // Imagery options are advanced: they mean nothing without a raster or photos, and the dialog
  // cannot hide them when neither is given.
  QList<QgsProcessingParameterDefinition *> imageryParameters()
  {
    QList<QgsProcessingParameterDefinition *> list;
    list << advanced( new QgsProcessingParameterNumber( MuseclParameter::IMAGE_EPOCHS,
                                                        QObject::tr( "Imagery: epochs per image encoder" ),
                                                        QgsProcessingParameterNumber::Integer, 10, false, 0, 10000 ) );
    list << advanced( MuseclEnum::remoteSensingBackbone().create( QObject::tr( "Imagery: remote-sensing encoder" ) ) );
    list << advanced( MuseclEnum::streetViewBackbone().create( QObject::tr( "Imagery: street-view encoder" ) ) );
    // Optional, so that models saved before it existed still validate: absent means the default.
    list << advanced( new QgsProcessingParameterNumber(
        MuseclParameter::SV_PRETRAIN_STEPS,
        QObject::tr( "Imagery: street-view steps learning from every photo before the triplets (0 = none)" ),
        QgsProcessingParameterNumber::Integer, 0, true, 0, 100000 ) );
    return list;
  }

  // The mobility view's settings, its trip-volume term included: advanced.
  QList<QgsProcessingParameterDefinition *> mobilityParameters()
  {
    QList<QgsProcessingParameterDefinition *> list;
    list << advanced( new QgsProcessingParameterNumber( MuseclParameter::MOBILITY_SIZE,
                                                        QObject::tr( "Mobility view size" ),
                                                        QgsProcessingParameterNumber::Integer, 16, false, 1, 1024 ) );
    list << advanced( new QgsProcessingParameterNumber(
        MuseclParameter::MOBILITY_EPOCHS, QObject::tr( "Mobility view epochs (whole flow graph per epoch)" ),
        QgsProcessingParameterNumber::Integer, 1000, false, 0, 100000 ) );
    list << advanced( new QgsProcessingParameterNumber(
        MuseclParameter::MOBILITY_RUNS,
        QObject::tr(
            "Mobility encoders (trained from different initial weights, rotated onto the first and averaged)" ),
        QgsProcessingParameterNumber::Integer, 1, false, 1, 64 ) );
    // Optional, so that models saved before it existed still validate: absent means the default.
    list << advanced( new QgsProcessingParameterNumber(
        MuseclParameter::VOLUME_WEIGHT,
        QObject::tr( "Mobility view: weight of keeping each region's trip totals on a linear scale (0 = as "
                     "logarithms only)" ),
        QgsProcessingParameterNumber::Double, 1.0, true, 0.0, 1000.0 ) );
    return list;
  }

  // The data-parallel job (README "Beyond one machine"): advanced parameters.
  QList<QgsProcessingParameterDefinition *> distributedParameters()
  {
    QList<QgsProcessingParameterDefinition *> list;
    list << advanced( new QgsProcessingParameterNumber(
        MuseclParameter::WORLD_SIZE,
        QObject::tr( "Data-parallel job: number of ranks (0 = environment variable WORLD_SIZE, else 1)" ),
        QgsProcessingParameterNumber::Integer, 0, false, 0, 4096 ) );
    list << advanced( new QgsProcessingParameterNumber(
        MuseclParameter::RANK,
        QObject::tr( "Data-parallel job: this run's rank (-1 = environment variable RANK, else 0)" ),
        QgsProcessingParameterNumber::Integer, -1, false, -1, 4095 ) );
    list << advanced( new QgsProcessingParameterString(
        MuseclParameter::RENDEZVOUS,
        QObject::tr(
            "Data-parallel job: address where the ranks meet (tcp://HOST:PORT or file:///PATH; empty = MASTER_ADDR and MASTER_PORT)" ),
        QVariant(), false, true ) );
    list << advanced( new QgsProcessingParameterNumber(
        MuseclParameter::DIST_TIMEOUT, QObject::tr( "Data-parallel job: seconds to wait for the other ranks" ),
        QgsProcessingParameterNumber::Integer, 300, false, 1, 86400 ) );
    return list;
  }


  // The training log table (stage, epoch, loss, seconds), written but not yet published; none when
  // OUTPUT_LOG is not set.
  std::unique_ptr<MuseclAtomicSink> stageTrainingLog( const QgsProcessingAlgorithm *algorithm,
                                                      const QVariantMap &parameters,
                                                      const std::vector<musecl::EpochLog> &entries,
                                                      QgsProcessingContext &context )
  {
    if ( !MuseclAtomicSink::requested( algorithm, MuseclParameter::OUTPUT_LOG, parameters, context ) )
      return nullptr;
    QgsFields fields;
    fields.append( QgsField( QStringLiteral( "stage" ), QVariant::String ) );
    fields.append( QgsField( QStringLiteral( "epoch" ), QVariant::Int ) );
    fields.append( QgsField( QStringLiteral( "loss" ), QVariant::Double ) );
    fields.append( QgsField( QStringLiteral( "seconds" ), QVariant::Double ) );
    auto log = std::make_unique<MuseclAtomicSink>( algorithm, MuseclParameter::OUTPUT_LOG, parameters, context, fields,
                                                   QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
    for ( const musecl::EpochLog &e : entries )
    {
      QgsFeature row;
      row.setAttributes( QgsAttributes() << QString::fromStdString( e.stage ) << e.epoch << e.loss << e.seconds );
      log->addFeature( row );
    }
    log->finish();
    return log;
  }
} // namespace

MuseclTrainAlgorithm::MuseclTrainAlgorithm()
    : MuseclAlgorithmOf<MuseclTrainAlgorithm>(
          { "train", QT_TRANSLATE_NOOP( "QObject", "Train MuseCL region model" ),
            QT_TRANSLATE_NOOP(
                "QObject",
                "musecl,embedding,contrastive,deep learning,train,resnet,inception,word2vec,regions,socioeconomic" ),
            QT_TRANSLATE_NOOP( "QObject", "3. Region embeddings" ), "embeddings", ":/musecl/icons/train.svg" } )
{
}


void MuseclTrainAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::REGIONS, QObject::tr( "Regions" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::REGION_ID_FIELD, QObject::tr( "Region id field (default: region_id, else feature id)" ),
      QVariant(), MuseclParameter::REGIONS, QgsProcessingParameterField::Any, false, true ) );
  for ( QgsProcessingParameterDefinition *p : museclModalityParameters( true ) )
    addParameter( p );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::EMBEDDING_SIZE, QObject::tr( "Embedding size" ),
                                                  QgsProcessingParameterNumber::Integer, 128, false, 2, 2048 ) );
  addParameter( advanced( MuseclEnum::embeddingOutput().create( QObject::tr( "Embedding output" ) ) ) );
  addParameter(
      advanced( new QgsProcessingParameterNumber( MuseclParameter::FUSION_EPOCHS, QObject::tr( "Fusion epochs" ),
                                                  QgsProcessingParameterNumber::Integer, 100, false, 0, 100000 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber(
      MuseclParameter::FUSION_FLOW_WEIGHT,
      QObject::tr(
          "Fusion: weight of reproducing the trip counts between regions (0 = views aligned only, as in the paper)" ),
      QgsProcessingParameterNumber::Double, 3.0, false, 0.0, 1000.0 ) ) );
  addParameter(
      advanced( new QgsProcessingParameterNumber( MuseclParameter::BATCH_SIZE, QObject::tr( "Batch size (triplets)" ),
                                                  QgsProcessingParameterNumber::Integer, 32, false, 2, 4096 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber(
      MuseclParameter::IMAGES_PER_PASS, QObject::tr( "Most images per encoder pass (caps memory; 0 = whole batch)" ),
      QgsProcessingParameterNumber::Integer, 16, false, 0, 100000 ) ) );
  addParameter(
      advanced( new QgsProcessingParameterNumber( MuseclParameter::LEARNING_RATE, QObject::tr( "Learning rate" ),
                                                  QgsProcessingParameterNumber::Double, 5e-4, false, 1e-8, 1.0 ) ) );
  addParameter( advanced( MuseclEnum::tripletLoss().create( QObject::tr( "Triplet loss" ) ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( MuseclParameter::MARGIN,
                                                            QObject::tr( "Triplet margin (L2: 5; cosine: 0.5)" ),
                                                            QgsProcessingParameterNumber::Double, 5.0, false, 0.0 ) ) );
  for ( QgsProcessingParameterDefinition *p : imageryParameters() )
    addParameter( p );
  addParameter( advanced(
      new QgsProcessingParameterNumber( MuseclParameter::SV_SIZE, QObject::tr( "Street-view input size (pixels)" ),
                                        QgsProcessingParameterNumber::Integer, 299, false, 32, 1024 ) ) );
  addParameter( advanced( new QgsProcessingParameterFile(
      MuseclParameter::RS_PRETRAINED, QObject::tr( "Pretrained remote-sensing backbone (TorchScript)" ),
      QgsProcessingParameterFile::File, QString(), QVariant(), true ) ) );
  addParameter( advanced( new QgsProcessingParameterFile(
      MuseclParameter::SV_PRETRAINED, QObject::tr( "Pretrained street-view backbone (TorchScript)" ),
      QgsProcessingParameterFile::File, QString(), QVariant(), true ) ) );
  addParameter( advanced( MuseclEnum::similarity().create( QObject::tr( "Count scale for similarity" ) ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber(
      MuseclParameter::TRIPLETS_PER_ANCHOR, QObject::tr( "Image triplets per region and epoch" ),
      QgsProcessingParameterNumber::Integer, 1, false, 1, 1000 ) ) );
  addParameter(
      advanced( MuseclEnum::augmentation().create( QObject::tr( "Image augmentation in triplet training" ) ) ) );
  for ( QgsProcessingParameterDefinition *p : mobilityParameters() )
    addParameter( p );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::SEED, QObject::tr( "Random seed" ),
                                                  QgsProcessingParameterNumber::Integer, 42, false, 0 ) );
  // Optional, so that models saved before it existed still validate: absent means automatic.
  addParameter( advanced( new QgsProcessingParameterNumber(
      MuseclParameter::RUNS,
      QObject::tr( "Trainings from different seeds, rotated onto the first and averaged (0 = automatic: 3, or 1 "
                   "with image triplets)" ),
      QgsProcessingParameterNumber::Integer, 0, true, 0, musecl::kMaxRuns ) ) );
  for ( QgsProcessingParameterDefinition *p : museclDeviceParameters() )
    addParameter( p );
  for ( QgsProcessingParameterDefinition *p : distributedParameters() )
    addParameter( p );
  addParameter( new QgsProcessingParameterFileDestination( MuseclParameter::OUTPUT_MODEL, QObject::tr( "Model file" ),
                                                           QObject::tr( "MuseCL model (*.musecl)" ) ) );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT, QObject::tr( "Region embeddings" ),
                                                       QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT_LOG, QObject::tr( "Training log" ),
                                                       QgsProcessing::TypeVector, QVariant(), true, false ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::EMBEDDING_DIMENSION, QObject::tr( "Embedding dimension" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_GEOMETRY,
                                            QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputString( MuseclOutput::DEVICE_USED, QObject::tr( "Device used" ) ) );
}


musecl::TrainingOptions MuseclTrainAlgorithm::trainingOptions( const QVariantMap &parameters,
                                                               QgsProcessingContext &context,
                                                               QgsProcessingFeedback *feedback ) const
{
  musecl::TrainingOptions o;
  o.embeddingSize = parameterAsInt( parameters, MuseclParameter::EMBEDDING_SIZE, context );
  o.imageEpochs = parameterAsInt( parameters, MuseclParameter::IMAGE_EPOCHS, context );
  o.fusionEpochs = parameterAsInt( parameters, MuseclParameter::FUSION_EPOCHS, context );
  o.fusionFlowWeight = parameterAsDouble( parameters, MuseclParameter::FUSION_FLOW_WEIGHT, context );
  o.tripVolumeWeight = parameterAsDouble( parameters, MuseclParameter::VOLUME_WEIGHT, context );
  o.batchSize = parameterAsInt( parameters, MuseclParameter::BATCH_SIZE, context );
  o.imagesPerPass = parameterAsInt( parameters, MuseclParameter::IMAGES_PER_PASS, context );
  if ( o.imagesPerPass == 1 || o.imagesPerPass == 2 )
    throw QgsProcessingException(
        QObject::tr( "IMAGES_PER_PASS is %1; a triplet needs 3 images in one pass (0 encodes the whole batch at once)" )
            .arg( o.imagesPerPass ) );
  o.learningRate = parameterAsDouble( parameters, MuseclParameter::LEARNING_RATE, context );
  o.tripletDistance = MuseclEnum::tripletLoss().read( this, parameters, context );
  const double margin = parameterAsDouble( parameters, MuseclParameter::MARGIN, context );
  if ( o.tripletDistance == musecl::TripletDistance::L2 )
    o.margin = margin;
  else if ( margin > 2 ) // a cosine gap is at most 2: the L2 default of 5 would never be met
    feedback->pushWarning(
        QObject::tr(
            "MARGIN %1 suits the L2 triplet loss; the cosine loss uses 0.5 (give a margin ≤ 2 to choose another)" )
            .arg( margin ) );
  else
    o.cosineMargin = margin;
  o.chipSize = parameterAsInt( parameters, MuseclParameter::CHIP_SIZE, context );
  o.streetViewSize = parameterAsInt( parameters, MuseclParameter::SV_SIZE, context );
  o.streetViewPretrainSteps = parameterAsInt( parameters, MuseclParameter::SV_PRETRAIN_STEPS, context );
  o.remoteSensingBackbone = MuseclEnum::remoteSensingBackbone().read( this, parameters, context );
  o.streetViewBackbone = MuseclEnum::streetViewBackbone().read( this, parameters, context );
  o.remoteSensingPretrained = parameterAsFile( parameters, MuseclParameter::RS_PRETRAINED, context ).toStdString();
  o.streetViewPretrained = parameterAsFile( parameters, MuseclParameter::SV_PRETRAINED, context ).toStdString();
  o.similarityScale = MuseclEnum::similarity().read( this, parameters, context );
  o.tripletsPerAnchor = parameterAsInt( parameters, MuseclParameter::TRIPLETS_PER_ANCHOR, context );
  o.embeddingOutput = MuseclEnum::embeddingOutput().read( this, parameters, context );
  o.augmentation = MuseclEnum::augmentation().read( this, parameters, context );
  o.mobilityDimension = parameterAsInt( parameters, MuseclParameter::MOBILITY_SIZE, context );
  o.mobilityEpochs = parameterAsInt( parameters, MuseclParameter::MOBILITY_EPOCHS, context );
  o.mobilityRuns = parameterAsInt( parameters, MuseclParameter::MOBILITY_RUNS, context );
  o.seed = static_cast<std::uint64_t>( parameterAsInt( parameters, MuseclParameter::SEED, context ) );
  o.runs = parameterAsInt( parameters, MuseclParameter::RUNS, context );
  if ( o.runs == 0 )
  {
    // Averaged trainings narrow the seeds' spread for a multiple of the training time (BENCHMARKS.md,
    // "Seed ensembles"); an image encoder trained by triplets (street view, chip triplets) is by far
    // the slowest part, so with one the default is a single training.
    const bool chipTriplets =
        museclParameterGiven( parameters, MuseclParameter::RASTER ) &&
        MuseclEnum::rasterMode().read( this, parameters, context ) != MuseclRasterMode::SceneFeatures;
    const bool imageTriplets = chipTriplets || museclParameterGiven( parameters, MuseclParameter::STREETVIEW );
    o.runs = imageTriplets ? 1 : 3;
    const bool ownSceneEncoders = museclParameterGiven( parameters, MuseclParameter::RASTER ) &&
                                  !museclParameterGiven( parameters, MuseclParameter::SCENE_ENCODER );
    feedback->pushInfo( imageTriplets ? QObject::tr( "RUNS automatic: 1 training (an image encoder is trained by "
                                                     "triplets, the slow part; RUNS > 1 averages several)" )
                        : ownSceneEncoders
                            ? QObject::tr( "RUNS automatic: 3 trainings from different seeds, each "
                                           "with its own scene encoder, averaged" )
                            : QObject::tr( "RUNS automatic: 3 trainings from different seeds, averaged" ) );
  }
  o.device = MuseclEnum::device().read( this, parameters, context );
  o.threads = parameterAsInt( parameters, MuseclParameter::THREADS, context );
  o.distributed.worldSize = parameterAsInt( parameters, MuseclParameter::WORLD_SIZE, context );
  o.distributed.rank = parameterAsInt( parameters, MuseclParameter::RANK, context );
  o.distributed.rendezvous =
      parameterAsString( parameters, MuseclParameter::RENDEZVOUS, context ).trimmed().toStdString();
  o.distributed.timeoutSeconds = parameterAsInt( parameters, MuseclParameter::DIST_TIMEOUT, context );
  // Only refused values are explained; anything else the core throws passes unchanged.
  const MuseclCoreErrors errors(
      []( const QString &reason )
      { return QObject::tr( "Data-parallel job (WORLD_SIZE, RANK, RENDEZVOUS): %1" ).arg( reason ); } );
  o.distributed =
      museclCallCore<std::invalid_argument>( [&] { return musecl::resolveDistributed( o.distributed ); }, errors );
  return o;
}

MuseclChipPlan MuseclTrainAlgorithm::rasterPlan( const QVariantMap &parameters, const musecl::TrainingOptions &o,
                                                 QgsProcessingContext &context ) const
{
  MuseclChipPlan chips;
  chips.size = o.chipSize;
  chips.windowMetres = parameterAsDouble( parameters, MuseclParameter::CHIP_WINDOW, context );
  chips.measureRadiometry = true;
  chips.rsBands = parameterAsString( parameters, MuseclParameter::RS_BANDS, context );
  chips.allBands = parameterAsBoolean( parameters, MuseclParameter::RS_ALL_BANDS, context );
  const MuseclRasterMode rasterMode = MuseclEnum::rasterMode().read( this, parameters, context );
  chips.chips = rasterMode != MuseclRasterMode::SceneFeatures;
  chips.sceneFeatures = rasterMode != MuseclRasterMode::ChipTriplets;
  chips.sceneOptions.seed = o.seed;
  // A scene encoder of its own for every training of an ensemble, from the training's seed: the
  // encoders' seeds are much of the trainings' spread, which the ensemble averages away
  // (BENCHMARKS.md, "Seed ensembles"). Not their features averaged into one view: that lost much of
  // what the raster told about the regions.
  chips.sceneEncoderCount = o.runs;
  chips.sceneOptions.device = o.device;
  chips.sceneOptions.threads = o.threads;
  chips.sceneOptions.steps = parameterAsInt( parameters, MuseclParameter::SCENE_STEPS, context );
  chips.sceneScale = MuseclEnum::sceneScale().read( this, parameters, context );
  chips.sceneContextMetres = parameterAsDouble( parameters, MuseclParameter::SCENE_CONTEXT, context );
  if ( chips.sceneContextMetres <= 0 )
    chips.sceneContextMetres = 0.5 * o.regionSizeMetres;
  const QString sceneEncoder = parameterAsFile( parameters, MuseclParameter::SCENE_ENCODER, context );
  if ( chips.sceneFeatures && !sceneEncoder.isEmpty() )
    chips.sceneEncoders.push_back(
        museclCallCore( [&] { return musecl::SceneEncoder::read( sceneEncoder.toStdString() ); } ) );
  return chips;
}

QVariantMap MuseclTrainAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                    QgsProcessingFeedback *feedback )
{
  // The run's progress in stages of unequal shares, hence not QgsProcessingMultiStepFeedback's equal
  // steps: the regions 0-5 %, their table 5-25 %, the training 25-95 %, the outputs the rest.
  MuseclRangeFeedback regionsStage( feedback, 0, 5 );
  const MuseclRegionSet regions = museclReadRegions( this, parameters, MuseclParameter::REGIONS,
                                                     MuseclParameter::REGION_ID_FIELD, context, &regionsStage );
  musecl::TrainingOptions o = trainingOptions( parameters, context, feedback );
  o.crs = regions.crs.authid().toStdString();
  o.regionSizeMetres = museclTypicalRegionSize( regions, context );

  const QString modelPath =
      QFileInfo( parameterAsFileOutput( parameters, MuseclParameter::OUTPUT_MODEL, context ) ).absoluteFilePath();
  if ( !QDir().mkpath( QFileInfo( modelPath ).absolutePath() ) )
    throw QgsProcessingException(
        QObject::tr( "Could not create the folder for the model file “%1”" ).arg( modelPath ) );

  // The model, the embeddings and the log are staged and published together at the end: a run that
  // fails or is cancelled anywhere leaves every previous file as it was.
  MuseclStagedFile model( modelPath, QObject::tr( "model file" ) );
  QTemporaryDir chipFolder( QDir::temp().absoluteFilePath( QStringLiteral( "musecl-chips-XXXXXX" ) ) );
  MuseclChipPlan chips = rasterPlan( parameters, o, context );
  MuseclRangeFeedback tableStage( feedback, 5, 25 );
  const musecl::RegionTable table =
      museclBuildRegionTable( this, parameters, regions, chips, chipFolder.path(), context, &tableStage );
  o.chipSize = chips.size;
  o.chipWindowMetres = chips.windowMetres;

  MuseclRangeFeedback trainingStage( feedback, 25, 95 );
  const MuseclCoreErrors errors( []( const QString &reason )
                                 { return QObject::tr( "Training failed: %1" ).arg( reason ); },
                                 QObject::tr( "Training cancelled; no model file was written" ) );
  const musecl::TrainingResult result = museclCallCore(
      [&]
      {
        return musecl::trainMuseCL(
            table, o, musecl::loadImageRgb, museclTrainingProgress( &trainingStage, feedback ),
            // The core writes the model aside; the user is told the path it is published to.
            [feedback, &model]( const std::string &line ) {
              feedback->pushInfo( QString::fromStdString( line ).replace( model.stagingPath(), model.destination() ) );
            },
            model.stagingPath().toStdString(), musecl::loadChipBands );
      },
      errors );

  QVariantMap outputs;
  std::unique_ptr<MuseclEmbeddingWriter> embeddings =
      museclStageEmbeddings( this, parameters, MuseclParameter::OUTPUT, regions, result.embeddings, context, feedback );
  std::unique_ptr<MuseclAtomicSink> log = stageTrainingLog( this, parameters, result.log, context );
  if ( feedback->isCanceled() )
    throw QgsProcessingException( QObject::tr( "Cancelled before the outputs were saved; no file was changed" ) );
  // Renames only from here on.
  // Rank 0 alone writes the model file (to the path it was given); other ranks only log.
  if ( o.distributed.rank == 0 )
    outputs.insert( MuseclParameter::OUTPUT_MODEL, model.publish() );
  outputs.insert( MuseclParameter::OUTPUT, embeddings->publish( context ) );
  if ( log )
    outputs.insert( MuseclParameter::OUTPUT_LOG, log->publish() );
  outputs.insert( MuseclOutput::EMBEDDING_DIMENSION, result.embeddings.dimension );
  outputs.insert( MuseclOutput::DEVICE_USED, QString::fromStdString( result.device ) );
  feedback->pushInfo( QObject::tr( "Trained on %1 (threads: %2); %3-dimensional embeddings; model saved to %4" )
                          .arg( QString::fromStdString( result.device ), QString::fromStdString( result.threadPolicy ) )
                          .arg( result.embeddings.dimension )
                          .arg( modelPath ) );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_GEOMETRY, regions.withoutGeometry );
  return outputs;
}
