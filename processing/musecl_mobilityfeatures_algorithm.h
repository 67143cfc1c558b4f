// musecl:mobilityfeatures — "Summarise mobility per region": inflow and outflow of paper eqs. 1-2.
#pragma once

#include "musecl_algorithm.h"

class MuseclMobilityFeaturesAlgorithm : public MuseclAlgorithmOf<MuseclMobilityFeaturesAlgorithm>
{
  public:
    MuseclMobilityFeaturesAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
