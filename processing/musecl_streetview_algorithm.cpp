// musecl:streetview. Street-view photos are points with a file path; this assigns each readable
// photo to its region and says exactly which photos could not be used and why.
#include "musecl_streetview_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_region_inputs.h"

#include "musecl/chip_extractor.h"
#include "musecl/field_names.h"

#include <qgsexception.h>
#include <qgsproviderregistry.h>
#include <qgsvectorlayer.h>

#include <QDir>
#include <QFileInfo>
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

  QString listSome( const QStringList &items )
  {
    return QStringList( items.mid( 0, 10 ) ).join( QStringLiteral( ", " ) ) + ( items.size() > 10 ? QStringLiteral( ", …" ) : QString() );
  }
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
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "IMAGES_REJECTED" ), QObject::tr( "Images missing, unreadable, without path or outside regions" ) ) );
}

QVariantMap MuseclStreetViewAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  std::unique_ptr<QgsProcessingFeatureSource> images( parameterAsSource( parameters, kImages, context ) );
  if ( !images )
    throw QgsProcessingException( invalidSourceError( parameters, kImages ) );
  const QString imageLayer = images->sourceName();
  if ( images->featureCount() == 0 )
    throw QgsProcessingException( QObject::tr( "Street-view layer “%1” has no features" ).arg( imageLayer ) );
  const QString pathName = parameterAsString( parameters, kPathField, context );
  const int pathIndex = museclRequireField( images->fields(), pathName, imageLayer, kPathField );
  const bool checkReadable = parameterAsBoolean( parameters, kCheckReadable, context );

  QString baseFolder = parameterAsFile( parameters, kBaseFolder, context );
  if ( baseFolder.isEmpty() )
  {
    if ( QgsVectorLayer *layer = parameterAsVectorLayer( parameters, kImages, context ) )
    {
      const QString path = QgsProviderRegistry::instance()->decodeUri( layer->providerType(), layer->source() ).value( QStringLiteral( "path" ) ).toString();
      if ( !path.isEmpty() )
        baseFolder = QFileInfo( path ).absolutePath();
    }
  }
  if ( baseFolder.isEmpty() )
  {
    baseFolder = QDir::currentPath();
    feedback->pushWarning( QObject::tr( "Layer “%1” is not a file, so relative image paths are resolved against the current folder %2; set BASE_FOLDER to choose" ).arg( imageLayer, baseFolder ) );
  }
  const QDir base( baseFolder );

  std::vector<std::vector<QString>> perRegion( static_cast<std::size_t>( regions.size() ) );
  QStringList missing, unreadable, outsideIds;
  long long withoutPath = 0;
  const MuseclLocateStats stats = museclLocateFeatures( *images, QgsFeatureRequest().setSubsetOfAttributes( QgsAttributeList { pathIndex } ), regions,
                                  MuseclLocateVertices::First, context, feedback, QObject::tr( "street-view layer “%1”" ).arg( imageLayer ), 5, 90,
                                  [&]( const QgsFeature & f, std::int64_t region, std::int64_t )
  {
    const QVariant value = f.attribute( pathIndex );
    if ( value.isNull() || value.toString().trimmed().isEmpty() )
    {
      ++withoutPath;
      return;
    }
    const QString path = QDir::cleanPath( base.absoluteFilePath( value.toString().trimmed() ) );
    if ( region < 0 )
    {
      outsideIds << value.toString();
      return;
    }
    if ( !QFileInfo( path ).isFile() )
    {
      missing << path;
      return;
    }
    if ( checkReadable && !musecl::imageIsReadable( path.toStdString() ) )
    {
      unreadable << path;
      return;
    }
    perRegion[static_cast<std::size_t>( region )].push_back( path );
  } );

  long long assigned = 0;
  long long regionsWithImages = 0;
  for ( const auto &paths : perRegion )
  {
    assigned += static_cast<long long>( paths.size() );
    regionsWithImages += paths.empty() ? 0 : 1;
  }
  if ( assigned == 0 )
    throw QgsProcessingException( QObject::tr( "No usable street-view image of layer “%1” lies in a region of “%2”: %3 missing, %4 unreadable, %5 without path, %6 outside every region "
                                  "(layer extent %7 in %8, regions %9 in %10)" )
                                  .arg( imageLayer, regions.layerName ).arg( missing.size() ).arg( unreadable.size() ).arg( withoutPath ).arg( outsideIds.size() )
                                  .arg( images->sourceExtent().toString( 4 ), images->sourceCrs().authid(), regions.extent.toString( 4 ), regions.crs.authid() ) );

  QgsFields fields = regions.fields;
  std::set<std::string> taken;
  for ( const QgsField &f : regions.fields )
    taken.insert( f.name().toLower().toStdString() );
  fields.append( QgsField( QString::fromStdString( musecl::uniqueFieldName( "sv_", "images", taken ) ), QVariant::Int ) );
  MuseclAtomicSink output( this, kOutput, parameters, context, fields, regions.wkbType, regions.crs );
  QgsFields indexFields;
  indexFields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
  indexFields.append( QgsField( QStringLiteral( "image_path" ), QVariant::String ) );
  MuseclAtomicSink index( this, kOutputIndex, parameters, context, indexFields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  for ( int i = 0; i < regions.size(); ++i )
  {
    QgsFeature out = regions.features.at( i );
    out.setFields( fields, false );
    QgsAttributes attrs = regions.features.at( i ).attributes();
    const auto &paths = perRegion[static_cast<std::size_t>( i )];
    attrs << static_cast<int>( paths.size() );
    out.setAttributes( attrs );
    output.addFeature( out );
    for ( const QString &path : paths )
    {
      QgsFeature row;
      row.setAttributes( QgsAttributes() << regions.ids.at( i ) << path );
      index.addFeature( row );
    }
  }

  feedback->pushInfo( QObject::tr( "%1 images assigned to %2 of %3 regions" ).arg( assigned ).arg( regionsWithImages ).arg( regions.size() ) );
  if ( !missing.isEmpty() )
    feedback->pushWarning( QObject::tr( "%1 image files do not exist: %2" ).arg( missing.size() ).arg( listSome( missing ) ) );
  if ( !unreadable.isEmpty() )
    feedback->pushWarning( QObject::tr( "%1 image files cannot be read as images: %2" ).arg( unreadable.size() ).arg( listSome( unreadable ) ) );
  if ( !outsideIds.isEmpty() )
    feedback->pushWarning( QObject::tr( "%1 images lie outside every region: %2" ).arg( outsideIds.size() ).arg( listSome( outsideIds ) ) );
  if ( withoutPath )
    feedback->pushWarning( QObject::tr( "%1 points have no path in field %2" ).arg( withoutPath ).arg( pathName ) );
  if ( stats.withoutGeometry )
    feedback->pushWarning( QObject::tr( "%1 points have no geometry" ).arg( stats.withoutGeometry ) );
  if ( regionsWithImages < regions.size() )
    feedback->pushInfo( QObject::tr( "%1 regions have no street-view image; training falls back to the other modalities for them" ).arg( regions.size() - regionsWithImages ) );

  QVariantMap outputs;
  outputs.insert( kOutput, output.commit() );
  outputs.insert( kOutputIndex, index.commit() );
  outputs.insert( QStringLiteral( "IMAGES_ASSIGNED" ), assigned );
  outputs.insert( QStringLiteral( "IMAGES_REJECTED" ), static_cast<qlonglong>( missing.size() + unreadable.size() + outsideIds.size() + withoutPath ) );
  return outputs;
}
