// What every MuseCL algorithm shares with the others, declared once: what the toolbox shows of it
// (id, name, tags, group, icon, help), truthful flags, file inputs opened on the main thread, and
// QGIS's parameter check with a clearer message for rasters.
#pragma once

#include <qgsprocessingalgorithm.h>

// What the toolbox, the search and the help button show of an algorithm. The names are English
// source texts (QT_TRANSLATE_NOOP( "QObject", ... )), translated when shown. The dialog's short help
// is processing/help/<name>.html (a resource); its Help button opens docs/help/<name>.html, staged
// as help/<name>.html in the plugin folder (MuseclProvider::helpUrl).
struct MuseclAlgorithmInfo
{
    const char *name;        // the id after "musecl:"
    const char *displayName; // translatable
    const char *tags;        // comma-separated, translatable
    const char *group;       // translatable
    const char *groupId;
    const char *svgIcon;                    // resource path
    const char *shortDescription = nullptr; // the toolbox's tooltip, translatable; none: QGIS shows the help
};

class MuseclAlgorithm : public QgsProcessingAlgorithm
{
  public:
    explicit MuseclAlgorithm( const MuseclAlgorithmInfo &info ) : mInfo( info ) {}
    QString name() const final;
    QString displayName() const final;
    QStringList tags() const final;
    QString group() const final;
    QString groupId() const final;
    QIcon icon() const final;
    QString svgIconPath() const final;
    QString helpUrl() const final;
    QString shortHelpString() const final;
    QString shortDescription() const final;

    // Runs on a worker thread (file inputs are opened in prepareAlgorithm on the main thread, and
    // LibTorch runs take turns on a process-wide lease), stops on cancel within a batch or a
    // feature, and works in batch mode and the modeler. Hence no FlagNoThreading.
    Flags flags() const override;
    // QGIS's check, with its "not found" for an unreadable RASTER replaced by what is wrong.
    bool checkParameterValues( const QVariantMap &parameters, QgsProcessingContext &context,
                               QString *message = nullptr ) const override;

  protected:
    // Opens vector inputs given as paths (museclOpenVectorInputs).
    bool prepareAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                           QgsProcessingFeedback *feedback ) override;

  private:
    MuseclAlgorithmInfo mInfo;
};

// The algorithms' base: QGIS makes a fresh instance of an algorithm for each run.
template <typename T> class MuseclAlgorithmOf : public MuseclAlgorithm
{
  public:
    using MuseclAlgorithm::MuseclAlgorithm;
    MuseclAlgorithm *createInstance() const override { return new T(); }
};
