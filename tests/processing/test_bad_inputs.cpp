// The bad-input catalogue (docs/bad-inputs.md), one CTest test per case: each bad input either
// fails with a QgsProcessingException whose text is asserted, or runs with an asserted warning.
// Cases that other tests already cover are listed in the catalogue with those tests' names.
#include "qgis_test_support.h"

#include <gtest/gtest.h>

#include <qgsgeometry.h>
#include <qgsprocessingutils.h>
#include <qgsvectorlayer.h>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <cstdio>
#include <functional>
#include <ostream>
#include <vector>

namespace
{
  // Four 1 km squares in EPSG:32618 (ids A-D), POIs and OD lines inside them, a 20 m RGB raster
  // over them, and a scratch folder.
  struct Env
  {
    QTemporaryDir dir;
    std::unique_ptr<QgsVectorLayer> regions, pois, flows;
    QString raster;

    static std::unique_ptr<QgsVectorLayer> squares( const QString &fields = QStringLiteral( "field=region_id:string" ) )
    {
      auto layer = std::make_unique<QgsVectorLayer>( QStringLiteral( "Polygon?crs=EPSG:32618&" ) + fields, QStringLiteral( "squares" ), QStringLiteral( "memory" ) );
      QgsFeatureList features;
      const QStringList ids { "A", "B", "C", "D" };
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
      pois = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=fclass:string&field=name:string" ), QStringLiteral( "pois" ), QStringLiteral( "memory" ) );
      flows = std::make_unique<QgsVectorLayer>( QStringLiteral( "LineString?crs=EPSG:32618&field=trips:double&field=label:string" ), QStringLiteral( "flows" ), QStringLiteral( "memory" ) );
      QgsFeatureList p, l;
      const char *kinds[] = { "shop", "park", "school" };
      for ( int i = 0; i < 4; ++i )
      {
        const double x = 500000 + 1000 * ( i % 2 ) + 500, y = 4400000 + 1000 * ( i / 2 ) + 500;
        for ( int k = 0; k < 3; ++k )
        {
          QgsFeature f( pois->fields() );
          f.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( x + 50 * k, y ) ) );
          f.setAttributes( QgsAttributes() << kinds[( i + k ) % 3] << QStringLiteral( "poi %1 %2" ).arg( i ).arg( k ) );
          p << f;
        }
        const int j = ( i + 1 ) % 4;
        QgsFeature line( flows->fields() );
        line.setGeometry( QgsGeometry::fromPolylineXY( { QgsPointXY( x, y ), QgsPointXY( 500000 + 1000 * ( j % 2 ) + 500, 4400000 + 1000 * ( j / 2 ) + 500 ) } ) );
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
      GDALDataset *ds = GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create( path.toUtf8().constData(), 100, 100, 3, GDT_Byte, nullptr );
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
        if ( ds->GetRasterBand( b )->RasterIO( GF_Write, 0, 0, 100, 100, pixels.data(), 100, 100, GDT_Byte, 0, 0 ) != CE_None )
          return QString();
      }
      GDALClose( ds );
      return path;
    }

    QVariant layer( const std::unique_ptr<QgsVectorLayer> &l ) const { return QVariant::fromValue( l.get() ); }
  };

  enum class Expect { Fails, Warns };

  struct Case
  {
    const char *name;
    const char *algorithm;
    std::function<QVariantMap( Env & )> parameters;
    Expect expect;
    std::vector<QString> fragments;  // all must appear in the error (Fails) or the log (Warns)
    std::function<void( Env &, const AlgorithmRun & )> after = {};  // further checks on what the run left behind
  };

  // The training parameters that keep a run small, around `inputs`.
  QVariantMap quickTrain( Env &e, QVariantMap inputs )
  {
    inputs.insert( "EMBEDDING_SIZE", 8 );
    inputs.insert( "IMAGE_EPOCHS", 1 );
    inputs.insert( "FUSION_EPOCHS", 2 );
    inputs.insert( "MOBILITY_EPOCHS", 5 );
    inputs.insert( "RS_BACKBONE", 1 );
    inputs.insert( "THREADS", 1 );
    inputs.insert( "DEVICE", 1 );
    if ( !inputs.contains( "OUTPUT_MODEL" ) )
      inputs.insert( "OUTPUT_MODEL", e.dir.filePath( "m.musecl" ) );
    inputs.insert( "OUTPUT", "memory:" );
    return inputs;
  }

  std::unique_ptr<QgsVectorLayer> withFeature( const QString &uri, const QgsGeometry &g, const QgsAttributes &a )
  {
    auto layer = std::make_unique<QgsVectorLayer>( uri, QStringLiteral( "odd" ), QStringLiteral( "memory" ) );
    QgsFeature f( layer->fields() );
    f.setGeometry( g );
    f.setAttributes( a );
    layer->dataProvider()->addFeatures( QgsFeatureList() << f );
    return layer;
  }

  // Layers that a case builds and the run reads: kept alive until the case ends.
  std::vector<std::unique_ptr<QgsVectorLayer>> gKeep;
  QVariant keep( std::unique_ptr<QgsVectorLayer> l )
  {
    gKeep.push_back( std::move( l ) );
    return QVariant::fromValue( gKeep.back().get() );
  }

  QVariantMap merged( QVariantMap a, const QVariantMap &b )
  {
    for ( auto it = b.begin(); it != b.end(); ++it )
      a.insert( it.key(), it.value() );
    return a;
  }

  std::vector<Case> catalogue();

  // gtest prints a parameter in test names and failures: the case's name, not its bytes.
  void PrintTo( const Case &c, std::ostream *os ) { *os << c.name; }
}

