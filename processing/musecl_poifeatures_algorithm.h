// musecl:poifeatures — "Summarise POIs per region": the POI distribution of paper eq. 3.
#pragma once

#include "musecl_algorithm.h"

class MuseclPoiFeaturesAlgorithm : public MuseclAlgorithmOf<MuseclPoiFeaturesAlgorithm>
{
  public:
    MuseclPoiFeaturesAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
