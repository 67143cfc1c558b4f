#include "musecl_output_fields.h"

#include "musecl/geo/field_names.h"

MuseclOutputFields::MuseclOutputFields( const QgsFields &inputFields ) : mFields( inputFields )
{
  for ( const QgsField &field : inputFields )
    mTaken.insert( field.name().toLower().toStdString() );
}

QString MuseclOutputFields::add( const std::string &prefix, const std::string &value, QVariant::Type type )
{
  const QString name = QString::fromStdString( musecl::uniqueFieldName( prefix, value, mTaken ) );
  mFields.append( QgsField( name, type ) );
  return name;
}

QgsFeature MuseclOutputFields::extended( const QgsFeature &input, const QgsAttributes &added ) const
{
  QgsFeature out = input;
  out.setFields( mFields, false );
  out.setAttributes( input.attributes() + added );
  return out;
}
