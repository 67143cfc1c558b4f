// The keys of every parameter and output of the MuseCL algorithms, declared once. A key is what a
// user types (qgis_process, Python, saved models and batches), so it never changes; an algorithm
// names a key through this header instead of repeating the literal. The tests keep their literals:
// they are the user's view.
#pragma once

#include <QString>

#include "musecl/learn/views/catalogue.h"

#include <array>

namespace MuseclParameter
{
  // Regions and their ids (every algorithm that reads regions).
  inline const QString REGIONS = QStringLiteral( "REGIONS" );
  inline const QString REGION_ID_FIELD = QStringLiteral( "REGION_ID_FIELD" );

  // The modality inputs of musecl:train and musecl:embed, and of the feature algorithms that read one.
  inline const QString RASTER = QStringLiteral( "RASTER" );
  inline const QString CHIP_SIZE = QStringLiteral( "CHIP_SIZE" );
  inline const QString CHIP_WINDOW = QStringLiteral( "CHIP_WINDOW" );
  inline const QString RS_BANDS = QStringLiteral( "RS_BANDS" );
  inline const QString RS_ALL_BANDS = QStringLiteral( "RS_ALL_BANDS" );
  inline const QString RS_MODE = QStringLiteral( "RS_MODE" );
  inline const QString EMBEDDING_RASTER = QStringLiteral( "EMBEDDING_RASTER" );
  inline const QString STREETVIEW = QStringLiteral( "STREETVIEW" );
  inline const QString SV_PATH_FIELD = QStringLiteral( "SV_PATH_FIELD" );
  inline const QString POIS = QStringLiteral( "POIS" );
  inline const QString CATEGORY_FIELD = QStringLiteral( "CATEGORY_FIELD" );
  inline const QString TEXT_FIELDS = QStringLiteral( "TEXT_FIELDS" );
  inline const QString FLOWS = QStringLiteral( "FLOWS" );
  inline const QString FLOW_TYPE = QStringLiteral( "FLOW_TYPE" );
  inline const QString WEIGHT_FIELD = QStringLiteral( "WEIGHT_FIELD" );
  inline const QString ROLE_FIELD = QStringLiteral( "ROLE_FIELD" );

  // musecl:mobilityfeatures
  inline const QString ORIGIN_VALUE = QStringLiteral( "ORIGIN_VALUE" );
  inline const QString DESTINATION_VALUE = QStringLiteral( "DESTINATION_VALUE" );

  // musecl:poifeatures
  inline const QString TOP_K = QStringLiteral( "TOP_K" );

  // musecl:streetview
  inline const QString IMAGES = QStringLiteral( "IMAGES" );
  inline const QString PATH_FIELD = QStringLiteral( "PATH_FIELD" );
  inline const QString BASE_FOLDER = QStringLiteral( "BASE_FOLDER" );
  inline const QString CHECK_READABLE = QStringLiteral( "CHECK_READABLE" );

  // musecl:imagechips
  inline const QString MASK = QStringLiteral( "MASK" );
  inline const QString FORMAT = QStringLiteral( "FORMAT" );

  // musecl:imagefeatures (and SCENE_ENCODER of musecl:train)
  inline const QString SCENE_ENCODER = QStringLiteral( "SCENE_ENCODER" );
  inline const QString TILE_SIZE = QStringLiteral( "TILE_SIZE" );
  inline const QString FEATURE_BANDS = QStringLiteral( "FEATURE_BANDS" );
  inline const QString STRIDE = QStringLiteral( "STRIDE" );
  inline const QString STEPS = QStringLiteral( "STEPS" );
  inline const QString SCENE_STEPS = QStringLiteral( "SCENE_STEPS" );     // musecl:train
  inline const QString SCENE_SCALE = QStringLiteral( "SCENE_SCALE" );     // musecl:train
  inline const QString SCENE_CONTEXT = QStringLiteral( "SCENE_CONTEXT" ); // musecl:train

