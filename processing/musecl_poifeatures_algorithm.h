// musecl:poifeatures — "Summarise POIs per region": the POI distribution of paper eq. 3.
#pragma once

#include "musecl_algorithm.h"

class MuseclPoiFeaturesAlgorithm : public MuseclAlgorithm
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
    MuseclPoiFeaturesAlgorithm *createInstance() const override;
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) override;
};
