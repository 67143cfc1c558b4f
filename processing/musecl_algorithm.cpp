#include "musecl_algorithm.h"

#include "musecl_provider.h"
#include "musecl_region_inputs.h"

#include <QFile>
#include <QIcon>

QString MuseclAlgorithm::name() const { return QString::fromLatin1( mInfo.name ); }
QString MuseclAlgorithm::displayName() const { return QObject::tr( mInfo.displayName ); }
QStringList MuseclAlgorithm::tags() const { return QObject::tr( mInfo.tags ).split( ',' ); }
QString MuseclAlgorithm::group() const { return QObject::tr( mInfo.group ); }
QString MuseclAlgorithm::groupId() const { return QString::fromLatin1( mInfo.groupId ); }
QIcon MuseclAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclAlgorithm::svgIconPath() const { return QString::fromLatin1( mInfo.svgIcon ); }
QString MuseclAlgorithm::shortHelpString() const
{
  QFile file( QStringLiteral( ":/musecl/help/%1.html" ).arg( name() ) );
  if ( !file.open( QIODevice::ReadOnly ) )
    return QString();
  QByteArray text = file.readAll();
  text.chop( 1 ); // the file's final newline
  return QObject::tr( text.constData() );
}
QString MuseclAlgorithm::shortDescription() const
{
  return mInfo.shortDescription ? QObject::tr( mInfo.shortDescription ) : QString();
}
QString MuseclAlgorithm::helpUrl() const { return MuseclProvider::helpUrl( name() ); }

QgsProcessingAlgorithm::Flags MuseclAlgorithm::flags() const { return FlagSupportsBatch | FlagCanCancel; }

bool MuseclAlgorithm::checkParameterValues( const QVariantMap &parameters, QgsProcessingContext &context,
                                            QString *message ) const
{
  return museclCheckParameters( this, parameters, context, message );
}

bool MuseclAlgorithm::prepareAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                        QgsProcessingFeedback * )
{
  museclOpenVectorInputs( this, parameters, context );
  return true;
}
