// musecl:imagechips — "Extract image chips per region": remote-sensing inputs of the MuseCL image encoder.
#pragma once

#include "musecl_algorithm.h"

class MuseclImageChipsAlgorithm : public MuseclAlgorithmOf<MuseclImageChipsAlgorithm>
{
  public:
    MuseclImageChipsAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
