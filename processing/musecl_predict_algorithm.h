// musecl:predict — "Predict indicator from region embeddings": MLP or ridge with cross-validation.
#pragma once

#include "musecl_algorithm.h"

class MuseclPredictAlgorithm : public MuseclAlgorithm
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
    MuseclPredictAlgorithm *createInstance() const override;
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) override;
};
