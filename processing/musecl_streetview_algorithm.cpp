// musecl:streetview. Street-view photos are points with a file path; this assigns each readable
// photo to its region and says exactly which photos could not be used and why.
#include "musecl_streetview_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"


#include <qgsexception.h>
#include <qgsvectorlayer.h>

#include <QIcon>

namespace
{
  const QString kRegions = QStringLiteral( "REGIONS" );
  const QString kRegionId = QStringLiteral( "REGION_ID_FIELD" );
  const QString kImages = QStringLiteral( "IMAGES" );
  const QString kPathField = QStringLiteral( "PATH_FIELD" );
  const QString kBaseFolder = QStringLiteral( "BASE_FOLDER" );
  const QString kCheckReadable = QStringLiteral( "CHECK_READABLE" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
  const QString kOutputIndex = QStringLiteral( "OUTPUT_INDEX" );
}

QString MuseclStreetViewAlgorithm::name() const { return QStringLiteral( "streetview" ); }
QString MuseclStreetViewAlgorithm::displayName() const { return QObject::tr( "Assign street-view images to regions" ); }
QStringList MuseclStreetViewAlgorithm::tags() const { return QObject::tr( "street view,photos,images,panorama,regions,musecl" ).split( ',' ); }
QString MuseclStreetViewAlgorithm::group() const { return QObject::tr( "Region features" ); }
QString MuseclStreetViewAlgorithm::groupId() const { return QStringLiteral( "features" ); }
QIcon MuseclStreetViewAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclStreetViewAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/streetview.svg" ); }
MuseclStreetViewAlgorithm *MuseclStreetViewAlgorithm::createInstance() const { return new MuseclStreetViewAlgorithm(); }


QString MuseclStreetViewAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Assigns street-view photos to regions: the input of MuseCL's street-view encoder, which may use many photos per region "
           "(the paper has about 16).\n\n"
           "Each point of the image layer is one photo; PATH_FIELD holds its file path. Relative paths are resolved against "
           "BASE_FOLDER, or by default against the folder of the image layer's own file. With CHECK_READABLE each file is opened "
           "(headers only) to catch corrupt or non-image files before training.\n\n"
           "<b>Output</b>: the regions with sv_images (number of usable photos), and an index table region_id, image_path (absolute). "
           "Photos that are missing, unreadable, have no path or lie outside every region are counted and named in the log; "
           "none is dropped silently." );
}

void MuseclStreetViewAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kRegions, QObject::tr( "Regions" ), QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField( kRegionId, QObject::tr( "Region id field (default: region_id, else feature id)" ), QVariant(), kRegions,
                QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterFeatureSource( kImages, QObject::tr( "Street-view image points" ), QList<int>() << QgsProcessing::TypeVectorPoint ) );
  addParameter( new QgsProcessingParameterField( kPathField, QObject::tr( "Image path field" ), QVariant(), kImages, QgsProcessingParameterField::String ) );
  addParameter( new QgsProcessingParameterFile( kBaseFolder, QObject::tr( "Folder for relative paths (default: the image layer's folder)" ),
                QgsProcessingParameterFile::Folder, QString(), QVariant(), true ) );
  addParameter( new QgsProcessingParameterBoolean( kCheckReadable, QObject::tr( "Check that every image can be read" ), true ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Regions with street-view image counts" ), QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutputIndex, QObject::tr( "Street-view image index" ), QgsProcessing::TypeVector ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "IMAGES_ASSIGNED" ), QObject::tr( "Images assigned to regions" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "IMAGES_REJECTED" ), QObject::tr( "Images missing, unreadable, without path or outside regions" ) ) );
}


QVariantMap MuseclStreetViewAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  std::unique_ptr<QgsProcessingFeatureSource> images( parameterAsSource( parameters, kImages, context ) );
  if ( !images )
    throw QgsProcessingException( invalidSourceError( parameters, kImages ) );
  const QString pathName = parameterAsString( parameters, kPathField, context );
  const MuseclStreetViewSummary summary = museclCollectStreetView( regions, *images, parameterAsVectorLayer( parameters, kImages, context ), pathName,
                                          parameterAsFile( parameters, kBaseFolder, context ), parameterAsBoolean( parameters, kCheckReadable, context ),
                                          context, feedback, 5, 90 );

  MuseclOutputFields outputFields( regions.fields );
  outputFields.add( "sv_", "images", QVariant::Int );
  const QgsFields &fields = outputFields.fields();
  MuseclAtomicSink output( this, kOutput, parameters, context, fields, regions.wkbType, regions.crs );
  QgsFields indexFields;
  indexFields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
  indexFields.append( QgsField( QStringLiteral( "image_path" ), QVariant::String ) );
  MuseclAtomicSink index( this, kOutputIndex, parameters, context, indexFields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  for ( int i = 0; i < regions.size(); ++i )
  {
    const auto &paths = summary.perRegion[static_cast<std::size_t>( i )];
    output.addFeature( outputFields.extended( regions.features.at( i ), QgsAttributes() << static_cast<int>( paths.size() ) ) );
    for ( const QString &path : paths )
    {
      QgsFeature row;
      row.setAttributes( QgsAttributes() << regions.ids.at( i ) << path );
      index.addFeature( row );
    }
  }

  museclReportStreetView( summary, pathName, regions.size(), feedback );

  output.finish();
  index.finish();
  QVariantMap outputs;
  outputs.insert( kOutput, output.publish() );
  outputs.insert( kOutputIndex, index.publish() );
  outputs.insert( QStringLiteral( "IMAGES_ASSIGNED" ), summary.assigned );
  outputs.insert( QStringLiteral( "IMAGES_REJECTED" ), static_cast<qlonglong>( summary.missing.size() + summary.unreadable.size() + summary.outside.size() + summary.withoutPath ) );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), regions.withoutGeometry );
  return outputs;
}

QString MuseclStreetViewAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "region-features" ) );
}
