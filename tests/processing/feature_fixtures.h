// Helpers shared by the tests of the region-feature algorithms: four hand-placed 1 km squares,
// points inside and outside them, and reading an algorithm's output back by region id. Inline, for
// several test files.
#pragma once

#include "qgis_test_support.h"

#include <qgscoordinatetransform.h>
#include <qgsprocessingutils.h>

#include <QMap>
#include <memory>

namespace feature_fixtures
{
  // Four 1 km squares in EPSG:32618 (UTM 18N), ids A B (bottom row) C D (top row):
  //   C: x 500000-501000, y 4401000-4402000   D: x 501000-502000, y 4401000-4402000
  //   A: x 500000-501000, y 4400000-4401000   B: x 501000-502000, y 4400000-4401000
  inline std::unique_ptr<QgsVectorLayer> squareRegions()
  {
    auto layer = std::make_unique<QgsVectorLayer>(
        QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string&field=name:string" ),
        QStringLiteral( "squares" ), QStringLiteral( "memory" ) );
    const QStringList ids{ "A", "B", "C", "D" };
    QgsFeatureList features;
    for ( int i = 0; i < 4; ++i )
    {
      const double x = 500000 + 1000 * ( i % 2 ), y = 4400000 + 1000 * ( i / 2 );
      QgsFeature f( layer->fields() );
      f.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 1000, y + 1000 ) ) );
      f.setAttributes( QgsAttributes() << ids[i] << QStringLiteral( "square %1" ).arg( ids[i] ) );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }

  inline QgsPointXY toWgs84( double x, double y )
  {
    const QgsCoordinateTransform t( QgsCoordinateReferenceSystem( "EPSG:32618" ),
                                    QgsCoordinateReferenceSystem( "EPSG:4326" ), QgsCoordinateTransformContext() );
    return t.transform( QgsPointXY( x, y ) );
  }

  inline QgsVectorLayer *layerOf( const AlgorithmRun &run, const QString &output, QgsProcessingContext &context )
  {
    return qobject_cast<QgsVectorLayer *>(
        QgsProcessingUtils::mapLayerFromString( run.outputs.value( output ).toString(), context ) );
  }

  inline QMap<QString, QgsFeature> byRegion( QgsVectorLayer *layer,
                                             const QString &idField = QStringLiteral( "region_id" ) )
  {
    QMap<QString, QgsFeature> out;
    QgsFeature f;
    QgsFeatureIterator it = layer->getFeatures();
    while ( it.nextFeature( f ) )
      out.insert( f.attribute( idField ).toString(), f );
    return out;
  }

  // Points inside squares A, B and C, and one outside every square.
  inline const QgsPointXY kInA( 500500, 4400500 ), kInB( 501500, 4400500 ), kInC( 500500, 4401500 ),
      kOutside( 520000, 4420000 );
} // namespace feature_fixtures
