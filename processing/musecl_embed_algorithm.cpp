// musecl:embed. Applies a model file written by musecl:train to regions (the same city or another)
// and their inputs, through the same input readers as training.
#include "musecl_embed_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_provider.h"
#include "musecl_region_table_builder.h"
#include "musecl_stage_feedback.h"
#include "musecl_atomic_sink.h"
#include "musecl_core_call.h"
#include "musecl_enum_parameters.h"
#include "musecl_parameter_names.h"

#include "musecl/geo/image_io.h"
#include "musecl/geo/raster_bands.h"
#include "musecl/learn/training.h"

#include <qgsexception.h>
#include <qgsrasterlayer.h>

#include <QIcon>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <limits>

MuseclEmbedAlgorithm::MuseclEmbedAlgorithm()
    : MuseclAlgorithmOf<MuseclEmbedAlgorithm>(
          { "embed", QT_TRANSLATE_NOOP( "QObject", "Embed regions with a trained model" ),
            QT_TRANSLATE_NOOP( "QObject", "musecl,embedding,apply,inference,model,regions" ),
            QT_TRANSLATE_NOOP( "QObject", "3. Region embeddings" ), "embeddings", ":/musecl/icons/embed.svg" } )
{
}


void MuseclEmbedAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFile( MuseclParameter::MODEL, QObject::tr( "Model file" ),
                                                QgsProcessingParameterFile::File, QStringLiteral( "musecl" ) ) );
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::REGIONS, QObject::tr( "Regions" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::REGION_ID_FIELD, QObject::tr( "Region id field (default: region_id, else feature id)" ),
      QVariant(), MuseclParameter::REGIONS, QgsProcessingParameterField::Any, false, true ) );
  for ( QgsProcessingParameterDefinition *p : museclModalityParameters( false ) )
    addParameter( p );
  for ( QgsProcessingParameterDefinition *p : museclDeviceParameters() )
    addParameter( p );
  auto blockSize = new QgsProcessingParameterNumber(
      MuseclParameter::BLOCK_SIZE,
      QObject::tr( "Regions per block (memory grows with it, not with the layer; 0 = all at once)" ),
      QgsProcessingParameterNumber::Integer, 8192, false, 0 );
  blockSize->setFlags( blockSize->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( blockSize );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT, QObject::tr( "Region embeddings" ),
                                                       QgsProcessing::TypeVectorPolygon ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::EMBEDDING_DIMENSION, QObject::tr( "Embedding dimension" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_GEOMETRY,
                                            QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
}


namespace
{
  // The scene's radiometry against the model's: measured raster-wide with the first block.
  void warnAboutRadiometry( const musecl::ModelInfo &info, const musecl::RegionTable &table,
                            QgsProcessingFeedback *feedback )
  {
    if ( !info.radiometry.defined() || !table.remoteSensing.radiometry.defined() )
      return;
    const std::string mismatch = musecl::radiometryMismatch( info.radiometry, table.remoteSensing.radiometry );
    if ( !mismatch.empty() )
      feedback->pushWarning(
          QObject::tr(
              "The raster's values are far from those the model was trained on (%1); chips are scaled as in training, so embeddings may not be comparable" )
              .arg( QString::fromStdString( mismatch ) ) );
  }

  // An embedding raster must have the training raster's band count (the model's view width is two
  // values per band); said before any chip is encoded. Band order cannot be checked: keep it.
  // Returns whether the table had values to check (a block at sea has none).
  bool checkEmbeddingRasterBands( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                  const musecl::ModelInfo &info, const musecl::RegionTable &table,
                                  QgsProcessingContext &context )
  {
    std::size_t width = 0;
    for ( const auto &row : table.embeddingRaster.stats )
      width = std::max( width, row.size() );
    if ( !info.embeddingRaster || width == 0 )
      return false;
    if ( static_cast<int>( width ) != info.embeddingRasterValues )
    {
      QgsRasterLayer *raster = museclRasterInput( algorithm, parameters, MuseclParameter::EMBEDDING_RASTER, context );
      throw QgsProcessingException(
          QObject::tr(
              "Embedding raster “%1” (%2) has %3 band(s); the model was trained on an embedding raster of %4 band(s)" )
              .arg( raster ? raster->name() : QString(), raster ? raster->source() : QString() )
              .arg( width / 2 )
              .arg( info.embeddingRasterValues / 2 ) );
    }
    return true;
  }

  bool given( const QVariantMap &parameters, const QString &name ) { return museclParameterGiven( parameters, name ); }

  // Streamed blocks may each lack an input (a block beyond the raster's edge); the layer as a whole
  // must not: an input that gave no region its view is refused, as it is for a layer in one block.
  void museclCheckStreamedViews( const MuseclEmbeddingWriter &writer, const musecl::ModelInfo &info,
                                 const QVariantMap &parameters )
  {
    for ( int v = 0; v < musecl::kViewCount; ++v )
    {
      const QString &parameter = MuseclParameter::VIEW_INPUT[static_cast<std::size_t>( v )];
      if ( info.views[static_cast<std::size_t>( v )] && given( parameters, parameter ) &&
           writer.regionsWithView( v ) == 0 )
        throw QgsProcessingException(
            QObject::tr(
                "%1 was given, but no region of the layer has data from it (does it overlap the regions?); no output was written" )
                .arg( parameter ) );
    }
  }

  // Regions per block: the mobility view's flow graph needs every region at once.
  long long blockLimit( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                        const musecl::ModelInfo &info, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
  {
    const long long blockSize = QgsProcessingParameters::parameterAsInt(
        algorithm->parameterDefinition( MuseclParameter::BLOCK_SIZE ), parameters, context );
    const bool odFlows = info.mobility && given( parameters, MuseclParameter::FLOWS ) &&
                         MuseclEnum::flowType().read( algorithm, parameters, context ) == MuseclFlowType::OdLines;
    if ( odFlows && blockSize > 0 )
      feedback->pushInfo( QObject::tr(
          "The model's mobility view passes messages along the OD flows between all regions, so the regions are embedded in one block (BLOCK_SIZE is not used)" ) );
    return blockSize <= 0 || odFlows ? std::numeric_limits<long long>::max() : blockSize;
  }
} // namespace

namespace
{
  // How the raster becomes the model's views. The model's chip size and window; 0 (a model without
  // a raster view) lets the raster choose. The model fixes the bands; the scene's own range over
  // them is measured (once) only to be compared. Scene features come from the model's encoder.
  MuseclChipPlan modelRasterPlan( const musecl::LoadedModel &model, musecl::DeviceChoice device, int threads )
  {
    const musecl::ModelInfo &info = model.info();
    MuseclChipPlan plan;
    plan.size = info.chipSize;
    plan.windowMetres = info.chipWindowMetres;
    plan.measureRadiometry = info.radiometry.defined();
    plan.rsBands = QString::fromStdString( info.radiometry.bandList() );
    plan.allBands = info.radiometry.channels.size() != 3;
    plan.chips = info.remoteSensing || !info.sceneFeatures;
    plan.sceneFeatures = info.sceneFeatures;
    if ( info.sceneFeatures )
    {
      plan.sceneEncoders.push_back( *model.sceneEncoder() );
      for ( const musecl::SceneEncoder &further : model.furtherSceneEncoders() )
        plan.sceneEncoders.push_back( further );
      plan.sceneScale = info.sceneScale;
      plan.sceneContextMetres = info.sceneContextMetres;
      plan.sceneOptions.device = device;
      plan.sceneOptions.threads = threads;
    }
    return plan;
  }

  QString describeModel( const musecl::ModelInfo &info )
  {
    QStringList views;
    for ( int v = 0; v < musecl::kViewCount; ++v )
    {
      if ( !info.views[static_cast<std::size_t>( v )] )
        continue;
      const QString name = QObject::tr( musecl::viewName( v ) );
      views << ( v == static_cast<int>( musecl::View::Mobility )
                     ? QStringLiteral( "%1 (%2)" ).arg( name, QString::fromStdString( info.mobilityKind ) )
                     : name );
    }
    return QObject::tr( "Model: MuseCL %1 (LibTorch %2), %3-d, uses %4; trained on regions in %5 of about %6 m; %7" )
        .arg( QString::fromStdString( info.pluginVersion ), QString::fromStdString( info.torchVersion ) )
        .arg( info.outputDimension )
        .arg( views.join( QStringLiteral( ", " ) ) )
        .arg( QString::fromStdString( info.crs ) )
        .arg( info.regionSizeMetres, 0, 'f', 0 )
        .arg( QString::fromStdString( info.optionsSummary ) );
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

      // Two steps of `blockFeedback`: the block's table, then the model.
      musecl::RegionEmbeddings embed( const MuseclRegionSet &block, bool first, QgsProcessingFeedback *blockFeedback,
                                      QgsProcessingFeedback *feedback )
      {
        const musecl::ModelInfo &info = model.info();
        MuseclStepFeedback steps( 2, blockFeedback );
        QTemporaryDir chipFolder( QDir::temp().absoluteFilePath( QStringLiteral( "musecl-chips-XXXXXX" ) ) );
        const musecl::RegionTable table =
            museclBuildRegionTable( algorithm, parameters, block, chips, chipFolder.path(), context, &steps );
        if ( first )
          warnAboutRadiometry( info, table, feedback );
        chips.measureRadiometry = false; // raster-wide: measured with the first block
        // Once, on the first block with embedding-raster values (a first block at sea has none).
        if ( !bandsChecked )
          bandsChecked = checkEmbeddingRasterBands( algorithm, parameters, info, table, context );
        steps.setCurrentStep( 1 );
        const MuseclCoreErrors errors(
            [this]( const QString &reason )
            { return QObject::tr( "Embedding with “%1” failed: %2" ).arg( modelPath, reason ); },
            QObject::tr( "Cancelled; no output was written" ) );
        return museclCallCore(
            [&]
            {
              return model
                  .embed(
                      table, musecl::loadImageRgb, device, threads, museclTrainingProgress( &steps, feedback ),
                      [blockFeedback]( const std::string &line )
                      { blockFeedback->pushInfo( QString::fromStdString( line ) ); },
                      musecl::loadChipBands, streamed )
                  .embeddings;
            },
            errors );
      }
  };
} // namespace

namespace
{
  // The region-attribute view reads the fields the model was trained with, by name, unless
  // ATTRIBUTE_FIELDS names others; a layer without them gets the model without that view.
  QVariantMap withModelAttributes( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                   const musecl::ModelInfo &info, QgsProcessingContext &context,
                                   QgsProcessingFeedback *feedback )
  {
    if ( !info.attributes || given( parameters, MuseclParameter::ATTRIBUTE_FIELDS ) )
      return parameters;
    std::unique_ptr<QgsProcessingFeatureSource> regions( QgsProcessingParameters::parameterAsSource(
        algorithm->parameterDefinition( MuseclParameter::REGIONS ), parameters, context ) );
    QStringList names, missing;
    for ( const std::string &name : info.attributeNames )
    {
      names << QString::fromStdString( name );
      if ( regions && regions->fields().lookupField( names.last() ) < 0 )
        missing << names.last();
    }
    if ( !missing.isEmpty() )
    {
      feedback->pushWarning( QObject::tr( "The model has a region-attribute view over %1; the region layer lacks %2, "
                                          "so the view is left out" )
                                 .arg( names.join( QStringLiteral( ", " ) ), missing.join( QStringLiteral( ", " ) ) ) );
      return parameters;
    }
    QVariantMap effective = parameters;
    effective.insert( MuseclParameter::ATTRIBUTE_FIELDS, names );
    return effective;
  }

  // Said once, with the first block: how the layer is streamed, and whether its regions have the
  // size the model was trained on.
  void reportFirstBlock( const MuseclRegionReader &reader, const MuseclRegionSet &block, const musecl::ModelInfo &info,
                         bool streamed, long long limit, QgsProcessingContext &context,
                         QgsProcessingFeedback *feedback )
  {
    if ( streamed )
      feedback->pushInfo(
          QObject::tr(
              "%1 regions streamed in blocks of %2 (BLOCK_SIZE); the log below is the first block's, warnings come from every block" )
              .arg( reader.featureCount() < 0 ? QObject::tr( "An unknown number of" )
                                              : QString::number( reader.featureCount() ) )
              .arg( limit ) );
    const double size = museclTypicalRegionSize( block, context );
    if ( info.regionSizeMetres > 0 && ( size > 2 * info.regionSizeMetres || size < 0.5 * info.regionSizeMetres ) )
      feedback->pushWarning(
          QObject::tr(
              "These regions are about %1 m across, the model was trained on regions of about %2 m: embeddings may not be comparable" )
              .arg( size, 0, 'f', 0 )
              .arg( info.regionSizeMetres, 0, 'f', 0 ) );
  }
} // namespace

QVariantMap MuseclEmbedAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                    QgsProcessingFeedback *feedback )
{
  const QString modelPath = parameterAsFile( parameters, MuseclParameter::MODEL, context );
  const std::unique_ptr<musecl::LoadedModel> model =
      museclCallCore( [&] { return std::make_unique<musecl::LoadedModel>( modelPath.toStdString() ); } );
  const musecl::ModelInfo &info = model->info();
  feedback->pushInfo( describeModel( info ) );

  const QVariantMap effective = withModelAttributes( this, parameters, info, context, feedback );
  MuseclRegionReader reader( this, parameters, MuseclParameter::REGIONS, MuseclParameter::REGION_ID_FIELD, context );
  const long long limit = blockLimit( this, parameters, info, context, feedback );
  // Some providers do not know their feature count (-1): such a layer is streamed too, and its
  // progress is by block.
  const long long total = std::max<long long>( 1, reader.featureCount() );
  const bool streamed = reader.featureCount() < 0 || reader.featureCount() > limit;
  BlockEmbedder embedder{ this,
                          effective,
                          context,
                          *model,
                          modelPath,
                          MuseclEnum::device().read( this, parameters, context ),
                          parameterAsInt( parameters, MuseclParameter::THREADS, context ),
                          streamed,
                          MuseclChipPlan() };
  embedder.chips = modelRasterPlan( *model, embedder.device, embedder.threads );

  // Progress: a layer read whole reports its reading as the first 5 %; the blocks share the rest up
  // to 95 % by their number of regions (a streamed layer's reading is part of its blocks).
  const double readShare = streamed ? 0 : 5;
  MuseclRangeFeedback wholeLayerReading( feedback, 0, readShare );
  std::unique_ptr<MuseclEmbeddingWriter> writer;
  MuseclRegionSet block;
  long long done = 0;
  int blocks = 0;
  while ( reader.next( block, limit, streamed ? feedback : &wholeLayerReading ) )
  {
    block.partOfLayer = streamed;
    const double from =
        std::min( 95.0, readShare + ( 95.0 - readShare ) * static_cast<double>( done ) / static_cast<double>( total ) );
    const double to = std::min( 95.0, readShare + ( 95.0 - readShare ) * static_cast<double>( done + block.size() ) /
                                                      static_cast<double>( total ) );
    MuseclRangeFeedback blockFeedback( feedback, from, to, blocks == 0 );
    if ( blocks == 0 )
      reportFirstBlock( reader, block, info, streamed, limit, context, feedback );
    const musecl::RegionEmbeddings embeddings = embedder.embed( block, blocks == 0, &blockFeedback, feedback );
    if ( !writer )
      writer = std::make_unique<MuseclEmbeddingWriter>( this, parameters, MuseclParameter::OUTPUT, block,
                                                        embeddings.dimension, context );
    writer->add( block, embeddings, feedback );
    done += block.size();
    ++blocks;
    if ( streamed )
      feedback->setProgressText( QObject::tr( "Block %1: %2 of about %3 regions embedded" )
                                     .arg( blocks )
                                     .arg( done )
                                     .arg( reader.featureCount() ) );
  }
  if ( !writer )
    throw QgsProcessingException(
        QObject::tr( "Region layer “%1” has no polygon features" ).arg( reader.layerName() ) );
  reader.checkIdsUniqueAcrossBlocks( feedback );
  if ( streamed )
    museclCheckStreamedViews( *writer, info, parameters );
  writer->finish( feedback );
  feedback->pushInfo( QObject::tr( "%1 regions embedded in %2 block(s)" ).arg( done ).arg( blocks ) );
  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT, writer->publish( context ) );
  outputs.insert( MuseclOutput::EMBEDDING_DIMENSION, writer->dimension() );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_GEOMETRY, reader.withoutGeometry() );
  return outputs;
}
