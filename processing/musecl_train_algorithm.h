// musecl:train — "Train MuseCL region model": learns region embeddings and writes the model file.
#pragma once

#include "musecl_algorithm.h"
#include "musecl/learn/training.h"

struct MuseclChipPlan;

class MuseclTrainAlgorithm : public MuseclAlgorithmOf<MuseclTrainAlgorithm>
{
  public:
    MuseclTrainAlgorithm();
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback ) override;

  private:
    // How RASTER becomes views (RS_MODE and its options); `o` gives the seed, device, threads,
    // chip size and the typical region size the surroundings' default follows.
    MuseclChipPlan rasterPlan( const QVariantMap &parameters, const musecl::TrainingOptions &o,
                               QgsProcessingContext &context ) const;
    // The learning options from the parameters (all but the CRS and region size, which need the
    // regions); QgsProcessingException for values the core would refuse less clearly.
    musecl::TrainingOptions trainingOptions( const QVariantMap &parameters, QgsProcessingContext &context,
                                             QgsProcessingFeedback *feedback ) const;
};
