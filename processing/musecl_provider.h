// The "musecl" Processing provider: every MuseCL algorithm, in the toolbox, the modeler and
// qgis_process alike.
#pragma once

#include <qgsprocessingprovider.h>

class MuseclProvider : public QgsProcessingProvider
{
    Q_OBJECT

  public:
    explicit MuseclProvider( QObject *parent = nullptr );

    QString id() const override;
    QString name() const override;
    QString longName() const override;
    QString versionInfo() const override;
    QIcon icon() const override;
    QString svgIconPath() const override;
    bool supportsNonFileBasedOutput() const override;

    // One line for logs and the About box: plugin version and the LibTorch runtime.
    static QString runtimeDescription();

    // The README shipped in the plugin folder, opened at `anchor`: the algorithms' help pages
    // (offline; no web address is needed).
    static QString helpUrl( const QString &page ); // help/<page>.html in the plugin folder

  protected:
    void loadAlgorithms() override;
};
