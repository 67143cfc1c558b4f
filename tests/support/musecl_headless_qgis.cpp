#include "musecl_headless_qgis.h"

#include "musecl_provider.h"

#include <qgsapplication.h>
#include <qgsnativealgorithms.h>
#include <qgsprocessingregistry.h>

#include <cstdlib>

MuseclHeadlessQgis::MuseclHeadlessQgis( int &argc, char **argv )
{
  // Before QgsApplication: it aborts without a platform plugin even when the GUI is disabled.
  setenv( "QT_QPA_PLATFORM", "offscreen", 1 );
  setenv( "QGIS_CUSTOM_CONFIG_PATH", mProfile.path().toUtf8().constData(), 1 );
  mApp = std::make_unique<QgsApplication>( argc, argv, false );
  QgsApplication::setPrefixPath( QStringLiteral( "/usr" ), true );
  QgsApplication::init();
  QgsApplication::initQgis();
  QgsApplication::processingRegistry()->addProvider( new QgsNativeAlgorithms( QgsApplication::processingRegistry() ) );
  // Registered directly: the plugin's own entry point is exercised by the qgis_process tests.
  QgsApplication::processingRegistry()->addProvider( new MuseclProvider() );
}

MuseclHeadlessQgis::~MuseclHeadlessQgis() { QgsApplication::exitQgis(); }
