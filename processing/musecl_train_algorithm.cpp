// musecl:train. Reads the regions and whichever modalities the analyst has, hands a RegionTable to
// the learning core (core/musecl/training.h), and writes the model file, the embeddings and the
// training log. Torch stays behind the core's standard-types API.
#include "musecl_train_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_provider.h"
#include "musecl_region_table_builder.h"

#include "musecl/image_io.h"
#include "musecl/raster_bands.h"
#include "musecl/training.h"

#include <qgsexception.h>

#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QTemporaryDir>

namespace
{
  const QString kRegions = QStringLiteral( "REGIONS" );
  const QString kRegionId = QStringLiteral( "REGION_ID_FIELD" );
  const QString kEmbeddingSize = QStringLiteral( "EMBEDDING_SIZE" );
  const QString kImageEpochs = QStringLiteral( "IMAGE_EPOCHS" );
  const QString kFusionEpochs = QStringLiteral( "FUSION_EPOCHS" );
  const QString kFusionFlowWeight = QStringLiteral( "FUSION_FLOW_WEIGHT" );
  const QString kBatchSize = QStringLiteral( "BATCH_SIZE" );
  const QString kImagesPerPass = QStringLiteral( "IMAGES_PER_PASS" );
  const QString kLearningRate = QStringLiteral( "LEARNING_RATE" );
  const QString kTripletLoss = QStringLiteral( "TRIPLET_LOSS" );
  const QString kMargin = QStringLiteral( "MARGIN" );
  const QString kRsBackbone = QStringLiteral( "RS_BACKBONE" );
  const QString kSvBackbone = QStringLiteral( "SV_BACKBONE" );
  const QString kRsPretrained = QStringLiteral( "RS_PRETRAINED" );
  const QString kSvPretrained = QStringLiteral( "SV_PRETRAINED" );
  const QString kSvSize = QStringLiteral( "SV_SIZE" );
  const QString kSimilarity = QStringLiteral( "SIMILARITY" );
  const QString kTripletsPerAnchor = QStringLiteral( "TRIPLETS_PER_ANCHOR" );
  const QString kAugmentation = QStringLiteral( "AUGMENTATION" );
  const QString kEmbeddingOutput = QStringLiteral( "EMBEDDING_OUTPUT" );
  const QString kMobilitySize = QStringLiteral( "MOBILITY_SIZE" );
  const QString kMobilityEpochs = QStringLiteral( "MOBILITY_EPOCHS" );
  const QString kMobilityRuns = QStringLiteral( "MOBILITY_RUNS" );
  const QString kSeed = QStringLiteral( "SEED" );
  const QString kDevice = QStringLiteral( "DEVICE" );
  const QString kThreads = QStringLiteral( "THREADS" );
  const QString kWorldSize = QStringLiteral( "WORLD_SIZE" );
  const QString kRank = QStringLiteral( "RANK" );
  const QString kRendezvous = QStringLiteral( "RENDEZVOUS" );
  const QString kDistTimeout = QStringLiteral( "DIST_TIMEOUT" );
  const QString kOutputModel = QStringLiteral( "OUTPUT_MODEL" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
  const QString kOutputLog = QStringLiteral( "OUTPUT_LOG" );

  template <typename T>
  T *advanced( T *p )
  {
    p->setFlags( p->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    return p;
  }
}

QString MuseclTrainAlgorithm::name() const { return QStringLiteral( "train" ); }
QString MuseclTrainAlgorithm::displayName() const { return QObject::tr( "Train MuseCL region model" ); }
QStringList MuseclTrainAlgorithm::tags() const { return QObject::tr( "musecl,embedding,contrastive,deep learning,train,resnet,inception,word2vec,regions,socioeconomic" ).split( ',' ); }
QString MuseclTrainAlgorithm::group() const { return QObject::tr( "Region embeddings" ); }
QString MuseclTrainAlgorithm::groupId() const { return QStringLiteral( "embeddings" ); }
QIcon MuseclTrainAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclTrainAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/train.svg" ); }
MuseclTrainAlgorithm *MuseclTrainAlgorithm::createInstance() const { return new MuseclTrainAlgorithm(); }


QString MuseclTrainAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Learns an embedding of every region from the data you have, following MuseCL (Yong &amp; Zhou, IJCAI 2024), and saves "
           "the trained model as one file that musecl:embed applies to the same or another city.\n\n"
           "<b>Inputs</b> (every one optional, at least one needed): a remote-sensing <b>raster</b> (one chip per region is cut "
           "automatically, around the region's bounding box; CHIP_SIZE 0, the default, sizes chips to the raster's resolution: twice "
           "the median region's longer side in raster pixels, rounded up to a multiple of 32 within 64–256, so a 30 m Landsat scene of "
           "Manhattan is cut at 64 px instead of being upsampled to 256 px at ~16× the compute; the size is stored in the model. CHIP_WINDOW "
           "(metres) cuts every chip at one fixed ground window centred on its region instead of its bounding box, so the encoder "
           "sees regions at one scale (small ones with context); the log says which, and the model keeps it. RS_BANDS picks the "
           "bands shown as R,G,B, e.g. 4,3,2 for Landsat 8 true colour or 5,4,3 for false colour; by default the raster's Red/Green/Blue bands, "
           "else bands 1-3. Brightness is scaled once per raster, not per chip, so a dark and a bright region stay different: 8-bit bands "
           "keep 0-255, other bands map their 2nd-98th percentiles (nodata excluded, GDAL scale/offset applied) to 0-255; the bands and "
           "ranges are stored in the model, and musecl:embed scales another scene the same way and warns when its range is far off. RS_ALL_BANDS "
           "feeds every band of RS_BANDS (empty: every band of the raster) to the encoder as its own channel, e.g. all 6 reflective "
           "Landsat bands; with a pretrained RGB backbone the first convolution's extra channels start from the mean of its R, G, B "
           "filters, all scaled by 3/N); <b>street-view</b> points with an image path field; <b>POIs</b> with a category field and optional "
           "text fields; <b>mobility</b> flows (OD lines, or trip end points) with an optional weight field.\n\n"
           "<b>What it does</b>: builds one view per kind of data and fuses them. (1) <b>Remote sensing</b>: an image encoder "
           "trained with a triplet loss whose positive regions have a similar POI distribution (and, when flows are given, similar "
           "inflow/outflow; each counts equally) and negatives a different one. (2) <b>Street view</b>: the same with mobility "
           "similarity. (3) <b>POI text</b>: skip-gram word vectors (hierarchical softmax); a region's vector is the mean of its POI "
           "category words plus its log POI count and log number of categories. (4) <b>Mobility</b>: a graph encoder that passes "
           "messages along the OD flows and is trained to reproduce the log trip counts between regions; its weights are in the model "
           "file, so musecl:embed applies it to another city's flows (trip end points, which have no OD pairs, give a volume view: log "
           "inflow and outflow). (5) <b>Fusion</b>: attention over the views each region has; every view is aligned by InfoNCE to "
           "the fusion of the region's other views; with OD flows the fused vectors must also reproduce the log trip counts between "
           "regions (FUSION_FLOW_WEIGHT, default 3; 0 = InfoNCE only, the paper), so the flows are not diluted by the other views. The embedding (EMBEDDING_OUTPUT) is chosen automatically by default: the fused vector alone "
           "(EMBEDDING_SIZE values) when the flow term trained the fusion or the model has a single view, else the fused vector followed by each view's projection "
           "(EMBEDDING_SIZE × (1 + the model's views) values, zeros in the block of a view the region lacks); either can be forced. "
           "On Manhattan the flow term raised ridge R² of the embedding alone by 0.04-0.07 in every column over three training seeds "
           "(BENCHMARKS.md). Without POIs or mobility, image triplets fall back to geographic nearness. The log says exactly "
           "which views and fallbacks were used, and the mean attention weight of each view.\n\n"
           "<b>Outputs</b>: the model file (.musecl); the regions with emb_0…emb_{d−1}, the attention weight of each view (beta_rs, "
           "beta_sv, beta_poi, beta_mob; null where the region lacks the view, so you can map which data drove each region), views "
           "(e.g. rs+poi+mob) and has_embedding; a log table (stage, epoch, loss, seconds).\n\n"
           "<b>Cost</b> on a laptop CPU (2 cores): ResNet-18 at 256 px trains at about 10-20 images per second, Inception v3 at "
           "299 px about 4; the light backbone is 10-20x faster. DEVICE=cuda needs a CUDA build of LibTorch (no GPU figure has been measured yet). "
           "Defaults follow the paper's reference training: margin-ranking loss on L2 distances with margin 5, Adam (amsgrad) 5e-4, "
           "batch 32, learning rate ×0.7 every 10 epochs, 0/90/180/270° rotations for remote sensing, flips for street view. "
           "Counts are log1p-scaled for similarity (SIMILARITY=1 keeps the paper's raw counts). "
           "<b>Memory</b>: a batch's distinct images (about 80 for 32 triplets) are encoded in passes of at most IMAGES_PER_PASS "
           "(default 16) with their gradients accumulated; triplets that share regions share a pass. On 180 Manhattan zones "
           "this keeps ResNet-18 at 256 px at 1.7 GiB instead of 3.9 GiB, and epochs are faster; 0 encodes the whole batch at once like the reference training (batch-norm "
           "statistics are the only difference). "
           "<b>Threads</b>: THREADS = 0 (default) uses the cores other programs leave free, measured when the run starts and "
           "again every second, so training beside other work slows down by its share of the machine instead of stalling; the log "
           "says what was chosen and when it changed. A number fixes that many threads. "
           "Same SEED, same device and a fixed THREADS: identical results on CPU (the automatic count follows the machine's load, "
           "and another thread count may round differently).\n\n"
           "<b>Several machines</b>: run this algorithm once per rank, with the same inputs and parameters, WORLD_SIZE ranks, "
           "each its own RANK (0 to WORLD_SIZE − 1), and one RENDEZVOUS they all reach: tcp://HOST:PORT, where rank 0 listens, or "
           "file:///PATH on shared storage. Unset, they come from WORLD_SIZE, RANK, MASTER_ADDR and MASTER_PORT as PyTorch's launchers "
           "set them. Each rank encodes its share of every image-triplet batch and the gradients are summed over the ranks with LibTorch's "
           "c10d (Gloo); the skip-gram, mobility and fusion stages run on every rank and rank 0's result is kept; rank 0 alone writes "
           "the model file. A rank that dies stops the others with an error at once; one that hangs or never arrives, after "
           "DIST_TIMEOUT seconds. Gloo picks the network interface from GLOO_SOCKET_IFNAME when set.\n\n"
           "Pretrained backbones: a TorchScript file with torchvision's parameter names, e.g. "
           "torch.jit.script(torchvision.models.resnet18(weights='IMAGENET1K_V1')).save('resnet18.pt')." );
}

void MuseclTrainAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kRegions, QObject::tr( "Regions" ), QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField( kRegionId, QObject::tr( "Region id field (default: region_id, else feature id)" ), QVariant(), kRegions,
                QgsProcessingParameterField::Any, false, true ) );
  for ( QgsProcessingParameterDefinition *p : museclModalityParameters( true ) )
    addParameter( p );
  addParameter( new QgsProcessingParameterNumber( kEmbeddingSize, QObject::tr( "Embedding size" ), QgsProcessingParameterNumber::Integer, 128, false, 2, 2048 ) );
  addParameter( new QgsProcessingParameterNumber( kImageEpochs, QObject::tr( "Epochs per image encoder" ), QgsProcessingParameterNumber::Integer, 10, false, 0, 10000 ) );
  addParameter( advanced( new QgsProcessingParameterEnum( kEmbeddingOutput, QObject::tr( "Embedding output" ),
                          QStringList() << QObject::tr( "Fused vector only (the paper)" ) << QObject::tr( "Fused vector followed by each view's projection" )
                                        << QObject::tr( "Automatic: the fused vector when OD flows trained the fusion or there is one view, else followed by each view's projection" ), false, 2 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kFusionEpochs, QObject::tr( "Fusion epochs" ), QgsProcessingParameterNumber::Integer, 100, false, 0, 100000 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kFusionFlowWeight, QObject::tr( "Fusion flow weight (fused vectors also reproduce the log trip counts; 0 = InfoNCE only)" ),
                          QgsProcessingParameterNumber::Double, 3.0, false, 0.0, 1000.0 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kBatchSize, QObject::tr( "Batch size (triplets)" ), QgsProcessingParameterNumber::Integer, 32, false, 2, 4096 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kImagesPerPass, QObject::tr( "Most images per encoder pass (caps memory; 0 = whole batch)" ),
                          QgsProcessingParameterNumber::Integer, 16, false, 0, 100000 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kLearningRate, QObject::tr( "Learning rate" ), QgsProcessingParameterNumber::Double, 5e-4, false, 1e-8, 1.0 ) ) );
  addParameter( advanced( new QgsProcessingParameterEnum( kTripletLoss, QObject::tr( "Triplet loss" ),
                          QStringList() << QObject::tr( "L2 distance, margin ranking (reference training)" ) << QObject::tr( "Cosine similarity (paper eqs. 5-6)" ), false, 0 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kMargin, QObject::tr( "Triplet margin (L2: 5; cosine: 0.5)" ), QgsProcessingParameterNumber::Double, 5.0, false, 0.0 ) ) );
  addParameter( new QgsProcessingParameterEnum( kRsBackbone, QObject::tr( "Remote-sensing encoder" ),
                QStringList() << QObject::tr( "ResNet-18 (paper; 2.4 GMAC per 256 px image)" ) << QObject::tr( "Light CNN (fast on CPU; 0.24 GMAC)" ), false, 0 ) );
  addParameter( new QgsProcessingParameterEnum( kSvBackbone, QObject::tr( "Street-view encoder" ),
                QStringList() << QObject::tr( "Inception v3 (paper; 5.7 GMAC per 299 px image)" ) << QObject::tr( "Light CNN (fast on CPU)" ), false, 0 ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kSvSize, QObject::tr( "Street-view input size (pixels)" ), QgsProcessingParameterNumber::Integer, 299, false, 32, 1024 ) ) );
  addParameter( advanced( new QgsProcessingParameterFile( kRsPretrained, QObject::tr( "Pretrained remote-sensing backbone (TorchScript)" ), QgsProcessingParameterFile::File, QString(), QVariant(), true ) ) );
  addParameter( advanced( new QgsProcessingParameterFile( kSvPretrained, QObject::tr( "Pretrained street-view backbone (TorchScript)" ), QgsProcessingParameterFile::File, QString(), QVariant(), true ) ) );
  addParameter( advanced( new QgsProcessingParameterEnum( kSimilarity, QObject::tr( "Count scale for similarity" ),
                          QStringList() << QObject::tr( "log1p (default)" ) << QObject::tr( "Raw counts (paper form)" ), false, 0 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kTripletsPerAnchor, QObject::tr( "Image triplets per region and epoch" ), QgsProcessingParameterNumber::Integer, 1, false, 1, 1000 ) ) );
  addParameter( advanced( new QgsProcessingParameterEnum( kAugmentation, QObject::tr( "Image augmentation in triplet training" ),
                          QStringList() << QObject::tr( "None" ) << QObject::tr( "Basic: chips rotated by 90°, photos mirrored" )
                          << QObject::tr( "Full: also mirrored chips, random resized crops, brightness/contrast jitter" ), false, 1 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kMobilitySize, QObject::tr( "Mobility view size" ), QgsProcessingParameterNumber::Integer, 16, false, 1, 1024 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kMobilityEpochs, QObject::tr( "Mobility view epochs (whole flow graph per epoch)" ), QgsProcessingParameterNumber::Integer, 1000, false, 0, 100000 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kMobilityRuns, QObject::tr( "Mobility encoders (trained from different initial weights, rotated onto the first and averaged)" ),
                          QgsProcessingParameterNumber::Integer, 1, false, 1, 64 ) ) );
  addParameter( new QgsProcessingParameterNumber( kSeed, QObject::tr( "Random seed" ), QgsProcessingParameterNumber::Integer, 42, false, 0 ) );
  for ( QgsProcessingParameterDefinition *p : museclDeviceParameters() )
    addParameter( p );
  addParameter( advanced( new QgsProcessingParameterNumber( kWorldSize, QObject::tr( "Data-parallel job: number of ranks (0 = environment variable WORLD_SIZE, else 1)" ),
                          QgsProcessingParameterNumber::Integer, 0, false, 0, 4096 ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kRank, QObject::tr( "Data-parallel job: this run's rank (-1 = environment variable RANK, else 0)" ),
                          QgsProcessingParameterNumber::Integer, -1, false, -1, 4095 ) ) );
  addParameter( advanced( new QgsProcessingParameterString( kRendezvous, QObject::tr( "Data-parallel job: rendezvous (tcp://HOST:PORT or file:///PATH; empty = MASTER_ADDR and MASTER_PORT)" ),
                          QVariant(), false, true ) ) );
  addParameter( advanced( new QgsProcessingParameterNumber( kDistTimeout, QObject::tr( "Data-parallel job: seconds to wait for the other ranks" ),
                          QgsProcessingParameterNumber::Integer, 300, false, 1, 86400 ) ) );
  addParameter( new QgsProcessingParameterFileDestination( kOutputModel, QObject::tr( "Model file" ), QObject::tr( "MuseCL model (*.musecl)" ) ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Region embeddings" ), QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutputLog, QObject::tr( "Training log" ), QgsProcessing::TypeVector, QVariant(), true, false ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "EMBEDDING_DIMENSION" ), QObject::tr( "Embedding dimension" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputString( QStringLiteral( "DEVICE_USED" ), QObject::tr( "Device used" ) ) );
}



musecl::TrainingOptions MuseclTrainAlgorithm::trainingOptions( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) const
{
  musecl::TrainingOptions o;
  o.embeddingSize = parameterAsInt( parameters, kEmbeddingSize, context );
  o.imageEpochs = parameterAsInt( parameters, kImageEpochs, context );
  o.fusionEpochs = parameterAsInt( parameters, kFusionEpochs, context );
  o.fusionFlowWeight = parameterAsDouble( parameters, kFusionFlowWeight, context );
  o.batchSize = parameterAsInt( parameters, kBatchSize, context );
  o.imagesPerPass = parameterAsInt( parameters, kImagesPerPass, context );
  if ( o.imagesPerPass == 1 || o.imagesPerPass == 2 )
    throw QgsProcessingException( QObject::tr( "IMAGES_PER_PASS is %1; a triplet needs 3 images in one pass (0 encodes the whole batch at once)" ).arg( o.imagesPerPass ) );
  o.learningRate = parameterAsDouble( parameters, kLearningRate, context );
  o.tripletDistance = parameterAsEnum( parameters, kTripletLoss, context ) == 1 ? musecl::TripletDistance::Cosine : musecl::TripletDistance::L2;
  const double margin = parameterAsDouble( parameters, kMargin, context );
  if ( o.tripletDistance == musecl::TripletDistance::L2 )
    o.margin = margin;
  else if ( margin > 2 )  // a cosine gap is at most 2: the L2 default of 5 would never be met
    feedback->pushWarning( QObject::tr( "MARGIN %1 suits the L2 triplet loss; the cosine loss uses 0.5 (give a margin ≤ 2 to choose another)" ).arg( margin ) );
  else
    o.cosineMargin = margin;
  o.chipSize = parameterAsInt( parameters, QStringLiteral( "CHIP_SIZE" ), context );
  o.streetViewSize = parameterAsInt( parameters, kSvSize, context );
  o.remoteSensingBackbone = parameterAsEnum( parameters, kRsBackbone, context ) == 1 ? "light" : "resnet18";
  o.streetViewBackbone = parameterAsEnum( parameters, kSvBackbone, context ) == 1 ? "light" : "inception_v3";
  o.remoteSensingPretrained = parameterAsFile( parameters, kRsPretrained, context ).toStdString();
  o.streetViewPretrained = parameterAsFile( parameters, kSvPretrained, context ).toStdString();
  o.similarityScale = parameterAsEnum( parameters, kSimilarity, context ) == 1 ? musecl::SimilarityScale::Raw : musecl::SimilarityScale::Log1p;
  o.tripletsPerAnchor = parameterAsInt( parameters, kTripletsPerAnchor, context );
  o.embeddingOutput = static_cast<musecl::EmbeddingOutput>( parameterAsEnum( parameters, kEmbeddingOutput, context ) );
  const int augmentation = parameterAsEnum( parameters, kAugmentation, context );
  o.augmentation = augmentation == 0 ? musecl::Augmentation::None : augmentation == 2 ? musecl::Augmentation::Full : musecl::Augmentation::Basic;
  o.mobilityDimension = parameterAsInt( parameters, kMobilitySize, context );
  o.mobilityEpochs = parameterAsInt( parameters, kMobilityEpochs, context );
  o.mobilityRuns = parameterAsInt( parameters, kMobilityRuns, context );
  o.seed = static_cast<std::uint64_t>( parameterAsInt( parameters, kSeed, context ) );
  o.device = museclDeviceChoice( parameterAsEnum( parameters, kDevice, context ) );
  o.threads = parameterAsInt( parameters, kThreads, context );
  o.distributed.worldSize = parameterAsInt( parameters, kWorldSize, context );
  o.distributed.rank = parameterAsInt( parameters, kRank, context );
  o.distributed.rendezvous = parameterAsString( parameters, kRendezvous, context ).trimmed().toStdString();
  o.distributed.timeoutSeconds = parameterAsInt( parameters, kDistTimeout, context );
  try
  {
    o.distributed = musecl::resolveDistributed( o.distributed );
  }
  catch ( const std::invalid_argument &e )
  {
    throw QgsProcessingException( QObject::tr( "Data-parallel job (WORLD_SIZE, RANK, RENDEZVOUS): %1" ).arg( QString::fromStdString( e.what() ) ) );
  }
  return o;
}

QVariantMap MuseclTrainAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  musecl::TrainingOptions o = trainingOptions( parameters, context, feedback );
  o.crs = regions.crs.authid().toStdString();
  o.regionSizeMetres = museclTypicalRegionSize( regions, context );

  const QString modelPath = QFileInfo( parameterAsFileOutput( parameters, kOutputModel, context ) ).absoluteFilePath();
  if ( !QDir().mkpath( QFileInfo( modelPath ).absolutePath() ) )
    throw QgsProcessingException( QObject::tr( "Could not create the folder for the model file “%1”" ).arg( modelPath ) );

  // The model, the embeddings and the log are staged and published together at the end: a run that
  // fails or is cancelled anywhere leaves every previous file as it was.
  MuseclStagedFile model( modelPath, QObject::tr( "model file" ) );
  QTemporaryDir chipFolder( QDir::temp().absoluteFilePath( QStringLiteral( "musecl-chips-XXXXXX" ) ) );
  MuseclChipPlan chips;
  chips.size = o.chipSize;
  chips.windowMetres = parameterAsDouble( parameters, QStringLiteral( "CHIP_WINDOW" ), context );
  chips.measureRadiometry = true;
  chips.rsBands = parameterAsString( parameters, QStringLiteral( "RS_BANDS" ), context );
  chips.allBands = parameterAsBoolean( parameters, QStringLiteral( "RS_ALL_BANDS" ), context );
  const musecl::RegionTable table = museclBuildRegionTable( this, parameters, regions, chips, chipFolder.path(), context, feedback, 25 );
  o.chipSize = chips.size;
  o.chipWindowMetres = chips.windowMetres;

  musecl::TrainingResult result;
  try
  {
    result = musecl::trainMuseCL( table, o, musecl::loadImageRgb, museclTrainingProgress( feedback, 25, 95 ),
    [feedback]( const std::string & line ) { feedback->pushInfo( QString::fromStdString( line ) ); }, model.stagingPath().toStdString(), musecl::loadChipBands );
  }
  catch ( const musecl::TrainingCancelled & )
  {
    throw QgsProcessingException( QObject::tr( "Training cancelled; no model file was written" ) );
  }
  catch ( const std::exception &e )
  {
    throw QgsProcessingException( QObject::tr( "Training failed: %1" ).arg( QString::fromStdString( e.what() ) ) );
  }

  QVariantMap outputs;
  std::unique_ptr<MuseclAtomicSink> embeddings = museclStageEmbeddings( this, parameters, kOutput, regions, result.embeddings, context, feedback );
  std::unique_ptr<MuseclAtomicSink> log;
  if ( parameters.value( kOutputLog ).isValid() && !parameters.value( kOutputLog ).toString().isEmpty() )
  {
    QgsFields fields;
    fields.append( QgsField( QStringLiteral( "stage" ), QVariant::String ) );
    fields.append( QgsField( QStringLiteral( "epoch" ), QVariant::Int ) );
    fields.append( QgsField( QStringLiteral( "loss" ), QVariant::Double ) );
    fields.append( QgsField( QStringLiteral( "seconds" ), QVariant::Double ) );
    log = std::make_unique<MuseclAtomicSink>( this, kOutputLog, parameters, context, fields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
    for ( const musecl::EpochLog &e : result.log )
    {
      QgsFeature row;
      row.setAttributes( QgsAttributes() << QString::fromStdString( e.stage ) << e.epoch << e.loss << e.seconds );
      log->addFeature( row );
    }
    log->finish();
  }
  if ( feedback->isCanceled() )
    throw QgsProcessingException( QObject::tr( "Cancelled before the outputs were saved; no file was changed" ) );
  // Renames only from here on.
  // Rank 0 alone writes the model file (to the path it was given); other ranks only log.
  if ( o.distributed.rank == 0 )
    outputs.insert( kOutputModel, model.publish() );
  outputs.insert( kOutput, embeddings->publish() );
  if ( log )
    outputs.insert( kOutputLog, log->publish() );
  outputs.insert( QStringLiteral( "EMBEDDING_DIMENSION" ), result.embeddings.dimension );
  outputs.insert( QStringLiteral( "DEVICE_USED" ), QString::fromStdString( result.device ) );
  feedback->pushInfo( QObject::tr( "Trained on %1 (threads: %2); %3-dimensional embeddings; model saved to %4" )
                      .arg( QString::fromStdString( result.device ), QString::fromStdString( result.threadPolicy ) ).arg( result.embeddings.dimension ).arg( modelPath ) );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), regions.withoutGeometry );
  return outputs;
}

QString MuseclTrainAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "train-and-apply-musecltrain-museclembed" ) );
}
