// musecl:predict's HTML report: the settings, the scores on the modelling scale and in the
// target's own units, overall and per fold, a predicted-against-true plot with ticks in the
// target's units, and a map of the held-out residuals. One self-contained file (inline SVG).
#pragma once

#include "musecl/learn/predict/predict.h"

#include <qgsgeometry.h>

#include <QString>
#include <vector>

struct MuseclReportInput
{
    const musecl::PredictInput *input = nullptr;
    const musecl::PredictOptions *options = nullptr;
    const musecl::PredictResult *result = nullptr;
    QString targetName, layer;
    int featureCount = 0;
    // One per row given to the predictor (the order of input->target); empty geometries are left
    // off the map, as are all of them above a size that would make the file unwieldy.
    std::vector<QgsGeometry> geometries;
};

QString museclPredictionReport( const MuseclReportInput &report );
