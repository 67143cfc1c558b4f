// Numeric feature columns of a layer for the downstream algorithms (predict, cluster): the
// chosen fields, or by default every emb_* field; values must be finite numbers.
#pragma once

#include <qgsfields.h>

#include <QStringList>

// Throws QgsProcessingException when a field is missing or not numeric, or when no field is given
// and the layer has no emb_* field.
QList<int> museclFeatureFields( const QgsFields &fields, const QStringList &chosen, const QString &layerName, const QString &exclude = QString() );
