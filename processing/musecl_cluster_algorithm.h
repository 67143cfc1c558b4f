// musecl:cluster — "Cluster regions by embedding": PCA and seeded k-means.
#pragma once

#include "musecl_algorithm.h"

class MuseclClusterAlgorithm : public MuseclAlgorithm
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
    MuseclClusterAlgorithm *createInstance() const override;
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) override;
};
