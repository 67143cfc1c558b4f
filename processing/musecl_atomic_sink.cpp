#include "musecl_atomic_sink.h"

#include <qgsprocessingalgorithm.h>
#include <qgsprocessingcontext.h>
#include <qgsprocessingparameters.h>
#include <qgsprocessingutils.h>
#include <qgsvectorfilewriter.h>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUuid>

#include <filesystem>
#include <system_error>

namespace
{

  // Staging left behind by a process that was killed (SIGKILL, power loss) has no owner to delete
  // it. Anything of ours in `dir` untouched for a day is such a leftover: a live run writes into
  // its staging all the time and publishes it within its own run.
  void removeStaleStaging( const QDir &dir )
  {
    const QDateTime dayAgo = QDateTime::currentDateTimeUtc().addDays( -1 );
    const QFileInfoList entries =
        dir.entryInfoList( { QStringLiteral( ".musecl-partial-*" ), QStringLiteral( ".*.musecl-partial-*" ) },
                           QDir::Dirs | QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot );
    for ( const QFileInfo &entry : entries )
    {
      if ( entry.lastModified().toUTC() >= dayAgo )
        continue;
      if ( entry.isDir() )
        QDir( entry.absoluteFilePath() ).removeRecursively();
      else
        QFile::remove( entry.absoluteFilePath() );
    }
  }

  // Removes a shapefile together with its sidecars (.dbf, .shx, .prj, .cpg, ...).
  bool removeShapefile( const QString &path )
  {
    return QgsVectorFileWriter::deleteShapeFile( path ) || !QFileInfo::exists( path );
  }
} // namespace

namespace
{
  // The destination as QGIS resolves it (TEMPORARY_OUTPUT becomes a path; empty when a skipped
  // optional output), without registering anything for loading: only the constructor decides
  // that, and only for the final file.
  QString resolvedDestination( const QgsProcessingParameterDefinition *definition, const QVariant &value,
                               QgsProcessingContext &context )
  {
    if ( !value.canConvert<QgsProcessingOutputLayerDefinition>() )
      return QgsProcessingParameters::parameterAsOutputLayer( definition, value, context );
    QgsProcessingOutputLayerDefinition probe = value.value<QgsProcessingOutputLayerDefinition>();
    probe.destinationProject = nullptr;
    return QgsProcessingParameters::parameterAsOutputLayer( definition, QVariant::fromValue( probe ), context );
  }
} // namespace

bool museclIsPlainFileDestination( const QString &destination )
{
  if ( destination.isEmpty() || destination.contains( '|' ) || destination.contains( QStringLiteral( "://" ) ) )
    return false;
  // "memory:", "ogr:dbname=...", "postgres:..." are provider URIs, not paths.
  const int colon = destination.indexOf( ':' );
  if ( colon > 1 )
    return false;
  return !QFileInfo( destination ).suffix().isEmpty();
}

bool MuseclAtomicSink::requested( const QgsProcessingAlgorithm *algorithm, const QString &parameterName,
                                  const QVariantMap &parameters, QgsProcessingContext &context )
{
  return !resolvedDestination( algorithm->parameterDefinition( parameterName ), parameters.value( parameterName ),
                               context )
              .isEmpty();
}

MuseclAtomicSink::MuseclAtomicSink( const QgsProcessingAlgorithm *algorithm, const QString &parameterName,
                                    const QVariantMap &parameters, QgsProcessingContext &context,
                                    const QgsFields &fields, QgsWkbTypes::Type geometryType,
                                    const QgsCoordinateReferenceSystem &crs )
    : mParameterName( parameterName )
{
  const QgsProcessingParameterDefinition *definition = algorithm->parameterDefinition( parameterName );
  QVariant value = parameters.value( parameterName );

  QgsProcessingOutputLayerDefinition original;
  const bool hasDefinition = value.canConvert<QgsProcessingOutputLayerDefinition>();
  if ( hasDefinition )
    original = value.value<QgsProcessingOutputLayerDefinition>();
  const QString destination = resolvedDestination( definition, value, context );

  if ( museclIsPlainFileDestination( destination ) )
  {
    const QFileInfo finalInfo( destination );
    QDir dir = finalInfo.absoluteDir();
    if ( !dir.exists() && !QDir().mkpath( dir.absolutePath() ) )
      throw QgsProcessingException(
          QObject::tr( "Could not create the folder “%1” for output %2" ).arg( dir.absolutePath(), parameterName ) );
    removeStaleStaging( dir );
    mStagingDir = dir.absoluteFilePath(
        QStringLiteral( ".musecl-partial-%1" ).arg( QUuid::createUuid().toString( QUuid::Id128 ) ) );
    if ( !QDir().mkpath( mStagingDir ) )
      throw QgsProcessingException( QObject::tr( "Could not create a staging folder in “%1” for output %2" )
                                        .arg( dir.absolutePath(), parameterName ) );
    mFinalPath = finalInfo.absoluteFilePath();
    mDestination = mFinalPath;

    QgsProcessingOutputLayerDefinition staged( QDir( mStagingDir ).absoluteFilePath( finalInfo.fileName() ) );
    staged.createOptions = original.createOptions;
    value = QVariant::fromValue( staged );

    if ( hasDefinition && original.destinationProject )
    {
      const QString layerName =
          original.destinationName.isEmpty() ? definition->description() : original.destinationName;
      context.addLayerToLoadOnCompletion(
          mFinalPath, QgsProcessingContext::LayerDetails( layerName, original.destinationProject, parameterName,
                                                          QgsProcessingUtils::LayerHint::Vector ) );
    }
  }

  QString stagedDestination;
  mSink.reset( QgsProcessingParameters::parameterAsSink( definition, value, fields, geometryType, crs, context,
                                                         stagedDestination ) );
  if ( !mSink )
  {
    discardStaging();
    throw QgsProcessingException(
        QObject::tr( "Could not create output %1 at “%2”" ).arg( parameterName, destination ) );
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
    throw QgsProcessingException(
        QObject::tr( "Could not write feature into output %1%2" )
            .arg( mParameterName, error.isEmpty() ? QString() : QStringLiteral( ": " ) + error ) );
  }
}