class BadInput : public ::testing::TestWithParam<Case>
{
  protected:
    void TearDown() override { gKeep.clear(); }
};

TEST_P( BadInput, IsRefusedOrWarnedAboutByName )
{
  const Case &c = GetParam();
  Env env;
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( QString::fromLatin1( c.algorithm ), c.parameters( env ), context, &feedback );
  const QString text = c.expect == Expect::Fails ? run.error : feedback.textLog();
  if ( c.expect == Expect::Fails )
    EXPECT_FALSE( run.ok ) << "expected a refusal; log: " << feedback.textLog().toStdString();
  else
    EXPECT_TRUE( run.ok ) << run.error.toStdString();
  if ( qEnvironmentVariableIsSet( "MUSECL_SHOW_MESSAGES" ) )
    std::printf( "%s: %s\n", c.name, text.trimmed().left( 300 ).toUtf8().constData() );
  for ( const QString &fragment : c.fragments )
    EXPECT_TRUE( text.contains( fragment ) ) << "missing “" << fragment.toStdString() << "” in: " << text.toStdString();
  if ( c.after )
    c.after( env, run );
}

INSTANTIATE_TEST_SUITE_P( Catalogue, BadInput, ::testing::ValuesIn( catalogue() ), []( const ::testing::TestParamInfo<Case> &info ) { return std::string( info.param.name ); } );

