// musecl:embed. Applies a model file written by musecl:train to regions (the same city or another)
// and their inputs, through the same input readers as training.
#include "musecl_embed_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_provider.h"
#include "musecl_region_table_builder.h"
#include "musecl_block_feedback.h"
#include "musecl_atomic_sink.h"

#include "musecl/image_io.h"
#include "musecl/raster_bands.h"
#include "musecl/training.h"

#include <qgsexception.h>
#include <qgsrasterlayer.h>

#include <QIcon>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <limits>

namespace
{
  const QString kModel = QStringLiteral( "MODEL" );
  const QString kRegions = QStringLiteral( "REGIONS" );
  const QString kRegionId = QStringLiteral( "REGION_ID_FIELD" );
  const QString kDevice = QStringLiteral( "DEVICE" );
  const QString kThreads = QStringLiteral( "THREADS" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
  const QString kBlockSize = QStringLiteral( "BLOCK_SIZE" );
}

QString MuseclEmbedAlgorithm::name() const { return QStringLiteral( "embed" ); }
QString MuseclEmbedAlgorithm::displayName() const { return QObject::tr( "Embed regions with a trained model" ); }
QStringList MuseclEmbedAlgorithm::tags() const { return QObject::tr( "musecl,embedding,apply,inference,model,regions" ).split( ',' ); }
QString MuseclEmbedAlgorithm::group() const { return QObject::tr( "Region embeddings" ); }
QString MuseclEmbedAlgorithm::groupId() const { return QStringLiteral( "embeddings" ); }
QIcon MuseclEmbedAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclEmbedAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/train.svg" ); }
MuseclEmbedAlgorithm *MuseclEmbedAlgorithm::createInstance() const { return new MuseclEmbedAlgorithm(); }


QString MuseclEmbedAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Computes region embeddings with a model file written by <i>Train MuseCL region model</i>, for the regions it was trained "
           "on or for new ones (another city, another grid).\n\n"
           "Give the same kinds of input the model was trained with: the model records which modalities it uses, its chip size and "
           "backbones. A modality the model uses but that is not given is left out (the log says so); the model file is checked and a "
           "corrupt or foreign file is refused. With the same inputs, the embeddings equal those written by training.\n\n"
           "Output: the regions with emb_0…emb_{d−1}, the attention weight of each view (beta_rs, beta_sv, beta_poi, beta_mob), views and has_embedding. "
           "A view the model has but you do not give is masked out of the fusion: the embedding keeps the model's dimension and meaning, and "
           "views says which views each region had. The run is refused only when none of the model's views is given.\n\n"
           "<b>Transfer</b> is weaker than training on the regions you predict: on Manhattan, a model trained on the south half gave "
           "the north half crime R² 0.27 on average (0.19-0.35 over training seeds) against 0.63 for a model trained on the north half "
           "(check-ins 0.42 against 0.54; BENCHMARKS.md). Train on the city you predict when you can, and check a transferred "
           "embedding against the data you have.\n\n"
           "<b>Large layers</b> are read, cut into chips and embedded in blocks of BLOCK_SIZE regions (default 8192), and written as they "
           "go: memory depends on the block size, not on the number of regions, and cancelling stops within a block. Each block reads "
           "only the POIs, photos and raster windows within its extent, so give regions in a spatial order (musecl:hexgrid writes them "
           "row by row). A model with a mobility view over OD flows embeds all regions in one block, because its graph encoder needs "
           "every flow. For a country, split the grid into tiles and run one embed per tile and machine; the region ids (region_id of "
           "musecl:hexgrid) stay the same, so the tiles merge back with Merge vector layers." );
}

void MuseclEmbedAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFile( kModel, QObject::tr( "Model file" ), QgsProcessingParameterFile::File, QStringLiteral( "musecl" ) ) );
  addParameter( new QgsProcessingParameterFeatureSource( kRegions, QObject::tr( "Regions" ), QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField( kRegionId, QObject::tr( "Region id field (default: region_id, else feature id)" ), QVariant(), kRegions,
                QgsProcessingParameterField::Any, false, true ) );
  for ( QgsProcessingParameterDefinition *p : museclModalityParameters( false ) )
    addParameter( p );
  for ( QgsProcessingParameterDefinition *p : museclDeviceParameters() )
    addParameter( p );
  auto blockSize = new QgsProcessingParameterNumber( kBlockSize, QObject::tr( "Regions per block (memory grows with it, not with the layer; 0 = all at once)" ),
      QgsProcessingParameterNumber::Integer, 8192, false, 0 );
  blockSize->setFlags( blockSize->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( blockSize );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Region embeddings" ), QgsProcessing::TypeVectorPolygon ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "EMBEDDING_DIMENSION" ), QObject::tr( "Embedding dimension" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
}



namespace
{
  // The scene's radiometry against the model's: measured raster-wide with the first block.
  void warnAboutRadiometry( const musecl::ModelInfo &info, const musecl::RegionTable &table, QgsProcessingFeedback *feedback )
  {
    if ( !info.radiometry.defined() || !table.chipRadiometry.defined() )
      return;
    const std::string mismatch = musecl::radiometryMismatch( info.radiometry, table.chipRadiometry );
    if ( !mismatch.empty() )
      feedback->pushWarning( QObject::tr( "The raster's values are far from those the model was trained on (%1); chips are scaled as in training, so embeddings may not be comparable" )
                             .arg( QString::fromStdString( mismatch ) ) );
  }

  // An embedding raster must have the training raster's band count (the model's view width is two
  // values per band); said before any chip is encoded. Band order cannot be checked: keep it.
  // Returns whether the table had values to check (a block at sea has none).
  bool checkEmbeddingRasterBands( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters, const musecl::ModelInfo &info, const musecl::RegionTable &table,
                                  QgsProcessingContext &context )
  {
    std::size_t width = 0;
    for ( const auto &row : table.embeddingRasterStats )
      width = std::max( width, row.size() );
    if ( !info.embeddingRaster || width == 0 )
      return false;
    if ( static_cast<int>( width ) != info.embeddingRasterValues )
    {
      QgsRasterLayer *raster = museclRasterInput( algorithm, parameters, QStringLiteral( "EMBEDDING_RASTER" ), context );
      throw QgsProcessingException( QObject::tr( "Embedding raster “%1” (%2) has %3 band(s); the model was trained on an embedding raster of %4 band(s)" )
                                    .arg( raster ? raster->name() : QString(), raster ? raster->source() : QString() ).arg( width / 2 ).arg( info.embeddingRasterValues / 2 ) );
    }
    return true;
  }

  bool given( const QVariantMap &parameters, const QString &name )
  {
    const QVariant v = parameters.value( name );
    return v.isValid() && !v.isNull() && !( v.type() == QVariant::String && v.toString().isEmpty() );
  }

  // Streamed blocks may each lack an input (a block beyond the raster's edge); the layer as a whole
  // must not: an input that gave no region its view is refused, as it is for a layer in one block.
  void museclCheckStreamedViews( const MuseclEmbeddingWriter &writer, const musecl::ModelInfo &info, const QVariantMap &parameters )
  {
    const struct
    {
      bool inModel;
      const char *parameter;
      musecl::View view;
    } inputs[] = { { info.remoteSensing, "RASTER", musecl::View::RemoteSensing }, { info.streetView, "STREETVIEW", musecl::View::StreetView },
      { info.poiText, "POIS", musecl::View::PoiText }, { info.mobility, "FLOWS", musecl::View::Mobility }, { info.embeddingRaster, "EMBEDDING_RASTER", musecl::View::EmbeddingRaster } };
    for ( const auto &input : inputs )
      if ( input.inModel && given( parameters, QString::fromLatin1( input.parameter ) ) && writer.regionsWithView( static_cast<int>( input.view ) ) == 0 )
        throw QgsProcessingException( QObject::tr( "%1 was given, but no region of the layer has data from it (does it overlap the regions?); no output was written" )
                                      .arg( QString::fromLatin1( input.parameter ) ) );
  }

  // Regions per block: the mobility view's flow graph needs every region at once.
  long long blockLimit( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters, const musecl::ModelInfo &info, QgsProcessingContext &context,
                        QgsProcessingFeedback *feedback )
  {
    const long long blockSize = QgsProcessingParameters::parameterAsInt( algorithm->parameterDefinition( kBlockSize ), parameters, context );
    const bool odFlows = info.mobility && given( parameters, QStringLiteral( "FLOWS" ) )
                         && QgsProcessingParameters::parameterAsEnum( algorithm->parameterDefinition( QStringLiteral( "FLOW_TYPE" ) ), parameters, context ) == 0;
    if ( odFlows && blockSize > 0 )
      feedback->pushInfo( QObject::tr( "The model's mobility view passes messages along the OD flows between all regions, so the regions are embedded in one block (BLOCK_SIZE is not used)" ) );
    return blockSize <= 0 || odFlows ? std::numeric_limits<long long>::max() : blockSize;
  }
}

namespace
{
  QString describeModel( const musecl::ModelInfo &info )
  {
    const QStringList views = QStringList( { info.remoteSensing ? QObject::tr( "remote sensing" ) : QString(), info.streetView ? QObject::tr( "street view" ) : QString(),
                                             info.poiText ? QObject::tr( "POI text" ) : QString(),
                                             info.mobility ? QObject::tr( "mobility (%1)" ).arg( QString::fromStdString( info.mobilityKind ) ) : QString() } ).filter( QRegularExpression( QStringLiteral( "." ) ) );
    return QObject::tr( "Model: MuseCL %1 (LibTorch %2), %3-d, uses %4; trained on regions in %5 of about %6 m; %7" )
           .arg( QString::fromStdString( info.pluginVersion ), QString::fromStdString( info.torchVersion ) ).arg( info.outputDimension )
           .arg( views.join( QStringLiteral( ", " ) ) )
           .arg( QString::fromStdString( info.crs ) ).arg( info.regionSizeMetres, 0, 'f', 0 ).arg( QString::fromStdString( info.optionsSummary ) );
  }

  // One block's inputs into a region table and through the model; what every block shares.
  struct BlockEmbedder
  {
    const QgsProcessingAlgorithm *algorithm;
    const QVariantMap &parameters;
    QgsProcessingContext &context;
    musecl::LoadedModel &model;
    QString modelPath;
    musecl::DeviceChoice device;
    int threads;
    bool streamed;
    MuseclChipPlan chips;
    bool bandsChecked = false;

    musecl::RegionEmbeddings embed( const MuseclRegionSet &block, bool first, QgsProcessingFeedback *blockFeedback, QgsProcessingFeedback *feedback )
    {
      const musecl::ModelInfo &info = model.info();
      QTemporaryDir chipFolder( QDir::temp().absoluteFilePath( QStringLiteral( "musecl-chips-XXXXXX" ) ) );
      const musecl::RegionTable table = museclBuildRegionTable( algorithm, parameters, block, chips, chipFolder.path(), context, blockFeedback, 40 );
      if ( first )
        warnAboutRadiometry( info, table, feedback );
      chips.measureRadiometry = false;  // raster-wide: measured with the first block
      // Once, on the first block with embedding-raster values (a first block at sea has none).
      if ( !bandsChecked )
        bandsChecked = checkEmbeddingRasterBands( algorithm, parameters, info, table, context );
      try
      {
        return model.embed( table, musecl::loadImageRgb, device, threads, museclTrainingProgress( blockFeedback, 40, 100 ),
                            [blockFeedback]( const std::string & line ) { blockFeedback->pushInfo( QString::fromStdString( line ) ); }, musecl::loadChipBands, streamed ).embeddings;
      }
      catch ( const musecl::TrainingCancelled & )
      {
        throw QgsProcessingException( QObject::tr( "Cancelled; no output was written" ) );
      }
      catch ( const std::exception &e )
      {
        throw QgsProcessingException( QObject::tr( "Embedding with “%1” failed: %2" ).arg( modelPath, QString::fromStdString( e.what() ) ) );
      }
    }
  };
}

QVariantMap MuseclEmbedAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const QString modelPath = parameterAsFile( parameters, kModel, context );
  std::unique_ptr<musecl::LoadedModel> model;
  try
  {
    model = std::make_unique<musecl::LoadedModel>( modelPath.toStdString() );
  }
  catch ( const std::exception &e )
  {
    throw QgsProcessingException( QString::fromStdString( e.what() ) );
  }
  const musecl::ModelInfo &info = model->info();
  feedback->pushInfo( describeModel( info ) );

  MuseclRegionReader reader( this, parameters, kRegions, kRegionId, context );
  const long long limit = blockLimit( this, parameters, info, context, feedback );
  // Some providers do not know their feature count (-1): such a layer is streamed too, and its
  // progress is by block.
  const long long total = std::max<long long>( 1, reader.featureCount() );
  const bool streamed = reader.featureCount() < 0 || reader.featureCount() > limit;
  BlockEmbedder embedder { this, parameters, context, *model, modelPath, museclDeviceChoice( parameterAsEnum( parameters, kDevice, context ) ),
                           parameterAsInt( parameters, kThreads, context ), streamed, MuseclChipPlan() };
  // The model's chip size and window; 0 (a model without a raster view) lets the raster choose. The
  // model fixes the bands; the scene's own range over them is measured (once) only to be compared.
  embedder.chips.size = info.chipSize;
  embedder.chips.windowMetres = info.chipWindowMetres;
  embedder.chips.measureRadiometry = info.radiometry.defined();
  embedder.chips.rsBands = QString::fromStdString( info.radiometry.bandList() );
  embedder.chips.allBands = info.radiometry.channels.size() != 3;

  std::unique_ptr<MuseclEmbeddingWriter> writer;
  MuseclRegionSet block;
  long long done = 0;
  int blocks = 0;
  while ( reader.next( block, limit, feedback ) )
  {
    block.partOfLayer = streamed;
    const double from = std::min( 95.0, 95.0 * static_cast<double>( done ) / static_cast<double>( total ) );
    const double to = std::min( 95.0, 95.0 * static_cast<double>( done + block.size() ) / static_cast<double>( total ) );
    MuseclBlockFeedback blockFeedback( feedback, from, to, blocks == 0 );
    if ( blocks == 0 )
    {
      if ( streamed )
        feedback->pushInfo( QObject::tr( "%1 regions streamed in blocks of %2 (BLOCK_SIZE); the log below is the first block's, warnings come from every block" )
                            .arg( reader.featureCount() < 0 ? QObject::tr( "An unknown number of" ) : QString::number( reader.featureCount() ) ).arg( limit ) );
      const double size = museclTypicalRegionSize( block, context );
      if ( info.regionSizeMetres > 0 && ( size > 2 * info.regionSizeMetres || size < 0.5 * info.regionSizeMetres ) )
        feedback->pushWarning( QObject::tr( "These regions are about %1 m across, the model was trained on regions of about %2 m: embeddings may not be comparable" )
                               .arg( size, 0, 'f', 0 ).arg( info.regionSizeMetres, 0, 'f', 0 ) );
    }
    const musecl::RegionEmbeddings embeddings = embedder.embed( block, blocks == 0, &blockFeedback, feedback );
    if ( !writer )
      writer = std::make_unique<MuseclEmbeddingWriter>( this, parameters, kOutput, block, embeddings.dimension, context );
    writer->add( block, embeddings, feedback );
    done += block.size();
    ++blocks;
    if ( streamed )
      feedback->setProgressText( QObject::tr( "Block %1: %2 of about %3 regions embedded" ).arg( blocks ).arg( done ).arg( reader.featureCount() ) );
  }
  if ( !writer )
    throw QgsProcessingException( QObject::tr( "Region layer “%1” has no polygon features" ).arg( reader.layerName() ) );
  reader.checkIdsUniqueAcrossBlocks( feedback );
  if ( streamed )
    museclCheckStreamedViews( *writer, info, parameters );
  std::unique_ptr<MuseclAtomicSink> sink = writer->finish( feedback );
  feedback->pushInfo( QObject::tr( "%1 regions embedded in %2 block(s)" ).arg( done ).arg( blocks ) );
  QVariantMap outputs;
  outputs.insert( kOutput, sink->publish() );
  outputs.insert( QStringLiteral( "EMBEDDING_DIMENSION" ), writer->dimension() );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), reader.withoutGeometry() );
  return outputs;
}

QString MuseclEmbedAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "train-and-apply-musecltrain-museclembed" ) );
}