  // musecl:hexgrid
  inline const QString HEX_SIZE = QStringLiteral( "HEX_SIZE" );
  inline const QString TARGET_CRS = QStringLiteral( "TARGET_CRS" );
  inline const QString COVERAGE = QStringLiteral( "COVERAGE" );
  inline const QString MIN_OVERLAP = QStringLiteral( "MIN_OVERLAP" );
  inline const QString CLIP = QStringLiteral( "CLIP" );
  inline const QString MAX_HEXAGONS = QStringLiteral( "MAX_HEXAGONS" );

  // musecl:train (and DEVICE, THREADS, MODEL, BLOCK_SIZE of musecl:embed)
  inline const QString EMBEDDING_SIZE = QStringLiteral( "EMBEDDING_SIZE" );
  inline const QString IMAGE_EPOCHS = QStringLiteral( "IMAGE_EPOCHS" );
  inline const QString EMBEDDING_OUTPUT = QStringLiteral( "EMBEDDING_OUTPUT" );
  inline const QString FUSION_EPOCHS = QStringLiteral( "FUSION_EPOCHS" );
  inline const QString FUSION_FLOW_WEIGHT = QStringLiteral( "FUSION_FLOW_WEIGHT" );
  inline const QString VOLUME_WEIGHT = QStringLiteral( "VOLUME_WEIGHT" );
  inline const QString BATCH_SIZE = QStringLiteral( "BATCH_SIZE" );
  inline const QString IMAGES_PER_PASS = QStringLiteral( "IMAGES_PER_PASS" );
  inline const QString LEARNING_RATE = QStringLiteral( "LEARNING_RATE" );
  inline const QString TRIPLET_LOSS = QStringLiteral( "TRIPLET_LOSS" );
  inline const QString MARGIN = QStringLiteral( "MARGIN" );
  inline const QString RS_BACKBONE = QStringLiteral( "RS_BACKBONE" );
  inline const QString SV_BACKBONE = QStringLiteral( "SV_BACKBONE" );
  inline const QString SV_SIZE = QStringLiteral( "SV_SIZE" );
  inline const QString RS_PRETRAINED = QStringLiteral( "RS_PRETRAINED" );
  inline const QString SV_PRETRAINED = QStringLiteral( "SV_PRETRAINED" );
  inline const QString SV_PRETRAIN_STEPS = QStringLiteral( "SV_PRETRAIN_STEPS" );
  inline const QString SIMILARITY = QStringLiteral( "SIMILARITY" );
  inline const QString TRIPLETS_PER_ANCHOR = QStringLiteral( "TRIPLETS_PER_ANCHOR" );
  inline const QString AUGMENTATION = QStringLiteral( "AUGMENTATION" );
  inline const QString MOBILITY_SIZE = QStringLiteral( "MOBILITY_SIZE" );
  inline const QString MOBILITY_EPOCHS = QStringLiteral( "MOBILITY_EPOCHS" );
  inline const QString MOBILITY_RUNS = QStringLiteral( "MOBILITY_RUNS" );
  inline const QString DEVICE = QStringLiteral( "DEVICE" );
  inline const QString THREADS = QStringLiteral( "THREADS" );
  inline const QString WORLD_SIZE = QStringLiteral( "WORLD_SIZE" );
  inline const QString RANK = QStringLiteral( "RANK" );
  inline const QString RENDEZVOUS = QStringLiteral( "RENDEZVOUS" );
  inline const QString DIST_TIMEOUT = QStringLiteral( "DIST_TIMEOUT" );
  inline const QString MODEL = QStringLiteral( "MODEL" ); // musecl:embed: the model file; musecl:predict: the predictor
  inline const QString BLOCK_SIZE = QStringLiteral( "BLOCK_SIZE" );

  // musecl:predict and musecl:cluster
  inline const QString INPUT = QStringLiteral( "INPUT" ); // also musecl:hexgrid's boundary layer
  inline const QString FEATURES = QStringLiteral( "FEATURES" );
  inline const QString FEATURE_PATTERN = QStringLiteral( "FEATURE_PATTERN" );
  inline const QString TARGET = QStringLiteral( "TARGET" );
  inline const QString LOG_TARGET = QStringLiteral( "LOG_TARGET" );
  inline const QString LOG_FEATURES = QStringLiteral( "LOG_FEATURES" );
  inline const QString EVALUATION = QStringLiteral( "EVALUATION" );
  inline const QString FOLDS = QStringLiteral( "FOLDS" );
  inline const QString CLUSTERS = QStringLiteral( "CLUSTERS" );
  inline const QString PCA_COMPONENTS = QStringLiteral( "PCA_COMPONENTS" );
  inline const QString SEED = QStringLiteral( "SEED" ); // also musecl:train
  inline const QString RUNS = QStringLiteral( "RUNS" ); // musecl:train, musecl:imagefeatures

