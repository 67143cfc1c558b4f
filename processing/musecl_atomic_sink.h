// A feature sink that is written completely or not at all.
//
// File destinations are written into a hidden staging folder beside the destination and moved into
// place by commit(); if the algorithm throws (bad input, a failed write, cancellation) the
// destructor deletes the staging folder, so the user's previous file is untouched and no
// half-written layer is left behind. The staged file has the destination's own file name, so
// formats that derive the layer name from it (GeoPackage) get the right name.
// Destinations that are not plain files (memory layers, database URIs, "path|layername=")
// are written directly. Staging that a killed process left in the folder more than a day ago is
// removed when a new one is created there.
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
    // Whether an optional sink output was asked for. A dialog passes a QgsProcessingOutputLayerDefinition
    // (never a plain string) for an output that is set, and nothing for a skipped one; qgis_process
    // passes a string. Both are resolved as QGIS resolves them, so an output set in the dialog is written.
    static bool requested( const QgsProcessingAlgorithm *algorithm, const QString &parameterName,
                           const QVariantMap &parameters, QgsProcessingContext &context );

    MuseclAtomicSink( const QgsProcessingAlgorithm *algorithm, const QString &parameterName,
                      const QVariantMap &parameters, QgsProcessingContext &context, const QgsFields &fields,
                      QgsWkbTypes::Type geometryType, const QgsCoordinateReferenceSystem &crs );
    ~MuseclAtomicSink();

    MuseclAtomicSink( const MuseclAtomicSink & ) = delete;
    MuseclAtomicSink &operator=( const MuseclAtomicSink & ) = delete;

    QgsFeatureSink *sink() { return mSink.get(); }

    // Adds a feature or throws QgsProcessingException naming the output.
    void addFeature( QgsFeature feature ); // by value: the sink may set its id, callers keep theirs

    // Flushes, closes and moves the output into place; returns the value for the outputs map.
    // Same as finish() then publish().
    QString commit();

    // The two halves of commit(), for algorithms with several outputs: finish() every output (the
    // part that can fail on bad data or a full disk), then publish() them all (renames only), so
    // that one failing output leaves every earlier file untouched.
    void finish();
    QString publish();

  private:
    void discardStaging();

    QString mParameterName;
    std::unique_ptr<QgsFeatureSink> mSink;
    QString mDestination; // what the outputs map reports
    QString mFinalPath;   // empty when writing directly
    QString mStagingDir;
    bool mCommitted = false;
};

// Whether `destination` is a plain file path (not a memory layer, a database URI or
// "path|layername="): the outputs that are staged, and that can have a .qml beside them.
bool museclIsPlainFileDestination( const QString &destination );

// Moves `from` over `to` in one rename (std::filesystem::rename: rename(2) on POSIX, which replaces
// the target atomically, MoveFileEx with REPLACE_EXISTING on Windows), so `to` is at every moment
// either the old complete file or the new one, even if the process is killed. SQLite sidecars of
// the old file (-wal, -shm, -journal) are removed first: left beside the new file they would be
// replayed into it. Throws QgsProcessingException naming `what` and both paths.
void museclReplaceFile( const QString &from, const QString &to, const QString &what );

// One file (a model, a report) written under a hidden staging name beside its destination and moved
// over it by publish(); the destructor deletes the staged file unless published.
class MuseclStagedFile
{
  public:
    // Creates the destination's folder if needed; throws QgsProcessingException naming `what`.
    MuseclStagedFile( const QString &destination, const QString &what );
    ~MuseclStagedFile();
    MuseclStagedFile( const MuseclStagedFile & ) = delete;
    MuseclStagedFile &operator=( const MuseclStagedFile & ) = delete;

    QString stagingPath() const { return mStaging; }
    QString destination() const { return mDestination; }
    // Throws unless the staged file exists; returns the destination.
    QString publish();

  private:
    QString mDestination;
    QString mStaging;
    QString mWhat;
    bool mPublished = false;
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
