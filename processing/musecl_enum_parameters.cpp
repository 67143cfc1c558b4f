#include "musecl_enum_parameters.h"

#include "musecl/geo/chip_extractor.h"
#include "musecl/geo/hex_selection.h"
#include "musecl/learn/predict/predict.h"
#include "musecl/learn/training.h"

// Translated labels are marked QT_TRANSLATE_NOOP in the context "QObject", the one in which
// MuseclEnumParameter::labels() looks them up with QObject::tr (lupdate reads no other macro).

namespace MuseclEnum
{
  const MuseclEnumParameter<musecl::DeviceChoice> &device()
  {
    static const MuseclEnumParameter<musecl::DeviceChoice> table( MuseclParameter::DEVICE,
                                                                  {
                                                                      { "auto", musecl::DeviceChoice::Auto },
                                                                      { "cpu", musecl::DeviceChoice::Cpu },
                                                                      { "cuda", musecl::DeviceChoice::Cuda },
                                                                  },
                                                                  musecl::DeviceChoice::Auto, false );
    return table;
  }

  const MuseclEnumParameter<MuseclFlowType> &flowType()
  {
    static const MuseclEnumParameter<MuseclFlowType> table(
        MuseclParameter::FLOW_TYPE,
        {
            { QT_TRANSLATE_NOOP( "QObject", "OD lines" ), MuseclFlowType::OdLines },
            { QT_TRANSLATE_NOOP( "QObject", "Trip end points" ), MuseclFlowType::TripPoints },
        },
        MuseclFlowType::OdLines );
    return table;
  }

  const MuseclEnumParameter<MuseclFlowType> &mobilityFlowType()
  {
    static const MuseclEnumParameter<MuseclFlowType> table(
        MuseclParameter::FLOW_TYPE,
        {
            { QT_TRANSLATE_NOOP( "QObject", "OD lines (first vertex = origin, last vertex = destination)" ),
              MuseclFlowType::OdLines },
            { QT_TRANSLATE_NOOP( "QObject", "Trip end points with an origin/destination field" ),
              MuseclFlowType::TripPoints },
        },
        MuseclFlowType::OdLines );
    return table;
  }

  const MuseclEnumParameter<musecl::TripletDistance> &tripletLoss()
  {
    static const MuseclEnumParameter<musecl::TripletDistance> table(
        MuseclParameter::TRIPLET_LOSS,
        {
            { QT_TRANSLATE_NOOP( "QObject", "L2 distance, margin ranking (reference training)" ),
              musecl::TripletDistance::L2 },
            { QT_TRANSLATE_NOOP( "QObject", "Cosine similarity (paper eqs. 5-6)" ), musecl::TripletDistance::Cosine },
        },
        musecl::TripletDistance::L2 );
    return table;
  }

  const MuseclEnumParameter<std::string> &remoteSensingBackbone()
  {
    static const MuseclEnumParameter<std::string> table(
        MuseclParameter::RS_BACKBONE,
        {
            { QT_TRANSLATE_NOOP( "QObject", "ResNet-18 (as in the paper; slow without a GPU)" ), "resnet18" },
            { QT_TRANSLATE_NOOP( "QObject", "Light network (about ten times faster)" ), "light" },
        },
        "resnet18" );
    return table;
  }

  const MuseclEnumParameter<std::string> &streetViewBackbone()
  {
    static const MuseclEnumParameter<std::string> table(
        MuseclParameter::SV_BACKBONE,
        {
            { QT_TRANSLATE_NOOP( "QObject", "Inception v3 (as in the paper; slow without a GPU)" ), "inception_v3" },
            { QT_TRANSLATE_NOOP( "QObject", "Light CNN (fast on CPU)" ), "light" },
        },
        "inception_v3" );
    return table;
  }

  const MuseclEnumParameter<musecl::SimilarityScale> &similarity()
  {
    static const MuseclEnumParameter<musecl::SimilarityScale> table(
        MuseclParameter::SIMILARITY,
        {
            { QT_TRANSLATE_NOOP( "QObject", "Logarithm of 1 + count (default)" ), musecl::SimilarityScale::Log1p },
            { QT_TRANSLATE_NOOP( "QObject", "Raw counts (paper form)" ), musecl::SimilarityScale::Raw },
        },
        musecl::SimilarityScale::Log1p );
    return table;
  }

  const MuseclEnumParameter<musecl::EmbeddingOutput> &embeddingOutput()
  {
    static const MuseclEnumParameter<musecl::EmbeddingOutput> table(
        MuseclParameter::EMBEDDING_OUTPUT,
        {
            { QT_TRANSLATE_NOOP( "QObject", "Fused vector only (the paper)" ), musecl::EmbeddingOutput::Fused },
            { QT_TRANSLATE_NOOP( "QObject", "Fused vector followed by each view's projection" ),
              musecl::EmbeddingOutput::FusedAndViews },
            { QT_TRANSLATE_NOOP(
                  "QObject",
                  "Automatic: the fused vector when OD flows trained the fusion or there is one view, else followed by each view's projection" ),
              musecl::EmbeddingOutput::Automatic },
        },
        musecl::EmbeddingOutput::Automatic );
    return table;
  }

