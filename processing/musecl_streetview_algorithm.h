// musecl:streetview — "Assign street-view images to regions": inputs of the street-view encoder.
#pragma once

#include "musecl_algorithm.h"

class MuseclStreetViewAlgorithm : public MuseclAlgorithmOf<MuseclStreetViewAlgorithm>
{
  public:
    MuseclStreetViewAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