  // Destinations
  inline const QString OUTPUT = QStringLiteral( "OUTPUT" );
  inline const QString ATTRIBUTE_FIELDS = QStringLiteral( "ATTRIBUTE_FIELDS" );
  inline const QString OUTPUT_MODEL = QStringLiteral( "OUTPUT_MODEL" );
  inline const QString OUTPUT_LOG = QStringLiteral( "OUTPUT_LOG" );
  inline const QString OUTPUT_TABLE = QStringLiteral( "OUTPUT_TABLE" );
  inline const QString OUTPUT_OD = QStringLiteral( "OUTPUT_OD" );
  inline const QString OUTPUT_INDEX = QStringLiteral( "OUTPUT_INDEX" );
  inline const QString OUTPUT_FOLDER = QStringLiteral( "OUTPUT_FOLDER" );
  inline const QString OUTPUT_REPORT = QStringLiteral( "OUTPUT_REPORT" );
  inline const QString OUTPUT_ENCODER = QStringLiteral( "OUTPUT_ENCODER" );
} // namespace MuseclParameter

// The keys of the algorithms' non-destination outputs (addOutput).
namespace MuseclOutput
{
  inline const QString REGIONS_WITHOUT_GEOMETRY = QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" );
  inline const QString REGIONS_WITHOUT_EMBEDDING = QStringLiteral( "REGIONS_WITHOUT_EMBEDDING" );
  inline const QString EMBEDDING_DIMENSION = QStringLiteral( "EMBEDDING_DIMENSION" );
  inline const QString DEVICE_USED = QStringLiteral( "DEVICE_USED" );
  inline const QString R2 = QStringLiteral( "R2" );
  inline const QString RMSE = QStringLiteral( "RMSE" );
  inline const QString MAE = QStringLiteral( "MAE" );
  inline const QString POIS_IN_REGIONS = QStringLiteral( "POIS_IN_REGIONS" );
  inline const QString POIS_OUTSIDE = QStringLiteral( "POIS_OUTSIDE" );
  inline const QString CATEGORY_COUNT = QStringLiteral( "CATEGORY_COUNT" );
  inline const QString WEIGHT_INSIDE = QStringLiteral( "WEIGHT_INSIDE" );
  inline const QString FLOWS_OUTSIDE = QStringLiteral( "FLOWS_OUTSIDE" );
  inline const QString WEIGHT_OUTSIDE = QStringLiteral( "WEIGHT_OUTSIDE" );
  inline const QString IMAGES_ASSIGNED = QStringLiteral( "IMAGES_ASSIGNED" );
  inline const QString IMAGES_REJECTED = QStringLiteral( "IMAGES_REJECTED" );
  inline const QString CHIP_COUNT = QStringLiteral( "CHIP_COUNT" );
  inline const QString REGIONS_WITHOUT_CHIP = QStringLiteral( "REGIONS_WITHOUT_CHIP" );
  inline const QString HEX_COUNT = QStringLiteral( "HEX_COUNT" );
  inline const QString OUTPUT_CRS = QStringLiteral( "OUTPUT_CRS" );
} // namespace MuseclOutput

namespace MuseclParameter
{
  // The parameter that gives each view its input in musecl:train and musecl:embed, in catalogue
  // order (core/musecl/learn/views/catalogue.h): a new view adds its parameter here.
  inline const std::array<QString, musecl::kViewCount> VIEW_INPUT = { RASTER,          STREETVIEW,       POIS,
                                                                      FLOWS,           EMBEDDING_RASTER, RASTER,
                                                                      ATTRIBUTE_FIELDS };
} // namespace MuseclParameter
