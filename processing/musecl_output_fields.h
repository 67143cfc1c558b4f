// The fields of an output layer: the input's own, followed by new ones whose names never collide
// with them or with each other (case-insensitively), e.g. "cat_bar_grill_2" or "pred_2".
#pragma once

#include <qgsfeature.h>
#include <qgsfields.h>

#include <set>
#include <string>

class MuseclOutputFields
{
  public:
    explicit MuseclOutputFields( const QgsFields &inputFields );

    // Appends a field named prefix + the sanitised value (see musecl::uniqueFieldName) and returns
    // the name it got.
    QString add( const std::string &prefix, const std::string &value, QVariant::Type type );

    const QgsFields &fields() const { return mFields; }

    // An input feature (id, geometry, attributes) under these fields, the attributes of the added
    // fields, in the order they were added, following its own.
    QgsFeature extended( const QgsFeature &input, const QgsAttributes &added ) const;

  private:
    QgsFields mFields;
    std::set<std::string> mTaken;
};
