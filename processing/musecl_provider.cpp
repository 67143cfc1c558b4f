#include "musecl_provider.h"

#include "musecl_hexgrid_algorithm.h"
#include "musecl_imagechips_algorithm.h"
#include "musecl_imagefeatures_algorithm.h"
#include "musecl_mobilityfeatures_algorithm.h"
#include "musecl_poifeatures_algorithm.h"
#include "musecl_streetview_algorithm.h"
#include "musecl_embed_algorithm.h"
#include "musecl_train_algorithm.h"
#include "musecl_predict_algorithm.h"
#include "musecl_cluster_algorithm.h"

#include "musecl/learn/train/torch_runtime.h"
#include "musecl/version.h"

#include <QFileInfo>
#include <QIcon>
#include <QUrl>

#include <dlfcn.h>

MuseclProvider::MuseclProvider( QObject *parent ) : QgsProcessingProvider( parent )
{
  // Resources of a static library are not registered automatically.
  Q_INIT_RESOURCE( icons );
  Q_INIT_RESOURCE( help );
}

QString MuseclProvider::id() const { return QStringLiteral( "musecl" ); }

QString MuseclProvider::name() const { return QStringLiteral( "MuseCL" ); }

QString MuseclProvider::longName() const
{
  return QStringLiteral( "MuseCL region embeddings (%1)" ).arg( runtimeDescription() );
}

QString MuseclProvider::versionInfo() const { return QStringLiteral( MUSECL_VERSION ); }

QString MuseclProvider::runtimeDescription()
{
  // No thread count: each run chooses its own (THREADS, or the cores free when it starts).
  return QStringLiteral( "MuseCL %1, %2" )
      .arg( QStringLiteral( MUSECL_VERSION ),
            QString::fromStdString( musecl::describeTorchRuntime( musecl::torchRuntimeInfo(), false ) ) );
}

QString MuseclProvider::helpUrl( const QString &page )
{
  // The folder of the library this code is in: the installed plugin folder (or the build's stage),
  // whose help/ holds one page per algorithm.
  Dl_info info{};
  if ( !dladdr( reinterpret_cast<void *>( &MuseclProvider::helpUrl ), &info ) || !info.dli_fname )
    return QString();
  const QString file = QFileInfo( QString::fromLocal8Bit( info.dli_fname ) )
                           .absoluteDir()
                           .absoluteFilePath( QStringLiteral( "help/%1.html" ).arg( page ) );
  return QFileInfo::exists( file ) ? QUrl::fromLocalFile( file ).toString() : QString();
}

QIcon MuseclProvider::icon() const { return QIcon( svgIconPath() ); }

QString MuseclProvider::svgIconPath() const { return QStringLiteral( ":/musecl/icons/musecl.svg" ); }

bool MuseclProvider::supportsNonFileBasedOutput() const { return true; }

void MuseclProvider::loadAlgorithms()
{
  addAlgorithm( new MuseclHexGridAlgorithm() );
  addAlgorithm( new MuseclPoiFeaturesAlgorithm() );
  addAlgorithm( new MuseclMobilityFeaturesAlgorithm() );
  addAlgorithm( new MuseclImageChipsAlgorithm() );
  addAlgorithm( new MuseclImageFeaturesAlgorithm() );
  addAlgorithm( new MuseclStreetViewAlgorithm() );
  addAlgorithm( new MuseclTrainAlgorithm() );
  addAlgorithm( new MuseclEmbedAlgorithm() );
  addAlgorithm( new MuseclPredictAlgorithm() );
  addAlgorithm( new MuseclClusterAlgorithm() );
}
