// musecl:imagefeatures — "Learn image features from a scene": a self-supervised encoder trained on
// the whole raster and the feature raster it makes (core/musecl/learn/scene_features.h).
#pragma once

#include "musecl_algorithm.h"

class MuseclImageFeaturesAlgorithm : public MuseclAlgorithmOf<MuseclImageFeaturesAlgorithm>
{
  public:
    MuseclImageFeaturesAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;
};
