// musecl:embed — "Embed regions with a trained model".
#pragma once

#include "musecl_algorithm.h"

class MuseclEmbedAlgorithm : public MuseclAlgorithm
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
    MuseclEmbedAlgorithm *createInstance() const override;
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) override;
};
