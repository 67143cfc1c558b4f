// musecl:imagechips. One chip per region, read window by window (core/musecl/chip_extractor.h)
// by a pool of threads that each hold their own GDAL dataset handle; the main thread reports
// progress and relays cancellation.
#include "musecl_imagechips_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"


#include <qgsexception.h>
#include <qgsrasterlayer.h>

#include <QIcon>

namespace
{
  const QString kRegions = QStringLiteral( "REGIONS" );
  const QString kRegionId = QStringLiteral( "REGION_ID_FIELD" );
  const QString kRaster = QStringLiteral( "RASTER" );
  const QString kChipSize = QStringLiteral( "CHIP_SIZE" );
  const QString kMask = QStringLiteral( "MASK" );
  const QString kFormat = QStringLiteral( "FORMAT" );
  const QString kThreads = QStringLiteral( "THREADS" );
  const QString kOutputFolder = QStringLiteral( "OUTPUT_FOLDER" );
  const QString kOutputIndex = QStringLiteral( "OUTPUT_INDEX" );
}

QString MuseclImageChipsAlgorithm::name() const { return QStringLiteral( "imagechips" ); }
QString MuseclImageChipsAlgorithm::displayName() const { return QObject::tr( "Extract image chips per region" ); }
QStringList MuseclImageChipsAlgorithm::tags() const { return QObject::tr( "raster,chips,tiles,remote sensing,satellite,image,regions,musecl" ).split( ',' ); }
QString MuseclImageChipsAlgorithm::group() const { return QObject::tr( "Region features" ); }
QString MuseclImageChipsAlgorithm::groupId() const { return QStringLiteral( "features" ); }
QIcon MuseclImageChipsAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclImageChipsAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/imagechips.svg" ); }
MuseclImageChipsAlgorithm *MuseclImageChipsAlgorithm::createInstance() const { return new MuseclImageChipsAlgorithm(); }


QString MuseclImageChipsAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Cuts one square image chip per region from a raster (any size, band count, data type and CRS), the remote-sensing "
           "input of MuseCL's image encoder.\n\n"
           "Each chip covers the square centred on the region's bounding box (in the raster's CRS) whose side is the box's longer "
           "side, resampled bilinearly to CHIP_SIZE × CHIP_SIZE pixels (default 256, the ResNet input of the paper). With "
           "CHIP_WINDOW (metres) every chip covers that fixed square of ground centred on its region instead, so all chips share "
           "one scale: small regions keep their surroundings, large ones are cut to their centre (needs a projected raster CRS). "
           "Band scale and offset are kept in the chips. With "
           "<b>MASK</b> the pixels whose centre is outside the region are set to nodata. Pixels outside the raster or nodata in it "
           "are nodata in the chip (the raster's nodata value, else 0).\n\n"
           "Chips are GeoTIFF (any data type, georeferenced) or PNG (Byte or UInt16, with a world file), named "
           "chip_&lt;region id&gt;, and written into OUTPUT_FOLDER only when all are done. The index table gives region_id, "
           "path and valid_fraction (share of chip pixels with data); regions with no valid pixel get no chip, an empty path, "
           "and are reported.\n\n"
           "Only the window under each region is read, so memory stays at a few chips per thread whatever the raster size. "
           "THREADS = 0 uses every core." );
}

void MuseclImageChipsAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kRegions, QObject::tr( "Regions" ), QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField( kRegionId, QObject::tr( "Region id field (default: region_id, else feature id)" ), QVariant(), kRegions,
                QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterRasterLayer( kRaster, QObject::tr( "Raster (remote sensing image)" ) ) );
  addParameter( new QgsProcessingParameterNumber( kChipSize, QObject::tr( "Chip size (pixels)" ), QgsProcessingParameterNumber::Integer, 256, false, 8, 4096 ) );
  addParameter( new QgsProcessingParameterNumber( QStringLiteral( "CHIP_WINDOW" ), QObject::tr( "Ground window per chip (metres; 0 = each region's bounding box)" ),
                QgsProcessingParameterNumber::Double, 0, true, 0 ) );
  addParameter( new QgsProcessingParameterBoolean( kMask, QObject::tr( "Set pixels outside the region to nodata" ), false ) );
  addParameter( new QgsProcessingParameterEnum( kFormat, QObject::tr( "Chip format" ), QStringList() << QStringLiteral( "GeoTIFF" ) << QStringLiteral( "PNG" ), false, 0 ) );
  auto threads = std::make_unique<QgsProcessingParameterNumber>( kThreads, QObject::tr( "Threads (0 = all cores)" ), QgsProcessingParameterNumber::Integer, 0, false, 0, 256 );
  threads->setFlags( threads->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( threads.release() );
  addParameter( new QgsProcessingParameterFolderDestination( kOutputFolder, QObject::tr( "Chip folder" ) ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutputIndex, QObject::tr( "Chip index" ), QgsProcessing::TypeVector ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "CHIP_COUNT" ), QObject::tr( "Chips written" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_CHIP" ), QObject::tr( "Regions without valid pixels" ) ) );
}



QVariantMap MuseclImageChipsAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  QgsRasterLayer *raster = museclRasterInput( this, parameters, kRaster, context );
  if ( !raster )
    throw QgsProcessingException( invalidRasterError( parameters, kRaster ) );
  musecl::ChipOptions options;
  options.size = parameterAsInt( parameters, kChipSize, context );
  options.maskOutsideRegion = parameterAsBoolean( parameters, kMask, context );
  options.groundWindow = parameterAsDouble( parameters, QStringLiteral( "CHIP_WINDOW" ), context );  // metres; converted to the raster's units
  options.format = parameterAsEnum( parameters, kFormat, context ) == 1 ? musecl::ChipFormat::Png : musecl::ChipFormat::GeoTiff;
  MuseclStagedFiles files( parameterAsString( parameters, kOutputFolder, context ), QObject::tr( "image chips" ) );
  const MuseclChipRun run = museclExtractChips( regions, raster, options, parameterAsInt( parameters, kThreads, context ), files, context, feedback, 5, 95 );

  QgsFields fields;
  fields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
  fields.append( QgsField( QStringLiteral( "path" ), QVariant::String ) );
  fields.append( QgsField( QStringLiteral( "valid_fraction" ), QVariant::Double ) );
  MuseclAtomicSink index( this, kOutputIndex, parameters, context, fields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  for ( int i = 0; i < regions.size(); ++i )
  {
    QgsFeature row;
    const QString &path = run.paths.at( i );
    row.setAttributes( QgsAttributes() << regions.ids.at( i ) << ( path.isEmpty() ? QVariant( QVariant::String ) : QVariant( path ) )
                       << run.results[static_cast<std::size_t>( i )].validFraction );
    index.addFeature( row );
  }

  index.finish();
  files.commit();
  QVariantMap outputs;
  outputs.insert( kOutputIndex, index.publish() );
  outputs.insert( kOutputFolder, files.finalPath( QString() ) );
  outputs.insert( QStringLiteral( "CHIP_COUNT" ), run.written );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_CHIP" ), run.regionsWithoutChip.size() );
  feedback->pushInfo( QObject::tr( "%1 chips written to %2" ).arg( run.written ).arg( files.finalPath( QString() ) ) );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), regions.withoutGeometry );
  return outputs;
}

QString MuseclImageChipsAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "region-features" ) );
}
