#include "musecl_numeric_fields.h"

#include <qgsfeature.h>

#include <QRegularExpression>

#include "musecl_parameter_names.h"
#include "musecl_region_inputs.h"

#include <qgsexception.h>

#include <cmath>

QList<int> museclFeatureFields( const QgsFields &fields, const QStringList &chosen, const QString &patterns,
                                const QString &layerName, const QString &exclude )
{
  QList<int> indexes;
  const QStringList patternList = patterns.split( ';', Qt::SkipEmptyParts );
  if ( chosen.isEmpty() && patternList.isEmpty() )
  {
    for ( int i = 0; i < fields.count(); ++i )
      // The target is never a feature, even when it is an emb_* field: it would predict itself.
      if ( fields.at( i ).name().startsWith( QLatin1String( "emb_" ) ) && fields.at( i ).isNumeric() &&
           fields.at( i ).name() != exclude )
        indexes << i;
    if ( indexes.isEmpty() )
      throw QgsProcessingException(
          QObject::tr(
              "Layer “%1” has no emb_* fields%2; choose the numeric feature fields in FEATURES or FEATURE_PATTERN" )
              .arg( layerName, exclude.isEmpty() ? QString() : QObject::tr( " besides the target" ) ) );
    return indexes;
  }
  for ( const QString &name : chosen )
  {
    const int index = museclRequireField( fields, name, layerName, MuseclParameter::FEATURES );
    if ( !fields.at( index ).isNumeric() )
      throw QgsProcessingException(
          QObject::tr( "Field “%1” of layer “%2” is %3, not numeric; features must be numbers" )
              .arg( name, layerName, fields.at( index ).typeName() ) );
    if ( name == exclude )
      throw QgsProcessingException(
          QObject::tr( "Field “%1” is both the target and a feature; leave it out of FEATURES" ).arg( name ) );
    if ( !indexes.contains( index ) )
      indexes << index;
  }
  for ( const QString &rawPattern : patternList )
  {
    const QString pattern = rawPattern.trimmed();
    if ( pattern.isEmpty() )
      continue;
    const QRegularExpression re( QRegularExpression::wildcardToRegularExpression( pattern ) );
    int matched = 0;
    for ( int i = 0; i < fields.count(); ++i )
    {
      const QgsField &field = fields.at( i );
      if ( field.name() == exclude || !field.isNumeric() || !re.match( field.name() ).hasMatch() )
        continue;
      ++matched;
      if ( !indexes.contains( i ) )
        indexes << i;
    }
    if ( matched == 0 )
      throw QgsProcessingException(
          QObject::tr( "FEATURE_PATTERN “%1” matches no numeric field of layer “%2” (besides the target)" )
              .arg( pattern, layerName ) );
  }
  return indexes;
}

bool museclLacksEmbedding( const QgsFeature &feature, int hasEmbeddingIndex )
{
  if ( hasEmbeddingIndex < 0 )
    return false;
  const QVariant flag = feature.attribute( hasEmbeddingIndex );
  return !flag.isNull() && flag.toInt() == 0;
}

std::vector<double> museclFeatureRow( const QgsFeature &feature, const QList<int> &indexes, const QgsFields &fields,
                                      const QString &layerName, const QString &message )
{
  std::vector<double> row;
  for ( int index : indexes )
  {
    bool ok = false;
    const QVariant v = feature.attribute( index );
    const double x = v.toDouble( &ok );
    if ( v.isNull() || !ok || !std::isfinite( x ) )
      throw QgsProcessingException(
          QString( message )
              .arg( feature.id() )
              .arg( layerName, v.isNull() ? QStringLiteral( "NULL" ) : v.toString(), fields.at( index ).name() ) );
    row.push_back( x );
  }
  return row;
}
