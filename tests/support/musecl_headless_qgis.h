// A headless QGIS for programs that are not QGIS (the test suites, the benchmarks): offscreen Qt,
// a throw-away profile, QGIS's native algorithms and the MuseCL provider registered.
#pragma once

#include <QTemporaryDir>
#include <memory>

class QgsApplication;

class MuseclHeadlessQgis
{
  public:
    MuseclHeadlessQgis( int &argc, char **argv );
    ~MuseclHeadlessQgis();
    MuseclHeadlessQgis( const MuseclHeadlessQgis & ) = delete;
    MuseclHeadlessQgis &operator=( const MuseclHeadlessQgis & ) = delete;

  private:
    QTemporaryDir mProfile;
    std::unique_ptr<QgsApplication> mApp;
};
