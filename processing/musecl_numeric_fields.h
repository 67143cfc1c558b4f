// Numeric feature columns of a layer for the downstream algorithms (predict, cluster): the
// chosen fields, or by default every emb_* field; values must be finite numbers.
#pragma once

#include <qgsfields.h>

#include <QStringList>
#include <vector>

// The chosen fields, then the numeric fields whose names match one of `patterns` (wildcards * and ?,
// separated by ';', e.g. "emb_*;cat_*;inflow;outflow"; the target and non-numeric fields are
// skipped), each field once, in that order. With neither, every emb_* field. Throws
// QgsProcessingException when a chosen field is missing or not numeric, when a pattern matches no
// numeric field, or when the result is empty.
QList<int> museclFeatureFields( const QgsFields &fields, const QStringList &chosen, const QString &patterns,
                                const QString &layerName, const QString &exclude = QString() );

class QgsFeature;
// The values of `indexes` in `feature` (fields `fields` of layer `layerName`). A NULL, non-numeric
// or non-finite value throws QgsProcessingException with `message`, whose %1 is the feature id,
// %2 the layer, %3 the value and %4 the field (each algorithm says what the fields are to it).
std::vector<double> museclFeatureRow( const QgsFeature &feature, const QList<int> &indexes, const QgsFields &fields,
                                      const QString &layerName, const QString &message );

// Whether `feature` says no input reached its region: has_embedding (at `hasEmbeddingIndex`, -1
// when the layer has no such field) is 0. Such a region carries an all-zero embedding.
bool museclLacksEmbedding( const QgsFeature &feature, int hasEmbeddingIndex );
