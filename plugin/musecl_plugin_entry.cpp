// The native library's only exported symbols: the plugin's Python loader calls these through
// ctypes (qgis_process starts only Python-format plugins), the desktop calls them from initGui.
#include "musecl_provider.h"

#include <qgsapplication.h>
#include <qgsmessagelog.h>
#include <qgsprocessingregistry.h>

#include <QPointer>

namespace
{
  // The registry owns the provider; QPointer notices if anyone else deletes it.
  QPointer<MuseclProvider> gProvider;
} // namespace

extern "C" __attribute__( ( visibility( "default" ) ) ) int musecl_register_provider()
{
  QgsProcessingRegistry *registry = QgsApplication::processingRegistry();
  if ( !registry )
    return 1;
  // Both initProcessing and initGui may fire in one process; registering twice would make the
  // registry delete the second provider object, so the second call is a no-op.
  if ( registry->providerById( QStringLiteral( "musecl" ) ) )
    return 0;
  auto *provider = new MuseclProvider();
  if ( !registry->addProvider( provider ) )
    return 2; // the registry has already deleted `provider`
  gProvider = provider;
  QgsMessageLog::logMessage( MuseclProvider::runtimeDescription(), QStringLiteral( "MuseCL" ),
                             Qgis::MessageLevel::Info );
  return 0;
}

extern "C" __attribute__( ( visibility( "default" ) ) ) void musecl_unregister_provider()
{
  QgsProcessingRegistry *registry = QgsApplication::processingRegistry();
  if ( registry && gProvider )
    registry->removeProvider( gProvider.data() );
  gProvider = nullptr;
}
