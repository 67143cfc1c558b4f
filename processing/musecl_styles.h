// Default styles of MuseCL outputs: outlined hexagons, embeddings coloured by their principal
// components (with the dominant view as a second style), graduated predictions and residuals,
// categorised clusters.
//
// A style is applied when a desktop run loads the layer, and written as a .qml beside a file
// output, which QGIS loads with the layer wherever it is opened (batch runs, qgis_process, the
// browser). A style table inside a GeoPackage would make it a multi-table file, and QGIS would ask
// the user which table to add.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <vector>

class QgsFeatureRenderer;
class QgsVectorLayer;
class QgsProcessingContext;

// Diverging for residuals (centred on 0), sequential for anything else; quantile classes.
QgsFeatureRenderer *museclGraduatedRenderer( const QgsVectorLayer *layer, const QString &field, bool diverging );
QgsFeatureRenderer *museclCategorisedRenderer( const QgsVectorLayer *layer, const QString &field, int categories );
// Outlines only, so the map underneath stays visible (region grids).
QgsFeatureRenderer *museclOutlineRenderer( const QgsVectorLayer *layer );
// One colour per region from an expression (an embedding's first principal components as RGB).
QgsFeatureRenderer *museclExpressionColourRenderer( const QgsVectorLayer *layer, const QString &colourExpression );
// Categories of the view with the largest attention weight: `betaFields`, the attention fields of
// the model's views, with the views' readable names.
QgsFeatureRenderer *museclDominantViewRenderer( const QgsVectorLayer *layer, const QStringList &betaFields,
                                                const QStringList &viewNames );

struct MuseclStyle
{
    QString name;
    std::function<QgsFeatureRenderer *( const QgsVectorLayer * )> renderer;
};

// Styles the output at `destination`: the first style is its default (and the .qml beside a file),
// the others are further named styles of the layer a desktop run loads (Layer Properties > Style).
void museclStyleOutput( QgsProcessingContext &context, const QString &destination, const QList<MuseclStyle> &styles );

// `field`: the field to classify; `categories` > 0 means categorised with that many classes.
void museclStyleOutput( QgsProcessingContext &context, const QString &destination, const QString &field, int categories,
                        bool diverging );

// An expression that colours a region by the first three principal components of its embedding
// (`embeddingFields`, one per column of `rows`): `rows` is a sample of embedded regions. Regions
// whose `hasEmbeddingField` is 0 are grey. Empty when there are fewer than two rows.
QString museclEmbeddingColourExpression( const std::vector<std::vector<double>> &rows,
                                         const QStringList &embeddingFields, const QString &hasEmbeddingField );
