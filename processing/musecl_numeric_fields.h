// Numeric feature columns of a layer for the downstream algorithms (predict, cluster): the
// chosen fields, or by default every emb_* field; values must be finite numbers.
#pragma once

#include <qgsfields.h>

#include <QStringList>

// The chosen fields, then the numeric fields whose names match one of `patterns` (wildcards * and ?,
// separated by ';', e.g. "emb_*;cat_*;inflow;outflow"; the target and non-numeric fields are
// skipped), each field once, in that order. With neither, every emb_* field. Throws
// QgsProcessingException when a chosen field is missing or not numeric, when a pattern matches no
// numeric field, or when the result is empty.
QList<int> museclFeatureFields( const QgsFields &fields, const QStringList &chosen, const QString &patterns,
                                const QString &layerName, const QString &exclude = QString() );

class QgsFeature;
// Whether `feature` says no input reached its region: has_embedding (at `hasEmbeddingIndex`, -1
// when the layer has no such field) is 0. Such a region carries an all-zero embedding.
bool museclLacksEmbedding( const QgsFeature &feature, int hasEmbeddingIndex );
