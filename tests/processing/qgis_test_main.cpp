// GoogleTest main for tests that need a real, headless QGIS: a throw-away profile, the MuseCL
// provider registered exactly as the plugin does it.
#include <gtest/gtest.h>

#include <qgsapplication.h>
#include <qgsprocessingregistry.h>
#include <qgsnativealgorithms.h>

#include "musecl_provider.h"

#include <QTemporaryDir>
#include <cstdlib>

int main( int argc, char **argv )
{
  ::testing::InitGoogleTest( &argc, argv );
  // Test discovery only lists names; it needs no QGIS start-up.
  if ( ::testing::GTEST_FLAG( list_tests ) )
    return RUN_ALL_TESTS();
  // Before QgsApplication: it aborts without a platform plugin even when the GUI is disabled.
  setenv( "QT_QPA_PLATFORM", "offscreen", 1 );
  QTemporaryDir profile;
  setenv( "QGIS_CUSTOM_CONFIG_PATH", profile.path().toUtf8().constData(), 1 );

  QgsApplication app( argc, argv, false );
  QgsApplication::setPrefixPath( QStringLiteral( "/usr" ), true );
  QgsApplication::init();
  QgsApplication::initQgis();
  QgsApplication::processingRegistry()->addProvider( new QgsNativeAlgorithms( QgsApplication::processingRegistry() ) );
  // The plugin's own entry point is exercised by the qgis_process end-to-end tests.
  if ( !QgsApplication::processingRegistry()->addProvider( new MuseclProvider() ) )
    return 2;

  const int result = RUN_ALL_TESTS();
  QgsApplication::exitQgis();
  return result;
}