QString MuseclAtomicSink::commit()
{
  finish();
  return publish();
}

void MuseclAtomicSink::finish()
{
  if ( !mSink )
    return;
  if ( !mSink->flushBuffer() )
    throw QgsProcessingException(
        QObject::tr( "Could not write output %1: %2" ).arg( mParameterName, mSink->lastError() ) );
  mSink.reset(); // closes the file
}

QString MuseclAtomicSink::publish()
{
  finish();
  if ( !mFinalPath.isEmpty() )
  {
    const QFileInfo finalInfo( mFinalPath );
    // A shapefile is several files: a stale .cpg or .qix of the old one must not survive beside
    // the new one, and a set of files cannot be renamed in one step anyway.
    if ( finalInfo.suffix().compare( QLatin1String( "shp" ), Qt::CaseInsensitive ) == 0 && finalInfo.exists() &&
         !removeShapefile( mFinalPath ) )
      throw QgsProcessingException(
          QObject::tr( "Could not replace the existing file “%1” (output %2)" ).arg( mFinalPath, mParameterName ) );
    // Every file the format wrote (e.g. .shp/.dbf/.shx/.prj) moves over its namesake.
    const QDir staging( mStagingDir );
    for ( const QFileInfo &file : staging.entryInfoList( QDir::Files | QDir::Hidden ) )
      museclReplaceFile( file.absoluteFilePath(), finalInfo.absoluteDir().absoluteFilePath( file.fileName() ),
                         QObject::tr( "output %1" ).arg( mParameterName ) );
    discardStaging();
  }
  mCommitted = true;
  return mDestination;
}

void museclReplaceFile( const QString &from, const QString &to, const QString &what )
{
  for ( const QString &suffix : { QStringLiteral( "-wal" ), QStringLiteral( "-shm" ), QStringLiteral( "-journal" ) } )
    QFile::remove( to + suffix );
  std::error_code error;
  std::filesystem::rename( std::filesystem::path( from.toStdString() ), std::filesystem::path( to.toStdString() ),
                           error );
  if ( error )
    throw QgsProcessingException( QObject::tr( "Could not move the finished %1 to “%2”: %3" )
                                      .arg( what, to, QString::fromStdString( error.message() ) ) );
}

MuseclStagedFile::MuseclStagedFile( const QString &destination, const QString &what )
    : mDestination( QFileInfo( destination ).absoluteFilePath() ), mWhat( what )
{
  const QFileInfo info( mDestination );
  if ( !QDir().mkpath( info.absolutePath() ) )
    throw QgsProcessingException(
        QObject::tr( "Could not create the folder “%1” for %2" ).arg( info.absolutePath(), what ) );
  // Hidden and in the same folder: the final rename stays on one file system.
  removeStaleStaging( info.absoluteDir() );
  mStaging = info.absoluteDir().absoluteFilePath(
      QStringLiteral( ".%1.musecl-partial-%2" ).arg( info.fileName(), QUuid::createUuid().toString( QUuid::Id128 ) ) );
}

MuseclStagedFile::~MuseclStagedFile()
{
  if ( !mPublished )
    QFile::remove( mStaging );
}

QString MuseclStagedFile::publish()
{
  if ( !QFileInfo::exists( mStaging ) )
    throw QgsProcessingException( QObject::tr( "The %1 was not written (nothing at “%2”)" ).arg( mWhat, mStaging ) );
  museclReplaceFile( mStaging, mDestination, mWhat );
  mPublished = true;
  return mDestination;
}

void MuseclAtomicSink::discardStaging()
{
  if ( !mStagingDir.isEmpty() )
    QDir( mStagingDir ).removeRecursively();
  mStagingDir.clear();
}

MuseclStagedFiles::MuseclStagedFiles( const QString &folder, const QString &what )
    : mFolder( QDir( folder ).absolutePath() ), mWhat( what )
{
  if ( !QDir().mkpath( mFolder ) )
    throw QgsProcessingException( QObject::tr( "Could not create the folder “%1” for %2" ).arg( mFolder, what ) );
  removeStaleStaging( QDir( mFolder ) );
  mStaging = QDir( mFolder ).absoluteFilePath(
      QStringLiteral( ".musecl-partial-%1" ).arg( QUuid::createUuid().toString( QUuid::Id128 ) ) );
  if ( !QDir().mkpath( mStaging ) )
    throw QgsProcessingException(
        QObject::tr( "Could not create a staging folder in “%1” for %2" ).arg( mFolder, what ) );
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
    museclReplaceFile( file.absoluteFilePath(), finalPath( file.fileName() ), mWhat );
  }
  staging.removeRecursively();
  mStaging.clear();
}
