// musecl:predict — "Predict indicator from region embeddings": MLP or ridge with cross-validation.
#pragma once

#include "musecl_algorithm.h"

class MuseclPredictAlgorithm : public MuseclAlgorithmOf<MuseclPredictAlgorithm>
{
  public:
    MuseclPredictAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
