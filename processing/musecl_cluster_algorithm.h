// musecl:cluster — "Cluster regions by embedding": PCA and seeded k-means.
#pragma once

#include "musecl_algorithm.h"

class MuseclClusterAlgorithm : public MuseclAlgorithmOf<MuseclClusterAlgorithm>
{
  public:
    MuseclClusterAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
