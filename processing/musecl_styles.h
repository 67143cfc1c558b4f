// Default styles of MuseCL outputs: graduated predictions and residuals, categorised clusters.
// Applied when a desktop run loads the layer, and stored in GeoPackage outputs so that batch and
// qgis_process results open styled too.
#pragma once

#include <QString>

class QgsFeatureRenderer;
class QgsVectorLayer;
class QgsProcessingContext;

// Diverging for residuals (centred on 0), sequential for anything else; quantile classes.
QgsFeatureRenderer *museclGraduatedRenderer( const QgsVectorLayer *layer, const QString &field, bool diverging );
QgsFeatureRenderer *museclCategorisedRenderer( const QgsVectorLayer *layer, const QString &field, int categories );

// Styles `destination` on load in the desktop and, for a .gpkg file, stores the style as its default.
// `field`: the field to classify; `categories` > 0 means categorised with that many classes.
void museclStyleOutput( QgsProcessingContext &context, const QString &destination, const QString &field, int categories,
                        bool diverging );