namespace
{
  std::vector<Case> catalogue()
  {
    const QString squarePolygon = QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" );
    return {
      // ---- musecl:hexgrid -------------------------------------------------------------------
      { "HexgridZeroSize", "musecl:hexgrid", []( Env & e ) { return QVariantMap { { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", 0 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "HEX_SIZE" } },
      { "HexgridNegativeSize", "musecl:hexgrid", []( Env & e ) { return QVariantMap { { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", -50 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "HEX_SIZE" } },
      { "HexgridEmptyBoundary", "musecl:hexgrid", [squarePolygon]( Env & ) {
          return QVariantMap { { "INPUT", keep( std::make_unique<QgsVectorLayer>( squarePolygon, "empty", "memory" ) ) }, { "HEX_SIZE", 100 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "empty" } },
      { "HexgridNullGeometryBoundary", "musecl:hexgrid", [squarePolygon]( Env & ) {
          return QVariantMap { { "INPUT", keep( withFeature( squarePolygon, QgsGeometry(), QgsAttributes() << "x" ) ) }, { "HEX_SIZE", 100 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "odd" } },
      { "HexgridTooManyCells", "musecl:hexgrid", []( Env & e ) { return QVariantMap { { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", 0.01 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "hexagons" } },
      { "HexgridUnwritableOutput", "musecl:hexgrid", []( Env & e ) {
          QFile blocker( e.dir.filePath( "blocker" ) );
          blocker.open( QIODevice::WriteOnly );
          return QVariantMap { { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", 200 }, { "OUTPUT", e.dir.filePath( "blocker/grid.gpkg" ) } }; },
        Expect::Fails, { "blocker" } },

      { "HexgridGeographicOutputCrs", "musecl:hexgrid", []( Env & e ) {
          return QVariantMap { { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", 200 }, { "TARGET_CRS", "EPSG:4326" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "EPSG:4326" } },
      { "HexgridSelfIntersectingBoundary", "musecl:hexgrid", [squarePolygon]( Env & ) {
          // A bow tie: QGIS's own validity check is the one analysts know; the grid must not
          // silently come out empty or doubled.
          return QVariantMap { { "INPUT", keep( withFeature( squarePolygon, QgsGeometry::fromWkt( "POLYGON((500000 4400000, 501000 4401000, 501000 4400000, 500000 4401000, 500000 4400000))" ), QgsAttributes() << "x" ) ) },
            { "HEX_SIZE", 100 }, { "OUTPUT", "memory:" } }; },
        Expect::Warns, { "Boundary feature 1 of layer “odd” is an invalid polygon", "repaired with makeValid" } },

      // ---- musecl:poifeatures ---------------------------------------------------------------
      { "PoiFeaturesMissingCategoryField", "musecl:poifeatures", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "kind" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "kind" } },
      { "PoiFeaturesNoPoiInAnyRegion", "musecl:poifeatures", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "POIS", keep( withFeature( "Point?crs=EPSG:32618&field=fclass:string", QgsGeometry::fromPointXY( QgsPointXY( 600000, 4500000 ) ), QgsAttributes() << "shop" ) ) },
            { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "odd" } },
      { "PoiFeaturesDuplicateRegionIds", "musecl:poifeatures", []( Env & e ) {
          auto regions = Env::squares();
          regions->dataProvider()->changeAttributeValues( { { 2, { { 0, "A" } } } } );
          return QVariantMap { { "REGIONS", keep( std::move( regions ) ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "“A”" } },
      { "PoiFeaturesNullRegionId", "musecl:poifeatures", []( Env & e ) {
          auto regions = Env::squares();
          regions->dataProvider()->changeAttributeValues( { { 3, { { 0, QVariant() } } } } );
          return QVariantMap { { "REGIONS", keep( std::move( regions ) ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "3" } },
      { "PoiFeaturesNullPoiGeometry", "musecl:poifeatures", []( Env & e ) {
          auto pois = withFeature( "Point?crs=EPSG:32618&field=fclass:string", QgsGeometry(), QgsAttributes() << "shop" );
          QgsFeature inside( pois->fields() );
          inside.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( 500500, 4400500 ) ) );
          inside.setAttributes( QgsAttributes() << "park" );
          pois->dataProvider()->addFeatures( QgsFeatureList() << inside );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "POIS", keep( std::move( pois ) ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Warns, { "1 without geometry" } },
      { "PoiFeaturesNullCategory", "musecl:poifeatures", []( Env & e ) {
          auto pois = withFeature( "Point?crs=EPSG:32618&field=fclass:string", QgsGeometry::fromPointXY( QgsPointXY( 500500, 4400500 ) ), QgsAttributes() << QVariant() );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "POIS", keep( std::move( pois ) ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Warns, { "1 in no category" } },
      { "PoiFeaturesRegionWithoutGeometry", "musecl:poifeatures", []( Env & e ) {
          auto regions = Env::squares();
          QgsFeature empty( regions->fields() );
          empty.setAttributes( QgsAttributes() << "E" );
          regions->dataProvider()->addFeatures( QgsFeatureList() << empty );
          return QVariantMap { { "REGIONS", keep( std::move( regions ) ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Warns, { "Region 5 of layer “squares” has no polygon geometry and is skipped" }, []( Env &, const AlgorithmRun & run ) {
          EXPECT_EQ( run.outputs.value( "REGIONS_WITHOUT_GEOMETRY" ).toInt(), 1 );
        } },
      { "PoiFeaturesRegionsWithoutCrs", "musecl:poifeatures", []( Env & e ) {
          auto regions = withFeature( "Polygon?field=region_id:string", QgsGeometry::fromRect( QgsRectangle( 500000, 4400000, 501000, 4401000 ) ), QgsAttributes() << "A" );
          return QVariantMap { { "REGIONS", keep( std::move( regions ) ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "do the layers overlap", "odd" } },

      // ---- musecl:mobilityfeatures ----------------------------------------------------------
      { "MobilityTextWeight", "musecl:mobilityfeatures", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.flows ) }, { "WEIGHT_FIELD", "label" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "label" } },
      { "MobilityNegativeWeight", "musecl:mobilityfeatures", []( Env & e ) {
          e.flows->dataProvider()->changeAttributeValues( { { 2, { { 0, -4.0 } } } } );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.flows ) }, { "WEIGHT_FIELD", "trips" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "-4" } },
      { "MobilityNanWeight", "musecl:mobilityfeatures", []( Env & e ) {
          e.flows->dataProvider()->changeAttributeValues( { { 2, { { 0, std::nan( "" ) } } } } );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.flows ) }, { "WEIGHT_FIELD", "trips" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "Flow 2 of layer “flows”", "nan" } },
      { "MobilityMissingWeightField", "musecl:mobilityfeatures", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.flows ) }, { "WEIGHT_FIELD", "riders" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "riders" } },
      { "MobilityTripPointsWithoutRoleField", "musecl:mobilityfeatures", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.pois ) }, { "FLOW_TYPE", 1 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "ROLE_FIELD" } },
      { "MobilityEveryFlowOutside", "musecl:mobilityfeatures", []( Env & e ) {
          auto far = withFeature( "LineString?crs=EPSG:32618&field=trips:double", QgsGeometry::fromPolylineXY( { QgsPointXY( 600000, 4500000 ), QgsPointXY( 600100, 4500100 ) } ), QgsAttributes() << 3.0 );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", keep( std::move( far ) ) }, { "WEIGHT_FIELD", "trips" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "odd" } },
      { "MobilityOneEndOutside", "musecl:mobilityfeatures", []( Env & e ) {
          QgsFeature out( e.flows->fields() );
          out.setGeometry( QgsGeometry::fromPolylineXY( { QgsPointXY( 500500, 4400500 ), QgsPointXY( 600000, 4500000 ) } ) );
          out.setAttributes( QgsAttributes() << 7.0 << "x" );
          e.flows->dataProvider()->addFeatures( QgsFeatureList() << out );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.flows ) }, { "WEIGHT_FIELD", "trips" }, { "OUTPUT", "memory:" } }; },
        Expect::Warns, { "1 flows (weight 7.00) have an end outside every region" } },

      { "PoiFeaturesEmptyPoiLayer", "musecl:poifeatures", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "POIS", keep( std::make_unique<QgsVectorLayer>( "Point?crs=EPSG:32618&field=fclass:string", "no_pois", "memory" ) ) },
            { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "no_pois" } },

      // ---- musecl:streetview ----------------------------------------------------------------
      { "StreetViewMissingPathField", "musecl:streetview", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "IMAGES", e.layer( e.pois ) }, { "PATH_FIELD", "photo" }, { "OUTPUT", "memory:" }, { "OUTPUT_INDEX", "memory:" } }; },
        Expect::Fails, { "photo" } },
      { "StreetViewMissingAndTruncatedPhotos", "musecl:streetview", []( Env & e ) {
          // One photo that exists and decodes, one that does not exist, one cut in half.
          auto images = std::make_unique<QgsVectorLayer>( "Point?crs=EPSG:32618&field=photo:string", "photos", "memory" );
          const QString good = e.dir.filePath( "good.png" ), cut = e.dir.filePath( "cut.png" );
          GDALDataset *mem = GetGDALDriverManager()->GetDriverByName( "MEM" )->Create( "", 16, 16, 3, GDT_Byte, nullptr );
          GDALClose( GetGDALDriverManager()->GetDriverByName( "PNG" )->CreateCopy( good.toUtf8().constData(), mem, FALSE, nullptr, nullptr, nullptr ) );
          GDALClose( mem );
          QFile::copy( good, cut );
          QFile c( cut );
          c.open( QIODevice::ReadWrite );
          c.resize( c.size() / 2 );
          c.close();
          QgsFeatureList points;
          for ( const QString &path : { good, e.dir.filePath( "gone.jpg" ), cut } )
          {
            QgsFeature f( images->fields() );
            f.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( 500500, 4400500 ) ) );
            f.setAttributes( QgsAttributes() << path );
            points << f;
          }
          images->dataProvider()->addFeatures( points );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "IMAGES", keep( std::move( images ) ) }, { "PATH_FIELD", "photo" }, { "CHECK_READABLE", true },
            { "OUTPUT", "memory:" }, { "OUTPUT_INDEX", "memory:" } }; },
        Expect::Warns, { "gone.jpg", "cut.png" } },

      // ---- musecl:imagechips ----------------------------------------------------------------
      { "ChipsRasterFileMissing", "musecl:imagechips", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "RASTER", e.dir.filePath( "nowhere.tif" ) }, { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) }, { "OUTPUT_INDEX", "memory:" } }; },
        Expect::Fails, { "nowhere.tif", "does not exist" } },
      { "ChipsRasterFileCorrupt", "musecl:imagechips", []( Env & e ) {
          QFile bad( e.dir.filePath( "bad.tif" ) );
          bad.open( QIODevice::WriteOnly );
          bad.write( "II*\0 this is not a TIFF" );
          bad.close();
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "RASTER", bad.fileName() }, { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) }, { "OUTPUT_INDEX", "memory:" } }; },
        Expect::Fails, { "bad.tif", "exists, but GDAL cannot read it" } },
      { "ChipsSizeTooSmall", "musecl:imagechips", []( Env & e ) {
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "RASTER", e.raster }, { "CHIP_SIZE", 4 }, { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) }, { "OUTPUT_INDEX", "memory:" } }; },
        Expect::Fails, { "CHIP_SIZE" } },
      { "ChipsRasterElsewhere", "musecl:imagechips", []( Env & e ) {
          const QString far = Env::writeRaster( e.dir.filePath( "far.tif" ), 700000, 4600000 );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "RASTER", far }, { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) }, { "OUTPUT_INDEX", "memory:" } }; },
        Expect::Fails, { "does not overlap" } },
      { "ChipsOutputFolderIsAFile", "musecl:imagechips", []( Env & e ) {
          QFile blocker( e.dir.filePath( "chips" ) );
          blocker.open( QIODevice::WriteOnly );
          return QVariantMap { { "REGIONS", e.layer( e.regions ) }, { "RASTER", e.raster }, { "OUTPUT_FOLDER", blocker.fileName() }, { "OUTPUT_INDEX", "memory:" } }; },
        Expect::Fails, { "chips" } },

      // ---- musecl:train ---------------------------------------------------------------------
      { "TrainPoisWithoutCategoryField", "musecl:train", []( Env & e ) { return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) } } ); },
        Expect::Fails, { "CATEGORY_FIELD" } },
      { "TrainModelFolderIsAFile", "musecl:train", []( Env & e ) {
          QFile blocker( e.dir.filePath( "models" ) );
          blocker.open( QIODevice::WriteOnly );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT_MODEL", e.dir.filePath( "models/m.musecl" ) } } ); },
        Expect::Fails, { "models" } },
      { "TrainSingleFlowPair", "musecl:train", []( Env & e ) {
          auto one = withFeature( "LineString?crs=EPSG:32618&field=trips:double", QgsGeometry::fromPolylineXY( { QgsPointXY( 500500, 4400500 ), QgsPointXY( 501500, 4400500 ) } ), QgsAttributes() << 5.0 );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "FLOWS", keep( std::move( one ) ) }, { "WEIGHT_FIELD", "trips" } } ); },
        Expect::Warns, { "joins only 1 region pair(s)" } },
      { "TrainRasterWithOneRegion", "musecl:train", [squarePolygon]( Env & e ) {
          return quickTrain( e, { { "REGIONS", keep( withFeature( squarePolygon, QgsGeometry::fromRect( QgsRectangle( 500000, 4400000, 501000, 4401000 ) ), QgsAttributes() << "A" ) ) }, { "RASTER", e.raster } } ); },
        Expect::Fails, { "fewer than the 3 a triplet needs" } },
      { "TrainPoisWithEmptyText", "musecl:train", []( Env & e ) {
          auto pois = withFeature( "Point?crs=EPSG:32618&field=fclass:string&field=name:string", QgsGeometry::fromPointXY( QgsPointXY( 500500, 4400500 ) ), QgsAttributes() << "" << "" );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", keep( std::move( pois ) ) }, { "CATEGORY_FIELD", "fclass" }, { "TEXT_FIELDS", QStringList { "name" } } } ); },
        Expect::Fails, { "no category or text words" } },

      { "TrainEmbeddingSizeOne", "musecl:train", []( Env & e ) {
          QVariantMap p = quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" } } );
          p.insert( "EMBEDDING_SIZE", 1 );
          return p; },
        Expect::Fails, { "EMBEDDING_SIZE" } },
      { "TrainFlowsAllOutside", "musecl:train", []( Env & e ) {
          auto far = withFeature( "LineString?crs=EPSG:32618&field=trips:double", QgsGeometry::fromPolylineXY( { QgsPointXY( 600000, 4500000 ), QgsPointXY( 600100, 4500100 ) } ), QgsAttributes() << 3.0 );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", keep( std::move( far ) ) }, { "WEIGHT_FIELD", "trips" } } ); },
        Expect::Fails, { "do the layers overlap", "odd" } },
      { "TrainTripPointsWithoutRoleField", "musecl:train", []( Env & e ) {
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.pois ) }, { "FLOW_TYPE", 1 } } ); },
        Expect::Fails, { "ROLE_FIELD" } },
      { "TrainRasterCorrupt", "musecl:train", []( Env & e ) {
          QFile bad( e.dir.filePath( "bad.tif" ) );
          bad.open( QIODevice::WriteOnly );
          bad.write( "not a raster" );
          bad.close();
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "RASTER", bad.fileName() } } ); },
        Expect::Fails, { "bad.tif", "GDAL cannot read it" } },
      { "TrainExistingModelSurvivesAFailedRun", "musecl:train", []( Env & e ) {
          // A previous model file exists; the new run fails (CATEGORY_FIELD missing): the old
          // file must be untouched and nothing staged left beside it.
          QFile old( e.dir.filePath( "m.musecl" ) );
          old.open( QIODevice::WriteOnly );
          old.write( "previous model" );
          old.close();
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) } } ); },
        Expect::Fails, { "CATEGORY_FIELD" }, []( Env & e, const AlgorithmRun & ) {
          QFile old( e.dir.filePath( "m.musecl" ) );
          ASSERT_TRUE( old.open( QIODevice::ReadOnly ) );
          EXPECT_EQ( old.readAll(), QByteArray( "previous model" ) ) << "the previous model file was changed by a failed run";
          EXPECT_EQ( QDir( e.dir.path() ).entryList( QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot ), ( QStringList { "city.tif", "m.musecl" } ) ) << "nothing staged is left";
        } },

      // ---- musecl:embed ---------------------------------------------------------------------
      { "EmbedModelMissing", "musecl:embed", []( Env & e ) {
          return QVariantMap { { "MODEL", e.dir.filePath( "none.musecl" ) }, { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "none.musecl" } },
      { "EmbedModelIsAnImage", "musecl:embed", []( Env & e ) {
          return QVariantMap { { "MODEL", e.raster }, { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "MODEL" } },
      { "EmbedTruncatedModel", "musecl:embed", []( Env & e ) {
          QgsProcessingContext c;
          const QVariantMap train = quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" } } );
          runAlgorithm( "musecl:train", train, c );
          QFile model( e.dir.filePath( "m.musecl" ) );
          model.open( QIODevice::ReadWrite );
          model.resize( model.size() / 2 );
          model.close();
          return QVariantMap { { "MODEL", model.fileName() }, { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "m.musecl" } },
      { "EmbedWithNoneOfTheModelsViews", "musecl:embed", []( Env & e ) {
          QgsProcessingContext c;
          runAlgorithm( "musecl:train", quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" } } ), c );
          return QVariantMap { { "MODEL", e.dir.filePath( "m.musecl" ) }, { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.flows ) }, { "WEIGHT_FIELD", "trips" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "none of the inputs this model uses was given", "POI text" } },

      { "EmbedRegionsTenTimesLarger", "musecl:embed", []( Env & e ) {
          QgsProcessingContext c;
          runAlgorithm( "musecl:train", quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" } } ), c );
          auto big = std::make_unique<QgsVectorLayer>( "Polygon?crs=EPSG:32618&field=region_id:string", "big", "memory" );
          QgsFeatureList f2;
          for ( int i = 0; i < 2; ++i )
          {
            QgsFeature f( big->fields() );
            f.setGeometry( QgsGeometry::fromRect( QgsRectangle( 490000 + 10000 * i, 4390000, 500000 + 10000 * i, 4400000 + 10000 ) ) );
            f.setAttributes( QgsAttributes() << QStringLiteral( "B%1" ).arg( i ) );
            f2 << f;
          }
          big->dataProvider()->addFeatures( f2 );
          return QVariantMap { { "MODEL", e.dir.filePath( "m.musecl" ) }, { "REGIONS", keep( std::move( big ) ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" }, { "OUTPUT", "memory:" } }; },
        Expect::Warns, { "may not be comparable" } },

      // ---- musecl:predict -------------------------------------------------------------------
      { "PredictNoFeatureFieldMatches", "musecl:predict", []( Env & e ) {
          auto t = Env::squares( "field=region_id:string&field=y:double" );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "FEATURE_PATTERN", "emb_*" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "emb_*" } },
      { "PredictNullFeatureValue", "musecl:predict", []( Env & ) {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double&field=y:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 }, { 2, 2.0 } } }, { 2, { { 2, 3.0 } } } } );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "Feature 2", "NULL", "emb_0" } },
      { "PredictSpatialFoldsWithoutGeometry", "musecl:predict", []( Env & ) {
          auto t = std::make_unique<QgsVectorLayer>( "None?field=emb_0:double&field=y:double", "table", "memory" );
          QgsFeatureList rows;
          for ( int i = 0; i < 30; ++i )
          {
            QgsFeature f( t->fields() );
            f.setAttributes( QgsAttributes() << double( i ) << double( 2 * i ) );
            rows << f;
          }
          t->dataProvider()->addFeatures( rows );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "EVALUATION", 2 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "Spatially blocked", "table" } },
      { "PredictTargetIsTheOnlyFeature", "musecl:predict", []( Env & ) {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "TARGET", "emb_0" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "no emb_* fields besides the target" } },

      { "PredictNoTargetAtAll", "musecl:predict", []( Env & ) {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double&field=y:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "only 0 regions have a target" } },
      { "PredictTextTargetField", "musecl:predict", []( Env & ) {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "TARGET", "region_id" }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "Feature 1 of layer “squares” has “A” in target field region_id" } },
      { "PredictReportFolderIsAFile", "musecl:predict", []( Env & e ) {
          auto t = std::make_unique<QgsVectorLayer>( "Point?crs=EPSG:32618&field=emb_0:double&field=y:double", "table", "memory" );
          QgsFeatureList rows;
          for ( int i = 0; i < 30; ++i )
          {
            QgsFeature f( t->fields() );
            f.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( 500000 + 100 * i, 4400000 ) ) );
            f.setAttributes( QgsAttributes() << double( i ) << double( 2 * i + 1 ) );
            rows << f;
          }
          t->dataProvider()->addFeatures( rows );
          QFile blocker( e.dir.filePath( "reports" ) );
          blocker.open( QIODevice::WriteOnly );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "OUTPUT_REPORT", e.dir.filePath( "reports/r.html" ) }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "reports" } },

      // ---- musecl:cluster -------------------------------------------------------------------
      { "ClusterMoreClustersThanRegions", "musecl:cluster", []( Env & ) {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "CLUSTERS", 6 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "fewer than the 6 clusters" } },
      { "ClusterNanFeature", "musecl:cluster", []( Env & ) {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 } } }, { 2, { { 1, std::nan( "" ) } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "CLUSTERS", 2 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "Feature 2", "emb_0" } },
      { "ClusterNoEmbeddingFields", "musecl:cluster", []( Env & e ) {
          return QVariantMap { { "INPUT", e.layer( e.regions ) }, { "CLUSTERS", 2 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "emb_" } },
      { "ClusterSingleRegion", "musecl:cluster", [squarePolygon]( Env & ) {
          auto t = withFeature( "Polygon?crs=EPSG:32618&field=emb_0:double", QgsGeometry::fromRect( QgsRectangle( 0, 0, 1, 1 ) ), QgsAttributes() << 1.0 );
          return QVariantMap { { "INPUT", keep( std::move( t ) ) }, { "CLUSTERS", 2 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "fewer than the 2 clusters" } },
      { "ClusterTextFeatureField", "musecl:cluster", []( Env & e ) {
          return QVariantMap { { "INPUT", e.layer( e.regions ) }, { "FEATURES", QStringList { "region_id" } }, { "CLUSTERS", 2 }, { "OUTPUT", "memory:" } }; },
        Expect::Fails, { "“region_id”", "not numeric" } },
    };
  }
}
