// musecl:streetview. Street-view photos are points with a file path; this assigns each readable
// photo to its region and says exactly which photos could not be used and why.
#include "musecl_streetview_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"
#include "musecl_stage_feedback.h"


#include <qgsexception.h>
#include <qgsvectorlayer.h>

#include <QIcon>


MuseclStreetViewAlgorithm::MuseclStreetViewAlgorithm()
    : MuseclAlgorithmOf<MuseclStreetViewAlgorithm>(
          { "streetview", QT_TRANSLATE_NOOP( "QObject", "Assign street-view images to regions" ),
            QT_TRANSLATE_NOOP( "QObject", "street view,photos,images,panorama,regions,musecl" ),
            QT_TRANSLATE_NOOP( "QObject", "2. Region features" ), "features", ":/musecl/icons/streetview.svg" } )
{
}


void MuseclStreetViewAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::REGIONS, QObject::tr( "Regions" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::REGION_ID_FIELD, QObject::tr( "Region id field (default: region_id, else feature id)" ),
      QVariant(), MuseclParameter::REGIONS, QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::IMAGES,
                                                         QObject::tr( "Street-view image points" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPoint ) );
  addParameter( new QgsProcessingParameterField( MuseclParameter::PATH_FIELD, QObject::tr( "Image path field" ),
                                                 QVariant(), MuseclParameter::IMAGES,
                                                 QgsProcessingParameterField::String ) );
  addParameter( new QgsProcessingParameterFile(
      MuseclParameter::BASE_FOLDER, QObject::tr( "Folder for relative paths (default: the image layer's folder)" ),
      QgsProcessingParameterFile::Folder, QString(), QVariant(), true ) );
  addParameter( new QgsProcessingParameterBoolean( MuseclParameter::CHECK_READABLE,
                                                   QObject::tr( "Check that every image can be read" ), true ) );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT,
                                                       QObject::tr( "Regions with street-view image counts" ),
                                                       QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink(
      MuseclParameter::OUTPUT_INDEX, QObject::tr( "Street-view image index" ), QgsProcessing::TypeVector ) );
  addOutput(
      new QgsProcessingOutputNumber( MuseclOutput::IMAGES_ASSIGNED, QObject::tr( "Images assigned to regions" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_GEOMETRY,
                                            QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber(
      MuseclOutput::IMAGES_REJECTED, QObject::tr( "Images missing, unreadable, without path or outside regions" ) ) );
}


QVariantMap MuseclStreetViewAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                         QgsProcessingFeedback *feedback )
{
  // Three steps: the regions, the images, the outputs.
  MuseclStepFeedback steps( 3, feedback );
  const MuseclRegionSet regions = museclReadRegions( this, parameters, MuseclParameter::REGIONS,
                                                     MuseclParameter::REGION_ID_FIELD, context, &steps );
  std::unique_ptr<QgsProcessingFeatureSource> images(
      parameterAsSource( parameters, MuseclParameter::IMAGES, context ) );
  if ( !images )
    throw QgsProcessingException( invalidSourceError( parameters, MuseclParameter::IMAGES ) );
  MuseclStreetViewOptions streetView;
  streetView.pathField = parameterAsString( parameters, MuseclParameter::PATH_FIELD, context );
  streetView.baseFolder = parameterAsFile( parameters, MuseclParameter::BASE_FOLDER, context );
  streetView.checkReadable = parameterAsBoolean( parameters, MuseclParameter::CHECK_READABLE, context );
  steps.setCurrentStep( 1 );
  const MuseclStreetViewSummary summary =
      museclCollectStreetView( regions, *images, parameterAsVectorLayer( parameters, MuseclParameter::IMAGES, context ),
                               streetView, context, &steps );
  steps.setCurrentStep( 2 );

  MuseclOutputFields outputFields( regions.fields );
  outputFields.add( "sv_", "images", QVariant::Int );
  const QgsFields &fields = outputFields.fields();
  MuseclAtomicSink output( this, MuseclParameter::OUTPUT, parameters, context, fields, regions.wkbType, regions.crs );
  QgsFields indexFields;
  indexFields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
  indexFields.append( QgsField( QStringLiteral( "image_path" ), QVariant::String ) );
  MuseclAtomicSink index( this, MuseclParameter::OUTPUT_INDEX, parameters, context, indexFields,
                          QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  for ( int i = 0; i < regions.size(); ++i )
  {
    const auto &paths = summary.perRegion[static_cast<std::size_t>( i )];
    output.addFeature(
        outputFields.extended( regions.features.at( i ), QgsAttributes() << static_cast<int>( paths.size() ) ) );
    for ( const QString &path : paths )
    {
      QgsFeature row;
      row.setAttributes( QgsAttributes() << regions.ids.at( i ) << path );
      index.addFeature( row );
    }
  }

  museclReportStreetView( summary, streetView.pathField, regions.size(), feedback );

  output.finish();
  index.finish();
  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT, output.publish() );
  outputs.insert( MuseclParameter::OUTPUT_INDEX, index.publish() );
  outputs.insert( MuseclOutput::IMAGES_ASSIGNED, summary.assigned );
  outputs.insert( MuseclOutput::IMAGES_REJECTED,
                  static_cast<qlonglong>( summary.missing.size() + summary.unreadable.size() + summary.outside.size() +
                                          summary.withoutPath ) );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_GEOMETRY, regions.withoutGeometry );
  return outputs;
}
