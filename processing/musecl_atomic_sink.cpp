#include "musecl_atomic_sink.h"

#include <qgsprocessingalgorithm.h>
#include <qgsprocessingcontext.h>
#include <qgsprocessingparameters.h>
#include <qgsprocessingutils.h>
#include <qgsvectorfilewriter.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUuid>

namespace
{
  bool isPlainFileDestination( const QString &destination )
  {
    if ( destination.isEmpty() || destination.contains( '|' ) || destination.contains( QStringLiteral( "://" ) ) )
      return false;
    // "memory:", "ogr:dbname=...", "postgres:..." are provider URIs, not paths.
    const int colon = destination.indexOf( ':' );
    if ( colon > 1 )
      return false;
    return !QFileInfo( destination ).suffix().isEmpty();
  }

  // Removes a file together with its format sidecars (a shapefile is several files).
  bool removeDataset( const QString &path )
  {
    const QFileInfo info( path );
    if ( info.suffix().compare( QLatin1String( "shp" ), Qt::CaseInsensitive ) == 0 )
      return QgsVectorFileWriter::deleteShapeFile( path ) || !info.exists();
    for ( const QString &suffix : { QString(), QStringLiteral( "-wal" ), QStringLiteral( "-shm" ), QStringLiteral( "-journal" ) } )
      QFile::remove( path + suffix );
    return !QFileInfo::exists( path );
  }
}

MuseclAtomicSink::MuseclAtomicSink( const QgsProcessingAlgorithm *algorithm, const QString &parameterName, const QVariantMap &parameters,
                                    QgsProcessingContext &context, const QgsFields &fields, QgsWkbTypes::Type geometryType,
                                    const QgsCoordinateReferenceSystem &crs )
  : mParameterName( parameterName )
{
  const QgsProcessingParameterDefinition *definition = algorithm->parameterDefinition( parameterName );
  QVariant value = parameters.value( parameterName );

  // Resolve the destination (TEMPORARY_OUTPUT becomes a path) without registering anything for
  // loading yet: only the final file may ever be loaded into a project.
  QgsProcessingOutputLayerDefinition original;
  const bool hasDefinition = value.canConvert<QgsProcessingOutputLayerDefinition>();
  if ( hasDefinition )
    original = value.value<QgsProcessingOutputLayerDefinition>();
  QgsProcessingOutputLayerDefinition probe = original;
  probe.destinationProject = nullptr;
  const QString destination = QgsProcessingParameters::parameterAsOutputLayer( definition, hasDefinition ? QVariant::fromValue( probe ) : value, context );

  if ( isPlainFileDestination( destination ) )
  {
    const QFileInfo finalInfo( destination );
    QDir dir = finalInfo.absoluteDir();
    if ( !dir.exists() && !QDir().mkpath( dir.absolutePath() ) )
      throw QgsProcessingException( QObject::tr( "Could not create the folder “%1” for output %2" ).arg( dir.absolutePath(), parameterName ) );
    mStagingDir = dir.absoluteFilePath( QStringLiteral( ".musecl-partial-%1" ).arg( QUuid::createUuid().toString( QUuid::Id128 ) ) );
    if ( !QDir().mkpath( mStagingDir ) )
      throw QgsProcessingException( QObject::tr( "Could not create a staging folder in “%1” for output %2" ).arg( dir.absolutePath(), parameterName ) );
    mFinalPath = finalInfo.absoluteFilePath();
    mDestination = mFinalPath;

    QgsProcessingOutputLayerDefinition staged( QDir( mStagingDir ).absoluteFilePath( finalInfo.fileName() ) );
    staged.createOptions = original.createOptions;
    value = QVariant::fromValue( staged );

    if ( hasDefinition && original.destinationProject )
    {
      const QString layerName = original.destinationName.isEmpty() ? definition->description() : original.destinationName;
      context.addLayerToLoadOnCompletion( mFinalPath, QgsProcessingContext::LayerDetails( layerName, original.destinationProject, parameterName,
                                          QgsProcessingUtils::LayerHint::Vector ) );
    }
  }

  QString stagedDestination;
  mSink.reset( QgsProcessingParameters::parameterAsSink( definition, value, fields, geometryType, crs, context, stagedDestination ) );
  if ( !mSink )
  {
    discardStaging();
    throw QgsProcessingException( QObject::tr( "Could not create output %1 at “%2”" ).arg( parameterName, destination ) );
  }
  if ( mFinalPath.isEmpty() )
    mDestination = stagedDestination;
}

