// musecl:embed. Applies a model file written by musecl:train to regions (the same city or another)
// and their inputs, through the same input readers as training.
#include "musecl_embed_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_provider.h"
#include "musecl_region_table_builder.h"

#include "musecl/image_io.h"
#include "musecl/raster_bands.h"
#include "musecl/training.h"

#include <qgsexception.h>
#include <qgsrasterlayer.h>

#include <QIcon>
#include <QRegularExpression>
#include <QTemporaryDir>

namespace
{
  const QString kModel = QStringLiteral( "MODEL" );
  const QString kRegions = QStringLiteral( "REGIONS" );
  const QString kRegionId = QStringLiteral( "REGION_ID_FIELD" );
  const QString kDevice = QStringLiteral( "DEVICE" );
  const QString kThreads = QStringLiteral( "THREADS" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
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
           "views says which views each region had. The run is refused only when none of the model's views is given." );
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
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Region embeddings" ), QgsProcessing::TypeVectorPolygon ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "EMBEDDING_DIMENSION" ), QObject::tr( "Embedding dimension" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
}



QVariantMap MuseclEmbedAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const QString modelPath = parameterAsFile( parameters, kModel, context );
  musecl::ModelInfo info;
  try
  {
    info = musecl::readModelInfo( modelPath.toStdString() );
  }
  catch ( const std::exception &e )
  {
    throw QgsProcessingException( QString::fromStdString( e.what() ) );
  }
  feedback->pushInfo( QObject::tr( "Model: MuseCL %1 (LibTorch %2), %3-d, uses %4; trained on regions in %5 of about %6 m; %7" )
                      .arg( QString::fromStdString( info.pluginVersion ), QString::fromStdString( info.torchVersion ) ).arg( info.outputDimension )
                      .arg( QStringList( { info.remoteSensing ? QObject::tr( "remote sensing" ) : QString(), info.streetView ? QObject::tr( "street view" ) : QString(),
                                           info.poiText ? QObject::tr( "POI text" ) : QString(),
                                           info.mobility ? QObject::tr( "mobility (%1)" ).arg( QString::fromStdString( info.mobilityKind ) ) : QString() } ).filter( QRegularExpression( QStringLiteral( "." ) ) ).join( QStringLiteral( ", " ) ) )
                      .arg( QString::fromStdString( info.crs ) ).arg( info.regionSizeMetres, 0, 'f', 0 ).arg( QString::fromStdString( info.optionsSummary ) ) );
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  const double size = museclTypicalRegionSize( regions, context );
  if ( info.regionSizeMetres > 0 && ( size > 2 * info.regionSizeMetres || size < 0.5 * info.regionSizeMetres ) )
    feedback->pushWarning( QObject::tr( "These regions are about %1 m across, the model was trained on regions of about %2 m: embeddings may not be comparable" )
                           .arg( size, 0, 'f', 0 ).arg( info.regionSizeMetres, 0, 'f', 0 ) );

  QTemporaryDir chipFolder( QDir::temp().absoluteFilePath( QStringLiteral( "musecl-chips-XXXXXX" ) ) );
  // The model's chip size and window; 0 (a model without a raster view) lets the raster choose. The
  // model fixes the bands; the scene's own range over them is measured only to be compared.
  MuseclChipPlan chips;
  chips.size = info.chipSize;
  chips.windowMetres = info.chipWindowMetres;
  chips.measureRadiometry = info.radiometry.defined();
  chips.rsBands = QString::fromStdString( info.radiometry.bandList() );
  chips.allBands = info.radiometry.channels.size() != 3;
  const musecl::RegionTable table = museclBuildRegionTable( this, parameters, regions, chips, chipFolder.path(), context, feedback, 40 );
  // An embedding raster must have the training raster's band count (the model's view width is two
  // values per band); said before any chip is encoded. Band order cannot be checked: keep it.
  if ( info.embeddingRaster && table.hasEmbeddingRaster() )
  {
    std::size_t width = 0;
    for ( const auto &row : table.embeddingRasterStats )
      width = std::max( width, row.size() );
    if ( width != 0 && static_cast<int>( width ) != info.embeddingRasterValues )
    {
      QgsRasterLayer *raster = museclRasterInput( this, parameters, QStringLiteral( "EMBEDDING_RASTER" ), context );
      throw QgsProcessingException( QObject::tr( "Embedding raster “%1” (%2) has %3 band(s); the model was trained on an embedding raster of %4 band(s)" )
                                    .arg( raster ? raster->name() : QString(), raster ? raster->source() : QString() ).arg( width / 2 ).arg( info.embeddingRasterValues / 2 ) );
    }
  }
  if ( info.radiometry.defined() && table.chipRadiometry.defined() )
  {
    const std::string mismatch = musecl::radiometryMismatch( info.radiometry, table.chipRadiometry );
    if ( !mismatch.empty() )
      feedback->pushWarning( QObject::tr( "The raster's values are far from those the model was trained on (%1); chips are scaled as in training, so embeddings may not be comparable" )
                             .arg( QString::fromStdString( mismatch ) ) );
  }
  const musecl::DeviceChoice device = museclDeviceChoice( parameterAsEnum( parameters, kDevice, context ) );
  musecl::TrainingResult result;
  try
  {
    result = musecl::embedWithModel( modelPath.toStdString(), table, musecl::loadImageRgb,
                                     device, parameterAsInt( parameters, kThreads, context ), museclTrainingProgress( feedback, 40, 95 ),
    [feedback]( const std::string & line ) { feedback->pushInfo( QString::fromStdString( line ) ); }, musecl::loadChipBands );
  }
  catch ( const musecl::TrainingCancelled & )
  {
    throw QgsProcessingException( QObject::tr( "Cancelled; no output was written" ) );
  }
  catch ( const std::exception &e )
  {
    throw QgsProcessingException( QObject::tr( "Embedding with “%1” failed: %2" ).arg( modelPath, QString::fromStdString( e.what() ) ) );
  }
  QVariantMap outputs;
  outputs.insert( kOutput, museclStageEmbeddings( this, parameters, kOutput, regions, result.embeddings, context, feedback )->publish() );
  outputs.insert( QStringLiteral( "EMBEDDING_DIMENSION" ), result.embeddings.dimension );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), regions.withoutGeometry );
  return outputs;
}

QString MuseclEmbedAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "train-and-apply-musecltrain-museclembed" ) );
}
