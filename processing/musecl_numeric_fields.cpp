#include "musecl_numeric_fields.h"

#include "musecl_region_inputs.h"

#include <qgsexception.h>

QList<int> museclFeatureFields( const QgsFields &fields, const QStringList &chosen, const QString &layerName, const QString &exclude )
{
  QList<int> indexes;
  if ( chosen.isEmpty() )
  {
    for ( int i = 0; i < fields.count(); ++i )
      if ( fields.at( i ).name().startsWith( QLatin1String( "emb_" ) ) && fields.at( i ).isNumeric() )
        indexes << i;
    if ( indexes.isEmpty() )
      throw QgsProcessingException( QObject::tr( "Layer “%1” has no emb_* fields; choose the numeric feature fields in FEATURES" ).arg( layerName ) );
    return indexes;
  }
  for ( const QString &name : chosen )
  {
    const int index = museclRequireField( fields, name, layerName, QStringLiteral( "FEATURES" ) );
    if ( !fields.at( index ).isNumeric() )
      throw QgsProcessingException( QObject::tr( "Field “%1” of layer “%2” is %3, not numeric; features must be numbers" ).arg( name, layerName, fields.at( index ).typeName() ) );
    if ( name == exclude )
      throw QgsProcessingException( QObject::tr( "Field “%1” is both the target and a feature; leave it out of FEATURES" ).arg( name ) );
    indexes << index;
  }
  return indexes;
}
