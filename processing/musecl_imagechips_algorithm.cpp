// musecl:imagechips. One chip per region, read window by window (core/musecl/chip_extractor.h)
// by a pool of threads that each hold their own GDAL dataset handle; the main thread reports
// progress and relays cancellation.
#include "musecl_imagechips_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_region_inputs.h"

#include "musecl/chip_extractor.h"
#include "musecl/field_names.h"

#include <qgsexception.h>
#include <qgsproviderregistry.h>
#include <qgsrasterlayer.h>

#include <QIcon>
#include <QThread>
#include <atomic>
#include <future>
#include <mutex>

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
  addParameter( new QgsProcessingParameterBoolean( kMask, QObject::tr( "Set pixels outside the region to nodata" ), false ) );
  addParameter( new QgsProcessingParameterEnum( kFormat, QObject::tr( "Chip format" ), QStringList() << QStringLiteral( "GeoTIFF" ) << QStringLiteral( "PNG" ), false, 0 ) );
  auto threads = std::make_unique<QgsProcessingParameterNumber>( kThreads, QObject::tr( "Threads (0 = all cores)" ), QgsProcessingParameterNumber::Integer, 0, false, 0, 256 );
  threads->setFlags( threads->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( threads.release() );
  addParameter( new QgsProcessingParameterFolderDestination( kOutputFolder, QObject::tr( "Chip folder" ) ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutputIndex, QObject::tr( "Chip index" ), QgsProcessing::TypeVector ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "CHIP_COUNT" ), QObject::tr( "Chips written" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_CHIP" ), QObject::tr( "Regions without valid pixels" ) ) );
}

QVariantMap MuseclImageChipsAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  QgsRasterLayer *raster = parameterAsRasterLayer( parameters, kRaster, context );
  if ( !raster )
    throw QgsProcessingException( invalidRasterError( parameters, kRaster ) );
  if ( raster->providerType() != QLatin1String( "gdal" ) )
    throw QgsProcessingException( QObject::tr( "Raster “%1” comes from the %2 provider; chips need a file GDAL can read" ).arg( raster->name(), raster->providerType() ) );
  const QString rasterPath = QgsProviderRegistry::instance()->decodeUri( QStringLiteral( "gdal" ), raster->source() ).value( QStringLiteral( "path" ) ).toString();

  musecl::ChipOptions options;
  options.size = parameterAsInt( parameters, kChipSize, context );
  options.maskOutsideRegion = parameterAsBoolean( parameters, kMask, context );
  options.format = parameterAsEnum( parameters, kFormat, context ) == 1 ? musecl::ChipFormat::Png : musecl::ChipFormat::GeoTiff;
  int threads = parameterAsInt( parameters, kThreads, context );
  if ( threads <= 0 )
    threads = std::max( 1, QThread::idealThreadCount() );
  threads = std::min( threads, regions.size() );

  std::unique_ptr<musecl::ChipExtractor> probe;
  try
  {
    probe = std::make_unique<musecl::ChipExtractor>( rasterPath.toStdString(), options );
  }
  catch ( const std::exception &e )
  {
    throw QgsProcessingException( QObject::tr( "Raster “%1”: %2" ).arg( raster->name(), QString::fromStdString( e.what() ) ) );
  }
  const musecl::RasterInfo info = probe->info();

  // Regions into the raster's CRS, and a clear error when the two do not overlap at all.
  const QgsCoordinateTransform toRaster( regions.crs, raster->crs(), context.transformContext() );
  QgsRectangle regionExtentInRaster;
  try
  {
    regionExtentInRaster = toRaster.transformBoundingBox( regions.extent );
  }
  catch ( QgsCsException &e )
  {
    throw QgsProcessingException( QObject::tr( "Could not transform regions of “%1” to the CRS of raster “%2” (%3): %4" ).arg( regions.layerName, raster->name(), raster->crs().authid(), e.what() ) );
  }
  const QgsRectangle rasterExtent( info.minX, info.minY, info.maxX, info.maxY );
  if ( !regionExtentInRaster.intersects( rasterExtent ) )
    throw QgsProcessingException( QObject::tr( "Raster “%1” does not overlap the regions of “%2”: raster extent %3, region extent %4 (both in %5)" )
                                  .arg( raster->name(), regions.layerName, rasterExtent.toString( 2 ), regionExtentInRaster.toString( 2 ), raster->crs().authid() ) );
  std::vector<musecl::RegionRings> rings;
  rings.reserve( static_cast<std::size_t>( regions.size() ) );
  for ( int i = 0; i < regions.size(); ++i )
  {
    try
    {
      rings.push_back( regions.rings( i, &toRaster ) );
    }
    catch ( QgsCsException &e )
    {
      throw QgsProcessingException( QObject::tr( "Could not transform region “%1” to %2: %3" ).arg( regions.ids.at( i ), raster->crs().authid(), e.what() ) );
    }
  }

  // File names from region ids: readable, unique, safe on every file system.
  const QString extension = options.format == musecl::ChipFormat::Png ? QStringLiteral( ".png" ) : QStringLiteral( ".tif" );
  std::set<std::string> takenNames;
  QStringList fileNames;
  for ( const QString &id : regions.ids )
    fileNames << QString::fromStdString( musecl::uniqueFieldName( "chip_", id.toStdString(), takenNames ) ) + extension;

  MuseclStagedFiles files( parameterAsString( parameters, kOutputFolder, context ), QObject::tr( "image chips" ) );
  feedback->pushInfo( QObject::tr( "Raster “%1”: %2 × %3 pixels, %4 band(s) of %5, %6; %7 chips of %8 px with %9 thread(s)" )
                      .arg( raster->name() ).arg( info.width ).arg( info.height ).arg( info.bands ).arg( QString::fromStdString( info.dataType ), raster->crs().authid() )
                      .arg( regions.size() ).arg( options.size ).arg( threads ) );

  std::vector<musecl::ChipResult> results( rings.size() );
  std::atomic<std::size_t> next { 0 };
  std::atomic<std::size_t> done { 0 };
  std::atomic<bool> stop { false };
  std::mutex errorMutex;
  QString firstError;
  auto worker = [&]( std::unique_ptr<musecl::ChipExtractor> extractor )
  {
    try
    {
      if ( !extractor )
        extractor = std::make_unique<musecl::ChipExtractor>( rasterPath.toStdString(), options );
      for ( std::size_t i = next++; i < rings.size() && !stop; i = next++ )
      {
        results[i] = extractor->extract( rings[i], files.stagingPath( fileNames.at( static_cast<int>( i ) ) ).toStdString() );
        ++done;
      }
    }
    catch ( const std::exception &e )
    {
      std::lock_guard<std::mutex> lock( errorMutex );
      if ( firstError.isEmpty() )
        firstError = QString::fromStdString( e.what() );
      stop = true;
    }
  };
  std::vector<std::future<void>> pool;
  pool.push_back( std::async( std::launch::async, worker, std::move( probe ) ) );
  for ( int t = 1; t < threads; ++t )
    pool.push_back( std::async( std::launch::async, worker, nullptr ) );
  for ( std::future<void> &f : pool )
  {
    while ( f.wait_for( std::chrono::milliseconds( 100 ) ) != std::future_status::ready )
    {
      if ( feedback->isCanceled() )
        stop = true;
      feedback->setProgress( 5 + 90.0 * static_cast<double>( done ) / static_cast<double>( rings.size() ) );
    }
  }
  if ( !firstError.isEmpty() )
    throw QgsProcessingException( QObject::tr( "Chip extraction from raster “%1” failed: %2" ).arg( raster->name(), firstError ) );
  if ( feedback->isCanceled() )
    throw QgsProcessingException( QObject::tr( "Cancelled after %1 of %2 chips; no chip was kept" ).arg( done.load() ).arg( rings.size() ) );

  QgsFields fields;
  fields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
  fields.append( QgsField( QStringLiteral( "path" ), QVariant::String ) );
  fields.append( QgsField( QStringLiteral( "valid_fraction" ), QVariant::Double ) );
  MuseclAtomicSink index( this, kOutputIndex, parameters, context, fields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  long long written = 0;
  QStringList empty;
  for ( std::size_t i = 0; i < results.size(); ++i )
  {
    QgsFeature row;
    const QString id = regions.ids.at( static_cast<int>( i ) );
    const bool ok = results[i].written;
    row.setAttributes( QgsAttributes() << id << ( ok ? QVariant( files.finalPath( fileNames.at( static_cast<int>( i ) ) ) ) : QVariant( QVariant::String ) )
                       << results[i].validFraction );
    index.addFeature( row );
    if ( ok )
      ++written;
    else
      empty << id;
  }
  if ( written == 0 )
    throw QgsProcessingException( QObject::tr( "No region of “%1” has a valid pixel in raster “%2” (all nodata or outside it)" ).arg( regions.layerName, raster->name() ) );
  if ( !empty.isEmpty() )
    feedback->pushWarning( QObject::tr( "%n region(s) have no valid pixel and get no chip: %1", nullptr, empty.size() )
                           .arg( QStringList( empty.mid( 0, 20 ) ).join( QStringLiteral( ", " ) ) + ( empty.size() > 20 ? QStringLiteral( ", …" ) : QString() ) ) );

  files.commit();
  QVariantMap outputs;
  outputs.insert( kOutputIndex, index.commit() );
  outputs.insert( kOutputFolder, files.finalPath( QString() ) );
  outputs.insert( QStringLiteral( "CHIP_COUNT" ), written );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_CHIP" ), empty.size() );
  feedback->pushInfo( QObject::tr( "%1 chips written to %2" ).arg( written ).arg( files.finalPath( QString() ) ) );
  return outputs;
}
