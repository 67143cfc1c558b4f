// Helpers shared by the tests of musecl:train, embed and predict: small layers with known answers
// (tabular regions with a planted linear target, a 16-square training city with POIs, flows and a
// raster) and the parameters that run the algorithms on them. Inline, for several test files.
#pragma once

#include "qgis_test_support.h"

#include <gtest/gtest.h>

#include <qgsprocessingutils.h>

#include <gdal_priv.h>

#include <QTemporaryDir>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace learning_fixtures
{
  inline QgsVectorLayer *layerOf( const AlgorithmRun &run, const QString &output, QgsProcessingContext &context )
  {
    return qobject_cast<QgsVectorLayer *>(
        QgsProcessingUtils::mapLayerFromString( run.outputs.value( output ).toString(), context ) );
  }

  // n square regions on a line in EPSG:32618 with numeric fields x0, x1 (random), target = 3 x0 - 2 x1 + 1
  // (+ noise), and emb_0/emb_1 copies of x0/x1.
  inline std::unique_ptr<QgsVectorLayer> tabularRegions( int n, double noise, std::uint32_t seed,
                                                         bool pureNoiseTarget = false )
  {
    auto layer = std::make_unique<QgsVectorLayer>(
        QStringLiteral(
            "Polygon?crs=EPSG:32618&field=region_id:string&field=x0:double&field=x1:double&field=emb_0:double&field=emb_1:double&field=target:double" ),
        QStringLiteral( "tabular" ), QStringLiteral( "memory" ) );
    std::mt19937 rng( seed );
    std::normal_distribution<double> g;
    QgsFeatureList features;
    for ( int i = 0; i < n; ++i )
    {
      const double x0 = g( rng ), x1 = g( rng );
      const double target = pureNoiseTarget ? g( rng ) : 3 * x0 - 2 * x1 + 1 + noise * g( rng );
      QgsFeature f( layer->fields() );
      const double x = 500000 + 1000 * ( i % 10 ), y = 4400000 + 1000 * ( i / 10 );
      f.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 1000, y + 1000 ) ) );
      f.setAttributes( QgsAttributes() << QStringLiteral( "r%1" ).arg( i ) << x0 << x1 << x0 << x1 << target );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }

  inline QVariantMap predictParams( QgsVectorLayer *layer, int model, int evaluation, bool log = false )
  {
    return { { "INPUT", QVariant::fromValue( layer ) },
             { "FEATURES", QStringList{ "x0", "x1" } },
             { "TARGET", "target" },
             { "LOG_TARGET", log },
             { "MODEL", model },
             { "EVALUATION", evaluation },
             { "FOLDS", 5 },
             { "OUTPUT", "memory:" } };
  }

  // A small city for training: 16 squares with POIs, flows and a raster.
  struct TrainingCity
  {
      QTemporaryDir dir;
      std::unique_ptr<QgsVectorLayer> regions, pois, flows;
      QString raster;
  };

  inline std::unique_ptr<TrainingCity> trainingCity()
  {
    auto city = std::make_unique<TrainingCity>();
    city->regions = std::make_unique<QgsVectorLayer>( QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" ),
                                                      QStringLiteral( "squares" ), QStringLiteral( "memory" ) );
    city->pois =
        std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=kind:string&field=name:string" ),
                                          QStringLiteral( "pois" ), QStringLiteral( "memory" ) );
    city->flows = std::make_unique<QgsVectorLayer>( QStringLiteral( "LineString?crs=EPSG:32618&field=trips:double" ),
                                                    QStringLiteral( "flows" ), QStringLiteral( "memory" ) );
    const char *kinds[] = { "park", "shop", "school", "bank" };
    QgsFeatureList regions, pois, flows;
    for ( int i = 0; i < 16; ++i )
    {
      const double x = 500000 + 500 * ( i % 4 ), y = 4400000 + 500 * ( i / 4 );
      QgsFeature r( city->regions->fields() );
      r.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 500, y + 500 ) ) );
      r.setAttributes( QgsAttributes() << QStringLiteral( "s%1" ).arg( i ) );
      regions << r;
      for ( int k = 0; k < 3 + i % 3; ++k )
      {
        QgsFeature p( city->pois->fields() );
        p.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( x + 50 + 90 * k, y + 250 ) ) );
        p.setAttributes( QgsAttributes() << kinds[( i + k ) % 4]
                                         << QStringLiteral( "%1 %2" ).arg( kinds[i % 4] ).arg( k ) );
        pois << p;
      }
      QgsFeature fl( city->flows->fields() );
      fl.setGeometry( QgsGeometry::fromPolylineXY(
          { QgsPointXY( x + 250, y + 250 ), QgsPointXY( 500000 + 500 * ( ( i + 5 ) % 4 ) + 250,
                                                        4400000 + 500 * ( ( ( i + 5 ) % 16 ) / 4 ) + 250 ) } ) );
      fl.setAttributes( QgsAttributes() << 10.0 * ( 1 + i % 4 ) );
      flows << fl;
    }
    city->regions->dataProvider()->addFeatures( regions );
    city->pois->dataProvider()->addFeatures( pois );
    city->flows->dataProvider()->addFeatures( flows );
    GDALAllRegister();
    city->raster = city->dir.filePath( "city.tif" );
    GDALDataset *ds = GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create( city->raster.toUtf8().constData(),
                                                                                  200, 200, 3, GDT_Byte, nullptr );
    double gt[6] = { 500000, 10, 0, 4402000, 0, -10 };
    ds->SetGeoTransform( gt );
    OGRSpatialReference srs;
    srs.importFromEPSG( 32618 );
    ds->SetSpatialRef( &srs );
    std::vector<unsigned char> pixels( 200 * 200 );
    for ( int b = 1; b <= 3; ++b )
    {
      for ( int k = 0; k < 200 * 200; ++k )
        pixels[k] = static_cast<unsigned char>( ( ( k % 200 ) / 50 * 60 + ( k / 200 ) / 50 * 30 * b ) % 256 );
      EXPECT_EQ( ds->GetRasterBand( b )->RasterIO( GF_Write, 0, 0, 200, 200, pixels.data(), 200, 200, GDT_Byte, 0, 0 ),
                 CE_None );
    }
    GDALClose( ds );
    return city;
  }

  inline QVariantMap trainParams( TrainingCity &city, const QString &model )
  {
    return { { "REGIONS", QVariant::fromValue( city.regions.get() ) },
             { "RASTER", city.raster },
             { "CHIP_SIZE", 32 },
             // These tests exercise the chip-triplet view; the scene-feature default has its own
             // (test_scene_features_algorithm.cpp).
             { "RS_MODE", 1 },
             { "POIS", QVariant::fromValue( city.pois.get() ) },
             { "CATEGORY_FIELD", "kind" },
             { "TEXT_FIELDS", QStringList{ "name" } },
             { "FLOWS", QVariant::fromValue( city.flows.get() ) },
             { "WEIGHT_FIELD", "trips" },
             { "EMBEDDING_SIZE", 8 },
             { "IMAGE_EPOCHS", 2 },
             { "FUSION_EPOCHS", 5 },
             { "MOBILITY_EPOCHS", 10 },
             { "BATCH_SIZE", 8 },
             { "RS_BACKBONE", 1 },
             { "THREADS", 2 },
             { "DEVICE", 1 },
             { "SEED", 5 },
             { "OUTPUT_MODEL", model },
             { "OUTPUT", "memory:" },
             { "OUTPUT_LOG", "memory:" } };
  }
} // namespace learning_fixtures
