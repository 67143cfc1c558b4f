// musecl:imagechips. One chip per region, read window by window (core/musecl/chip_extractor.h)
// by a pool of threads that each hold their own GDAL dataset handle; the main thread reports
// progress and relays cancellation.
#include "musecl_imagechips_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_enum_parameters.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"
#include "musecl_stage_feedback.h"


#include <qgsexception.h>
#include <qgsrasterlayer.h>

#include <QIcon>


MuseclImageChipsAlgorithm::MuseclImageChipsAlgorithm()
    : MuseclAlgorithmOf<MuseclImageChipsAlgorithm>(
          { "imagechips", QT_TRANSLATE_NOOP( "QObject", "Extract image chips per region" ),
            QT_TRANSLATE_NOOP( "QObject", "raster,chips,tiles,remote sensing,satellite,image,regions,musecl" ),
            QT_TRANSLATE_NOOP( "QObject", "2. Region features" ), "features", ":/musecl/icons/imagechips.svg" } )
{
}


void MuseclImageChipsAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::REGIONS, QObject::tr( "Regions" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::REGION_ID_FIELD, QObject::tr( "Region id field (default: region_id, else feature id)" ),
      QVariant(), MuseclParameter::REGIONS, QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterRasterLayer( MuseclParameter::RASTER,
                                                       QObject::tr( "Raster (remote sensing image)" ) ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::CHIP_SIZE, QObject::tr( "Chip size (pixels)" ),
                                                  QgsProcessingParameterNumber::Integer, 256, false, 8, 4096 ) );
  addParameter( new QgsProcessingParameterNumber(
      MuseclParameter::CHIP_WINDOW, QObject::tr( "Ground window per chip (metres; 0 = each region's bounding box)" ),
      QgsProcessingParameterNumber::Double, 0, true, 0 ) );
  addParameter( new QgsProcessingParameterBoolean( MuseclParameter::MASK,
                                                   QObject::tr( "Set pixels outside the region to nodata" ), false ) );
  addParameter( MuseclEnum::chipFormat().create( QObject::tr( "Chip format" ) ) );
  auto threads = std::make_unique<QgsProcessingParameterNumber>(
      MuseclParameter::THREADS, QObject::tr( "Threads (0 = all cores)" ), QgsProcessingParameterNumber::Integer, 0,
      false, 0, 256 );
  threads->setFlags( threads->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( threads.release() );
  addParameter(
      new QgsProcessingParameterFolderDestination( MuseclParameter::OUTPUT_FOLDER, QObject::tr( "Chip folder" ) ) );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT_INDEX, QObject::tr( "Chip index" ),
                                                       QgsProcessing::TypeVector ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::CHIP_COUNT, QObject::tr( "Chips written" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_GEOMETRY,
                                            QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_CHIP,
                                            QObject::tr( "Regions without valid pixels" ) ) );
}


QVariantMap MuseclImageChipsAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                         QgsProcessingFeedback *feedback )
{
  // Three steps: the regions, the chips, the outputs.
  MuseclStepFeedback steps( 3, feedback );
  const MuseclRegionSet regions = museclReadRegions( this, parameters, MuseclParameter::REGIONS,
                                                     MuseclParameter::REGION_ID_FIELD, context, &steps );
  QgsRasterLayer *raster = museclRasterInput( this, parameters, MuseclParameter::RASTER, context );
  if ( !raster )
    throw QgsProcessingException( invalidRasterError( parameters, MuseclParameter::RASTER ) );
  musecl::ChipOptions options;
  options.size = parameterAsInt( parameters, MuseclParameter::CHIP_SIZE, context );
  options.maskOutsideRegion = parameterAsBoolean( parameters, MuseclParameter::MASK, context );
  options.groundWindow =
      parameterAsDouble( parameters, MuseclParameter::CHIP_WINDOW, context ); // metres; converted to the raster's units
  options.format = MuseclEnum::chipFormat().read( this, parameters, context );
  MuseclStagedFiles files( parameterAsString( parameters, MuseclParameter::OUTPUT_FOLDER, context ),
                           QObject::tr( "image chips" ) );
  steps.setCurrentStep( 1 );
  const MuseclChipRun run =
      museclExtractChips( regions, raster, options, parameterAsInt( parameters, MuseclParameter::THREADS, context ),
                          files, context, &steps );
  steps.setCurrentStep( 2 );

  QgsFields fields;
  fields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
  fields.append( QgsField( QStringLiteral( "path" ), QVariant::String ) );
  fields.append( QgsField( QStringLiteral( "valid_fraction" ), QVariant::Double ) );
  MuseclAtomicSink index( this, MuseclParameter::OUTPUT_INDEX, parameters, context, fields, QgsWkbTypes::NoGeometry,
                          QgsCoordinateReferenceSystem() );
  for ( int i = 0; i < regions.size(); ++i )
  {
    QgsFeature row;
    const QString &path = run.paths.at( i );
    row.setAttributes( QgsAttributes() << regions.ids.at( i )
                                       << ( path.isEmpty() ? QVariant( QVariant::String ) : QVariant( path ) )
                                       << run.results[static_cast<std::size_t>( i )].validFraction );
    index.addFeature( row );
  }

  index.finish();
  files.commit();
  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT_INDEX, index.publish() );
  outputs.insert( MuseclParameter::OUTPUT_FOLDER, files.finalPath( QString() ) );
  outputs.insert( MuseclOutput::CHIP_COUNT, run.written );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_CHIP, run.regionsWithoutChip.size() );
  feedback->pushInfo( QObject::tr( "%1 chips written to %2" ).arg( run.written ).arg( files.finalPath( QString() ) ) );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_GEOMETRY, regions.withoutGeometry );
  return outputs;
}
