// Shared by the files of the bad-input catalogue (test_bad_inputs*.cpp): the small city every case
// starts from, what a case is, and the layers a case builds and keeps alive until it ends. Inline,
// for several test files.
#pragma once

#include "qgis_test_support.h"

#include <qgsgeometry.h>
#include <qgsvectorlayer.h>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <QTemporaryDir>
#include <functional>
#include <memory>
#include <ostream>
#include <vector>

namespace bad_input_fixtures
{
  // Four 1 km squares in EPSG:32618 (ids A-D), POIs and OD lines inside them, a 20 m RGB raster
  // over them, and a scratch folder.
  struct Env
  {
      QTemporaryDir dir;
      std::unique_ptr<QgsVectorLayer> regions, pois, flows;
      QString raster;

      static std::unique_ptr<QgsVectorLayer>
      squares( const QString &fields = QStringLiteral( "field=region_id:string" ) )
      {
        auto layer = std::make_unique<QgsVectorLayer>( QStringLiteral( "Polygon?crs=EPSG:32618&" ) + fields,
                                                       QStringLiteral( "squares" ), QStringLiteral( "memory" ) );
        QgsFeatureList features;
        const QStringList ids{ "A", "B", "C", "D" };
        for ( int i = 0; i < 4; ++i )
        {
          const double x = 500000 + 1000 * ( i % 2 ), y = 4400000 + 1000 * ( i / 2 );
          QgsFeature f( layer->fields() );
          f.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 1000, y + 1000 ) ) );
          f.setAttributes( QgsAttributes() << ids[i] );
          features << f;
        }
        layer->dataProvider()->addFeatures( features );
        return layer;
      }

      Env()
      {
        regions = squares();
        pois = std::make_unique<QgsVectorLayer>(
            QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string&field=name:string" ), QStringLiteral( "pois" ),
            QStringLiteral( "memory" ) );
        flows = std::make_unique<QgsVectorLayer>(
            QStringLiteral( "LineString?crs=EPSG:32618&field=trips:double&field=label:string" ),
            QStringLiteral( "flows" ), QStringLiteral( "memory" ) );
        QgsFeatureList p, l;
        const char *kinds[] = { "shop", "park", "school" };
        for ( int i = 0; i < 4; ++i )
        {
          const double x = 500000 + 1000 * ( i % 2 ) + 500, y = 4400000 + 1000 * ( i / 2 ) + 500;
          for ( int k = 0; k < 3; ++k )
          {
            QgsFeature f( pois->fields() );
            f.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( x + 50 * k, y ) ) );
            f.setAttributes( QgsAttributes()
                             << kinds[( i + k ) % 3] << QStringLiteral( "poi %1 %2" ).arg( i ).arg( k ) );
            p << f;
          }
          const int j = ( i + 1 ) % 4;
          QgsFeature line( flows->fields() );
          line.setGeometry(
              QgsGeometry::fromPolylineXY( { QgsPointXY( x, y ), QgsPointXY( 500000 + 1000 * ( j % 2 ) + 500,
                                                                             4400000 + 1000 * ( j / 2 ) + 500 ) } ) );
          line.setAttributes( QgsAttributes() << 10.0 * ( i + 1 ) << QStringLiteral( "ten" ) );
          l << line;
        }
        pois->dataProvider()->addFeatures( p );
        flows->dataProvider()->addFeatures( l );
        raster = writeRaster( dir.filePath( "city.tif" ), 500000, 4402000 );
      }

      static QString writeRaster( const QString &path, double left, double top )
      {
        GDALAllRegister();
        GDALDataset *ds = GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create( path.toUtf8().constData(), 100,
                                                                                      100, 3, GDT_Byte, nullptr );
        double gt[6] = { left, 20, 0, top, 0, -20 };
        ds->SetGeoTransform( gt );
        OGRSpatialReference srs;
        srs.importFromEPSG( 32618 );
        ds->SetSpatialRef( &srs );
        std::vector<unsigned char> pixels( 100 * 100 );
        for ( int b = 1; b <= 3; ++b )
        {
          for ( int k = 0; k < 100 * 100; ++k )
            pixels[k] = static_cast<unsigned char>( ( k % 100 ) * 2 + b * 20 );
          if ( ds->GetRasterBand( b )->RasterIO( GF_Write, 0, 0, 100, 100, pixels.data(), 100, 100, GDT_Byte, 0, 0 ) !=
               CE_None )
            return QString();
        }
        GDALClose( ds );
        return path;
      }

      QVariant layer( const std::unique_ptr<QgsVectorLayer> &l ) const { return QVariant::fromValue( l.get() ); }
  };

  enum class Expect
  {
    Fails,
    Warns
  };

  struct Case
  {
      const char *name;
      const char *algorithm;
      std::function<QVariantMap( Env & )> parameters;
      Expect expect;
      std::vector<QString> fragments; // all must appear in the error (Fails) or the log (Warns)
      std::function<void( Env &, const AlgorithmRun & )> after = {}; // further checks on what the run left behind
  };

  inline std::unique_ptr<QgsVectorLayer> withFeature( const QString &uri, const QgsGeometry &g, const QgsAttributes &a )
  {
    auto layer = std::make_unique<QgsVectorLayer>( uri, QStringLiteral( "odd" ), QStringLiteral( "memory" ) );
    QgsFeature f( layer->fields() );
    f.setGeometry( g );
    f.setAttributes( a );
    layer->dataProvider()->addFeatures( QgsFeatureList() << f );
    return layer;
  }

  // Layers that a case builds and the run reads: kept alive until the case ends.
  inline std::vector<std::unique_ptr<QgsVectorLayer>> gKeep;
  inline QVariant keep( std::unique_ptr<QgsVectorLayer> l )
  {
    gKeep.push_back( std::move( l ) );
    return QVariant::fromValue( gKeep.back().get() );
  }

  // gtest prints a parameter in test names and failures: the case's name, not its bytes.
  inline void PrintTo( const Case &c, std::ostream *os ) { *os << c.name; }

  // The cases of the catalogue, by the algorithms they run (test_bad_inputs_features.cpp and
  // test_bad_inputs_learning.cpp), in the catalogue's order.
  std::vector<Case> featureAlgorithmCases();
  std::vector<Case> learningAlgorithmCases();
} // namespace bad_input_fixtures
