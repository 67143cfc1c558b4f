// musecl:embed — "Embed regions with a trained model".
#pragma once

#include "musecl_algorithm.h"

class MuseclEmbedAlgorithm : public MuseclAlgorithmOf<MuseclEmbedAlgorithm>
{
  public:
    MuseclEmbedAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
