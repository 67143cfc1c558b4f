// The two steps of scene features that musecl:imagefeatures and musecl:train (RS_MODE) share: an
// encoder learned from a raster, and the feature raster an encoder makes of one.
#pragma once

#include "musecl_core_call.h"

#include "musecl/learn/scene_features.h"

#include <QSize>
#include <QString>

class QgsRasterLayer;
class QgsProcessingFeedback;

// An encoder learned from `raster` (a GDAL file at `path`) over the bands of `bandSpec` (empty:
// every band), scaled by their measured radiometry, which the log states.
musecl::SceneEncoder museclLearnSceneEncoder( QgsRasterLayer *raster, const QString &path, const QString &bandSpec,
                                              const musecl::SceneFeatureOptions &options,
                                              const MuseclCoreErrors &errors, QgsProcessingFeedback *feedback );

// Warns when the scene at `path` spans another range than the scene `encoder` learned from (over
// the encoder's bands): a different sensor, gain or processing level makes other features.
void museclWarnOfRadiometryMismatch( const musecl::SceneEncoder &encoder, const QString &path,
                                     const MuseclCoreErrors &errors, QgsProcessingFeedback *feedback );

// The feature raster of the scene at `path` written to `output` (complete, or not at all);
// returns its size in pixels.
QSize museclWriteFeatureRaster( const musecl::SceneEncoder &encoder, const QString &path, const QString &output,
                                int stride, musecl::DeviceChoice device, int threads, const MuseclCoreErrors &errors,
                                QgsProcessingFeedback *feedback );