MuseclAtomicSink::~MuseclAtomicSink()
{
  if ( !mCommitted )
  {
    mSink.reset();
    discardStaging();
  }
}

void MuseclAtomicSink::addFeature( QgsFeature feature )
{
  if ( !mSink->addFeature( feature, QgsFeatureSink::FastInsert ) )
  {
    const QString error = mSink->lastError();
    throw QgsProcessingException( QObject::tr( "Could not write feature into output %1%2" )
                                  .arg( mParameterName, error.isEmpty() ? QString() : QStringLiteral( ": " ) + error ) );
  }
}

QString MuseclAtomicSink::commit()
{
  if ( !mSink->flushBuffer() )
    throw QgsProcessingException( QObject::tr( "Could not write output %1: %2" ).arg( mParameterName, mSink->lastError() ) );
  mSink.reset();  // closes the file
  if ( !mFinalPath.isEmpty() )
  {
    const QFileInfo finalInfo( mFinalPath );
    if ( finalInfo.exists() && !removeDataset( mFinalPath ) )
      throw QgsProcessingException( QObject::tr( "Could not replace the existing file “%1” (output %2)" ).arg( mFinalPath, mParameterName ) );
    // Move every file the format wrote (e.g. .shp/.dbf/.shx/.prj), keeping their names.
    const QDir staging( mStagingDir );
    for ( const QFileInfo &file : staging.entryInfoList( QDir::Files | QDir::Hidden ) )
    {
      const QString target = finalInfo.absoluteDir().absoluteFilePath( file.fileName() );
      if ( QFileInfo::exists( target ) )
        QFile::remove( target );
      if ( !QFile::rename( file.absoluteFilePath(), target ) )
        throw QgsProcessingException( QObject::tr( "Could not move the finished output %1 to “%2”" ).arg( mParameterName, target ) );
    }
    discardStaging();
  }
  mCommitted = true;
  return mDestination;
}

void MuseclAtomicSink::discardStaging()
{
  if ( !mStagingDir.isEmpty() )
    QDir( mStagingDir ).removeRecursively();
  mStagingDir.clear();
}

MuseclStagedFiles::MuseclStagedFiles( const QString &folder, const QString &what )
  : mFolder( QDir( folder ).absolutePath() )
  , mWhat( what )
{
  if ( !QDir().mkpath( mFolder ) )
    throw QgsProcessingException( QObject::tr( "Could not create the folder “%1” for %2" ).arg( mFolder, what ) );
  mStaging = QDir( mFolder ).absoluteFilePath( QStringLiteral( ".musecl-partial-%1" ).arg( QUuid::createUuid().toString( QUuid::Id128 ) ) );
  if ( !QDir().mkpath( mStaging ) )
    throw QgsProcessingException( QObject::tr( "Could not create a staging folder in “%1” for %2" ).arg( mFolder, what ) );
}

MuseclStagedFiles::~MuseclStagedFiles()
{
  if ( !mStaging.isEmpty() )
    QDir( mStaging ).removeRecursively();
}

QString MuseclStagedFiles::stagingPath( const QString &fileName ) const
{
  return QDir( mStaging ).absoluteFilePath( fileName );
}

QString MuseclStagedFiles::finalPath( const QString &fileName ) const
{
  return QDir( mFolder ).absoluteFilePath( fileName );
}

void MuseclStagedFiles::commit()
{
  QDir staging( mStaging );
  for ( const QFileInfo &file : staging.entryInfoList( QDir::Files | QDir::Hidden ) )
  {
    const QString target = finalPath( file.fileName() );
    if ( QFileInfo::exists( target ) && !QFile::remove( target ) )
      throw QgsProcessingException( QObject::tr( "Could not replace “%1” (%2)" ).arg( target, mWhat ) );
    if ( !QFile::rename( file.absoluteFilePath(), target ) )
      throw QgsProcessingException( QObject::tr( "Could not move the finished %1 to “%2”" ).arg( mWhat, target ) );
  }
  staging.removeRecursively();
  mStaging.clear();
}
