// Reading the inputs every MuseCL algorithm shares: a region layer with unique ids, and point
// locations (POIs, flow ends, photos) assigned to regions in bulk. Used by the feature algorithms
// and by training, so all of them interpret layers identically.
#pragma once

#include "musecl/geo/region_locator.h"

#include <qgscoordinatereferencesystem.h>
#include <qgsfeature.h>
#include <qgsfeaturerequest.h>
#include <qgsfields.h>
#include <qgsprocessingcontext.h>
#include <qgsprocessingfeedback.h>
#include <qgsprocessingutils.h>
#include <qgsrectangle.h>

#include <QSet>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <vector>

class QgsProcessingAlgorithm;
class QgsProcessingFeatureSource;
class QgsProcessingException;

struct MuseclRegionSet
{
    QString layerName;
    QgsCoordinateReferenceSystem crs;
    QgsFields fields;
    QgsWkbTypes::Type wkbType = QgsWkbTypes::Unknown;
    QVector<QgsFeature> features; // input order, attributes kept
    QStringList ids;              // unique, one per feature
    QString idField;              // empty when ids are feature ids
    QgsRectangle extent;
    std::unique_ptr<musecl::RegionLocator> locator;
    long long withoutGeometry = 0; // features skipped for having no polygon geometry (warned, and an output)
    // A block of a larger layer (musecl:embed streaming it): point and line inputs are read only
    // within the block's extent (museclLocateFeatures), so the layer's blocks read each input about
    // once; and an input with nothing in this block is not an error (another block may have it; the
    // caller checks the whole layer).
    bool partOfLayer = false;

    int size() const { return features.size(); }
    // Rings of region i, optionally transformed (e.g. into a raster's CRS).
    musecl::RegionRings rings( int i, const QgsCoordinateTransform *transform = nullptr ) const;
};

// Every ring of a (multi)polygon, curves segmentised, for the core's even-odd geometry code.
musecl::RegionRings museclRingsOf( const QgsGeometry &geometry );

// Reads the polygon layer of parameter `regionsParam`. The id comes from field `idFieldParam`
// when set, else a field named region_id, else the feature id. Progress 0-100 on `feedback` (every
// 4096 regions). Throws QgsProcessingException for an empty layer, a missing id field, duplicate or
// null ids, and cancellation.
MuseclRegionSet museclReadRegions( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                   const QString &regionsParam, const QString &idFieldParam,
                                   QgsProcessingContext &context, QgsProcessingFeedback *feedback );

// The region layer read block by block, for runs whose memory must not grow with the layer
// (musecl:embed). Ids are checked unique across all blocks (only the ids are kept).
class MuseclRegionReader
{
  public:
    // Opens the layer of `regionsParam`; QgsProcessingException as museclReadRegions.
    MuseclRegionReader( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                        const QString &regionsParam, const QString &idFieldParam, QgsProcessingContext &context );
    // The next at most `maxRegions` polygon features (with their locator) into `block`; false when
    // none is left. When the block is the whole layer, reports the share read (0-100, every 4096
    // regions) on `feedback`. Cancellation and bad ids throw QgsProcessingException.
    bool next( MuseclRegionSet &block, long long maxRegions, QgsProcessingFeedback *feedback );
    // After the last block: ids repeated in different blocks are refused, naming one. Within a
    // block next() checks exactly; across blocks only a 64-bit hash per id is kept (8 bytes per
    // region), and a repeated hash is confirmed by reading the ids again before anything is said.
    void checkIdsUniqueAcrossBlocks( QgsProcessingFeedback *feedback );
    long long featureCount() const { return mTotal; }
    long long regionsRead() const { return mRead; }
    long long withoutGeometry() const { return mWithoutGeometry; }
    const QString &layerName() const { return mLayerName; }
    const QString &idField() const { return mIdField; }

  private:
    std::unique_ptr<QgsProcessingFeatureSource> mSource;
    QString mLayerName, mIdField;
    int mIdIndex = -1;
    QgsFeatureIterator mIterator;
    QString idOf( const QgsFeature &f ) const;
    QgsProcessingException duplicateId( const QString &id ) const;
    std::vector<quint64> mIdHashes;
    int mBlocks = 0;
    long long mTotal = 0, mRead = 0, mWithoutGeometry = 0;
};

// Which vertices of a feature to locate: a point's own position, or a flow line's two ends.
enum class MuseclLocateVertices
{
  First,
  FirstAndLast,
};

struct MuseclLocateStats
{
    long long features = 0;
    long long withoutGeometry = 0;
    long long transformFailed = 0;
};

// What museclLocateFeatures reads and locates.
struct MuseclLocateOptions
{
    // The attributes to read; a block of a larger layer adds its extent.
    QgsFeatureRequest request;
    MuseclLocateVertices vertices = MuseclLocateVertices::First;
    // The layer as the cancel message names it, e.g. POI layer “pois”.
    QString what;
};

// Streams `source` in chunks, transforms the chosen vertices into the regions' CRS in one PROJ call
// per chunk, and calls visit(feature, regionOfFirst, regionOfLast) with -1 for "in no region"
// (regionOfLast == regionOfFirst for MuseclLocateVertices::First). Features without geometry are
// counted and skipped. Progress 0-100 on `feedback`; throws QgsProcessingException on cancel,
// naming `options.what`.
MuseclLocateStats
museclLocateFeatures( QgsProcessingFeatureSource &source, const MuseclLocateOptions &options,
                      const MuseclRegionSet &regions, QgsProcessingContext &context, QgsProcessingFeedback *feedback,
                      const std::function<void( const QgsFeature &, std::int64_t, std::int64_t )> &visit );

// A field of `fields` by name, or a QgsProcessingException naming the layer and the fields it has.
int museclRequireField( const QgsFields &fields, const QString &name, const QString &layerName,
                        const QString &parameterName );

// Opens every vector input of `algorithm` that `parameters` give as a path or URI, now, into the
// context's temporary layer store, where the algorithm's own parameterAsSource calls find it.
// Called from prepareAlgorithm, which the desktop runs on the main thread: QGIS 3.22's OGR provider
// can deadlock when two worker threads open one GeoPackage at once (two runs on the same file
// from the task manager), so worker threads are kept off the provider's open path. Inputs that
// are already layers, and empty optional inputs, are left alone.
void museclOpenVectorInputs( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                             QgsProcessingContext &context );

// The raster given as `parameterName`, or a QgsProcessingException that says which problem it is:
// the file does not exist, or it exists and GDAL cannot read it (with GDAL's own reason), or the
// value is not a raster at all. QGIS's generic message says "not found" in every case.
class QgsRasterLayer;
// Why the raster value of `parameterName` cannot be loaded ("does not exist", or GDAL's reason for
// an existing file); empty when the parameter is not set or not a file path.
QString museclRasterProblem( const QVariantMap &parameters, const QString &parameterName );
// For checkParameterValues overrides: QGIS's check, with its "not found" for a raster replaced by
// museclRasterProblem's explanation.
bool museclCheckParameters( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                            QgsProcessingContext &context, QString *message );
QgsRasterLayer *museclRasterInput( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                   const QString &parameterName, QgsProcessingContext &context );
