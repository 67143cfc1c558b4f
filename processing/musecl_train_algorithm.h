// musecl:train — "Train MuseCL region model": learns region embeddings and writes the model file.
#pragma once

#include "musecl_algorithm.h"

namespace musecl
{
  struct TrainingOptions;
}

class MuseclTrainAlgorithm : public MuseclAlgorithm
{
  public:
    QString name() const override;
    QString displayName() const override;
    QStringList tags() const override;
    QString group() const override;
    QString groupId() const override;
    QString shortHelpString() const override;
    QString helpUrl() const override;
    QIcon icon() const override;
    QString svgIconPath() const override;
    MuseclTrainAlgorithm *createInstance() const override;
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) override;

  private:
    // The learning options from the parameters (all but the CRS and region size, which need the
    // regions); QgsProcessingException for values the core would refuse less clearly.
    musecl::TrainingOptions trainingOptions( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) const;
};
