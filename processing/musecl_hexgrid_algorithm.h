// musecl:hexgrid — "Create hexagonal region grid": the region units MuseCL learns embeddings for.
#pragma once

#include "musecl_algorithm.h"

class MuseclHexGridAlgorithm : public MuseclAlgorithm
{
  public:
    enum Coverage
    {
      CentroidInside = 0,
      Intersects = 1,
      MinimumOverlap = 2,
    };

    QString name() const override;
    QString displayName() const override;
    QStringList tags() const override;
    QString group() const override;
    QString groupId() const override;
    QString shortDescription() const override;
    QString shortHelpString() const override;
    QString helpUrl() const override;
    QIcon icon() const override;
    QString svgIconPath() const override;
    MuseclHexGridAlgorithm *createInstance() const override;
    void initAlgorithm( const QVariantMap &configuration = QVariantMap() ) override;

  protected:
    QVariantMap processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback ) override;
};
