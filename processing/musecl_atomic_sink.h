// A feature sink that is written completely or not at all.
//
// File destinations are written into a hidden staging folder beside the destination and moved into
// place by commit(); if the algorithm throws (bad input, a failed write, cancellation) the
// destructor deletes the staging folder, so the user's previous file is untouched and no
// half-written layer is left behind. The staged file has the destination's own file name, so
// formats that derive the layer name from it (GeoPackage) get the right name.
// Destinations that are not plain files (memory layers, database URIs, "path|layername=")
// are written directly.
#pragma once

#include <qgsfeaturesink.h>
#include <qgsfields.h>
#include <qgscoordinatereferencesystem.h>
#include <qgswkbtypes.h>

#include <QString>
#include <QVariantMap>
#include <memory>

class QgsProcessingAlgorithm;
class QgsProcessingContext;

class MuseclAtomicSink
{
  public:
    MuseclAtomicSink( const QgsProcessingAlgorithm *algorithm, const QString &parameterName, const QVariantMap &parameters,
                      QgsProcessingContext &context, const QgsFields &fields, QgsWkbTypes::Type geometryType,
                      const QgsCoordinateReferenceSystem &crs );
    ~MuseclAtomicSink();

    MuseclAtomicSink( const MuseclAtomicSink & ) = delete;
    MuseclAtomicSink &operator=( const MuseclAtomicSink & ) = delete;

    QgsFeatureSink *sink() { return mSink.get(); }

    // Adds a feature or throws QgsProcessingException naming the output.
    void addFeature( QgsFeature feature );  // by value: the sink may set its id, callers keep theirs

    // Flushes, closes and moves the output into place; returns the value for the outputs map.
    QString commit();

  private:
    void discardStaging();

    QString mParameterName;
    std::unique_ptr<QgsFeatureSink> mSink;
    QString mDestination;      // what the outputs map reports
    QString mFinalPath;        // empty when writing directly
    QString mStagingDir;
    bool mCommitted = false;
};

// Files written into a hidden staging folder inside `folder` and moved into `folder` by commit();
// the destructor deletes the staging folder unless committed. For algorithms whose output is a set
// of files (image chips, model files) rather than one layer.
class MuseclStagedFiles
{
  public:
    // Creates `folder` if needed; throws QgsProcessingException naming `what` on failure.
    MuseclStagedFiles( const QString &folder, const QString &what );
    ~MuseclStagedFiles();
    MuseclStagedFiles( const MuseclStagedFiles & ) = delete;
    MuseclStagedFiles &operator=( const MuseclStagedFiles & ) = delete;

    QString stagingPath( const QString &fileName ) const;
    QString finalPath( const QString &fileName ) const;
    // Moves every staged file into the folder, replacing files of the same name.
    void commit();

  private:
    QString mFolder;
    QString mStaging;
    QString mWhat;
};
