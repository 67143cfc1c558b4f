// GoogleTest main for tests that need a real, headless QGIS with the MuseCL provider registered.
#include <gtest/gtest.h>

#include "musecl_headless_qgis.h"

int main( int argc, char **argv )
{
  ::testing::InitGoogleTest( &argc, argv );
  // Test discovery only lists names; it needs no QGIS start-up.
  if ( ::testing::GTEST_FLAG( list_tests ) )
    return RUN_ALL_TESTS();
  const MuseclHeadlessQgis qgis( argc, argv );
  return RUN_ALL_TESTS();
}
