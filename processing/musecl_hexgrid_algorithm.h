// musecl:hexgrid — "Create hexagonal region grid": the region units MuseCL learns embeddings for.
#pragma once

#include "musecl_algorithm.h"

class MuseclHexGridAlgorithm : public MuseclAlgorithmOf<MuseclHexGridAlgorithm>
{
  public:
    MuseclHexGridAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
