// The modality inputs shared by musecl:train and musecl:embed (a raster, street-view points, POIs,
// flows; each optional) and their conversion into the learning core's RegionTable.
#pragma once

#include "musecl_region_inputs.h"

#include "musecl/learn/scene_features.h"
#include "musecl/region_table.h"

#include <QList>
#include "musecl_atomic_sink.h"

#include <QTemporaryDir>
#include <array>
#include <functional>
#include <memory>
#include <optional>

class QgsProcessingParameterDefinition;
class MuseclOutputFields;

// Parameter definitions both algorithms declare (keys: RASTER, CHIP_SIZE, STREETVIEW,
// SV_PATH_FIELD, POIS, CATEGORY_FIELD, TEXT_FIELDS, FLOWS, FLOW_TYPE, WEIGHT_FIELD, ROLE_FIELD).
QList<QgsProcessingParameterDefinition *> museclModalityParameters( bool withChipSize );

// How the remote-sensing raster becomes views: chips for the chip-triplet view, a feature raster
// for the scene-feature view, or both.
struct MuseclChipPlan
{
    bool chips = true;          // one chip per region (the remote-sensing view)
    bool sceneFeatures = false; // zonal statistics of the scene encoder's feature raster
    // The scene encoders: given (SCENE_ENCODER; in musecl:embed the model's first training's, then
    // those of its further trainings that have their own), else learned from the raster on first
    // use with `sceneOptions`, `sceneEncoderCount` of them (one per training of an ensemble, each
    // from its training's seed, musecl::trainingRunSeed). The first makes RegionTable::sceneFeatures,
    // the others RegionTable::furtherSceneFeatures.
    std::vector<musecl::SceneEncoder> sceneEncoders;
    int sceneEncoderCount = 1;
    musecl::SceneFeatureOptions sceneOptions;
    int sceneStride = 4;                                        // scene pixels per feature pixel
    musecl::SceneScale sceneScale = musecl::SceneScale::Region; // where each region's feature pixels are taken
    double sceneContextMetres = 0;  // the surroundings' buffer distance (sceneScale != Region)
    QStringList featureRasters;     // one per encoder, made once (temporary files), then summarised for every block
    int size = 0;                   // 0: automatic; on return, the size the chips were cut at
    double windowMetres = 0;        // > 0: a fixed ground window per chip; 0: each region's bounding box
    bool measureRadiometry = false; // measure bands `rsBands` into the table's chipRadiometry
    QString rsBands;                // "4,3,2"; empty: the raster's RGB bands, else the first three
    bool allBands = false;          // every band of `rsBands` (empty: of the raster) as its own encoder channel
};

// Fills ids, centroids (metric), and every modality whose layer is given; chips go to `chipFolder`.
// Logs which modalities were given. Progress 0-100 on `feedback`, one equal step per modality (a
// MuseclStepFeedback: give a stage feedback such as a MuseclRangeFeedback rather than the run's
// own, which the desktop cancels from the main thread). Throws QgsProcessingException when no
// modality is given, and for a bad band list or an all-nodata band (naming the raster).
musecl::RegionTable museclBuildRegionTable( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                            const MuseclRegionSet &regions, MuseclChipPlan &chips,
                                            const QString &chipFolder, QgsProcessingContext &context,
                                            QgsProcessingFeedback *feedback );

// Typical region size in metres: the side of a square with the mean region area.
// Whether `name` was given a value (not absent, null or an empty string).
bool museclParameterGiven( const QVariantMap &parameters, const QString &name );

double museclTypicalRegionSize( const MuseclRegionSet &regions, QgsProcessingContext &context );

namespace musecl
{
  struct RegionEmbeddings;
  struct TrainingProgress;
} // namespace musecl

// DEVICE (auto / cpu / cuda: MuseclEnum::device()) and the advanced THREADS (0 = automatic, see
// musecl/thread_policy.h), as train and embed declare them.
QList<QgsProcessingParameterDefinition *> museclDeviceParameters();

// Maps the learning core's progress onto `feedback` (its fraction as 0-100, one line of text per
// finished epoch) and relays cancellation.
// `run`: the whole run's feedback when `feedback` is a stage of it that sees the run's cancel only
// when its progress moves (a run waiting for another's LibTorch lease reports none).
std::function<bool( const musecl::TrainingProgress & )> museclTrainingProgress( QgsProcessingFeedback *feedback,
                                                                                const QgsFeedback *run = nullptr );

// The embeddings layer: the regions with their fields plus emb_0..emb_{d-1}, the attention weight of
// each view (beta_rs, beta_sv, beta_poi, beta_mob, beta_er, beta_sf, beta_attr; null where the region
// lacks the view), views ("rs+poi+mob": which views the region had) and has_embedding. Written
// block by block; finish() closes the output without publishing it (the caller publishes it with
// its other outputs) and logs the city-wide mean attention weight of each view; publish() moves it
// into place and styles it (colour from the embedding's principal components, the dominant view as
// a second style).
class MuseclEmbeddingWriter
{
  public:
    MuseclEmbeddingWriter( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                           const QString &outputParameter, const MuseclRegionSet &regions, int dimension,
                           QgsProcessingContext &context );
    ~MuseclEmbeddingWriter();
    // Regions of `block` with their rows of `embeddings` (same order); throws on cancel.
    void add( const MuseclRegionSet &block, const musecl::RegionEmbeddings &embeddings,
              QgsProcessingFeedback *feedback );
    void finish( QgsProcessingFeedback *feedback );
    QString publish( QgsProcessingContext &context );
    int dimension() const { return mDimension; }
    // Regions written so far that had view `view` (musecl::View).
    long long regionsWithView( int view ) const { return mBetaCount[static_cast<std::size_t>( view )]; }

  private:
    std::unique_ptr<MuseclOutputFields> mFields;
    std::unique_ptr<MuseclAtomicSink> mSink;
    int mDimension = 0;
    std::array<double, musecl::kViewCount> mBetaSum{};
    std::array<long long, musecl::kViewCount> mBetaCount{};
    std::array<bool, musecl::kViewCount> mModelViews{};
    // The first embedded regions (up to a bound), whose principal axes colour the layer.
    std::vector<std::vector<double>> mStyleSample;
    QStringList mEmbeddingFields, mBetaFields; // as written (unique among the region layer's fields)
    QString mHasEmbeddingField;
};

// The whole layer at once (musecl:train).
std::unique_ptr<MuseclEmbeddingWriter>
museclStageEmbeddings( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                       const QString &outputParameter, const MuseclRegionSet &regions,
                       const musecl::RegionEmbeddings &embeddings, QgsProcessingContext &context,
                       QgsProcessingFeedback *feedback );