  const MuseclEnumParameter<musecl::Augmentation> &augmentation()
  {
    static const MuseclEnumParameter<musecl::Augmentation> table(
        MuseclParameter::AUGMENTATION,
        {
            { QT_TRANSLATE_NOOP( "QObject", "None" ), musecl::Augmentation::None },
            { QT_TRANSLATE_NOOP( "QObject", "Basic: chips rotated by 90°, photos mirrored" ),
              musecl::Augmentation::Basic },
            { QT_TRANSLATE_NOOP( "QObject",
                                 "Full: also mirrored chips, random resized crops, brightness/contrast jitter" ),
              musecl::Augmentation::Full },
        },
        musecl::Augmentation::Basic );
    return table;
  }

  const MuseclEnumParameter<MuseclRasterMode> &rasterMode()
  {
    static const MuseclEnumParameter<MuseclRasterMode> table(
        MuseclParameter::RS_MODE,
        {
            { QT_TRANSLATE_NOOP( "QObject", "Scene features: an encoder learned from the whole raster" ),
              MuseclRasterMode::SceneFeatures },
            { QT_TRANSLATE_NOOP( "QObject", "Chip triplets: one chip per region (the paper)" ),
              MuseclRasterMode::ChipTriplets },
            { QT_TRANSLATE_NOOP( "QObject", "Both, as two views" ), MuseclRasterMode::Both },
        },
        // Scene features by default: measured against chip triplets on Manhattan (raster alone,
        // every view, no flows) and on the synthetic city, they were ahead or level, trained faster,
        // and embed country-scale layers in time that follows the pixels (BENCHMARKS.md, issue 22).
        MuseclRasterMode::SceneFeatures );
    return table;
  }

  const MuseclEnumParameter<musecl::SceneScale> &sceneScale()
  {
    static const MuseclEnumParameter<musecl::SceneScale> table(
        MuseclParameter::SCENE_SCALE,
        {
            { QT_TRANSLATE_NOOP( "QObject", "Inside each region" ), musecl::SceneScale::Region },
            { QT_TRANSLATE_NOOP( "QObject", "Inside each region and in its surroundings" ),
              musecl::SceneScale::RegionAndSurroundings },
            { QT_TRANSLATE_NOOP( "QObject", "In each region's surroundings (the region included)" ),
              musecl::SceneScale::Surroundings },
        },
        // Both: on Manhattan either scale with surroundings beat the region alone (BENCHMARKS.md).
        musecl::SceneScale::RegionAndSurroundings );
    return table;
  }

  const MuseclEnumParameter<musecl::ChipFormat> &chipFormat()
  {
    static const MuseclEnumParameter<musecl::ChipFormat> table( MuseclParameter::FORMAT,
                                                                {
                                                                    { "GeoTIFF", musecl::ChipFormat::GeoTiff },
                                                                    { "PNG", musecl::ChipFormat::Png },
                                                                },
                                                                musecl::ChipFormat::GeoTiff, false );
    return table;
  }

  const MuseclEnumParameter<musecl::HexCoverage> &hexCoverage()
  {
    static const MuseclEnumParameter<musecl::HexCoverage> table(
        MuseclParameter::COVERAGE,
        {
            { QT_TRANSLATE_NOOP( "QObject", "Whose centre is inside the boundary" ),
              musecl::HexCoverage::CentreInside },
            { QT_TRANSLATE_NOOP( "QObject", "Whose interior intersects the boundary" ),
              musecl::HexCoverage::InteriorIntersects },
            { QT_TRANSLATE_NOOP( "QObject", "Whose overlap with the boundary is at least the minimum fraction" ),
              musecl::HexCoverage::MinimumOverlap },
        },
        musecl::HexCoverage::CentreInside );
    return table;
  }

  const MuseclEnumParameter<MuseclPredictModel> &predictModel()
  {
    // Automatic comes last rather than first so that MODEL=0 (MLP) and MODEL=1 (ridge) keep their
    // meaning in saved batches and models.
    static const MuseclEnumParameter<MuseclPredictModel> table(
        MuseclParameter::MODEL,
        {
            { QT_TRANSLATE_NOOP( "QObject", "MLP 512-256-128-64 (paper)" ), MuseclPredictModel::Mlp },
            { QT_TRANSLATE_NOOP( "QObject", "Ridge regression" ), MuseclPredictModel::Ridge },
            { QT_TRANSLATE_NOOP( "QObject", "Automatic: ridge up to %1 labelled regions, MLP above" ),
              MuseclPredictModel::Automatic },
        },
        MuseclPredictModel::Automatic );
    return table;
  }

  const MuseclEnumParameter<musecl::Evaluation> &evaluation()
  {
    static const MuseclEnumParameter<musecl::Evaluation> table(
        MuseclParameter::EVALUATION,
        {
            { QT_TRANSLATE_NOOP( "QObject", "60/20/20 split (paper)" ), musecl::Evaluation::Split602020 },
            { QT_TRANSLATE_NOOP( "QObject", "Random k-fold" ), musecl::Evaluation::KFold },
            { QT_TRANSLATE_NOOP( "QObject", "Spatially blocked k-fold" ), musecl::Evaluation::SpatialKFold },
        },
        musecl::Evaluation::KFold );
    return table;
  }
} // namespace MuseclEnum
