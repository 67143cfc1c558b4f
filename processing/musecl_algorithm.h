// What every MuseCL algorithm shares with the others, declared once: truthful flags, file inputs
// opened on the main thread, and QGIS's parameter check with a clearer message for rasters.
#pragma once

#include <qgsprocessingalgorithm.h>

class MuseclAlgorithm : public QgsProcessingAlgorithm
{
  public:
    // Runs on a worker thread (file inputs are opened in prepareAlgorithm on the main thread, and
    // LibTorch runs take turns on a process-wide lease), stops on cancel within a batch or a
    // feature, and works in batch mode and the modeler. Hence no FlagNoThreading.
    Flags flags() const override;
    // QGIS's check, with its "not found" for an unreadable RASTER replaced by what is wrong.
    bool checkParameterValues( const QVariantMap &parameters, QgsProcessingContext &context, QString *message = nullptr ) const override;

  protected:
    // Opens vector inputs given as paths (museclOpenVectorInputs).
    bool prepareAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) override;
};
