// The bad-input catalogue (docs/bad-inputs.md), its cases for the region-feature algorithms:
// hexgrid, poifeatures, mobilityfeatures, streetview and imagechips. test_bad_inputs.cpp runs them.
#include "bad_input_fixtures.h"

#include <gtest/gtest.h>

#include <gdal_priv.h>

#include <QFile>
#include <cmath>
#include <memory>
#include <vector>

namespace bad_input_fixtures
{
  std::vector<Case> featureAlgorithmCases()
  {
    const QString squarePolygon = QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" );
    return {
      // ---- musecl:hexgrid -------------------------------------------------------------------
      { "HexgridZeroSize",
        "musecl:hexgrid",
        []( Env &e ) {
          return QVariantMap{ { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", 0 }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "HEX_SIZE" } },
      { "HexgridNegativeSize",
        "musecl:hexgrid",
        []( Env &e ) {
          return QVariantMap{ { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", -50 }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "HEX_SIZE" } },
      { "HexgridEmptyBoundary",
        "musecl:hexgrid",
        [squarePolygon]( Env & )
        {
          return QVariantMap{ { "INPUT", keep( std::make_unique<QgsVectorLayer>( squarePolygon, "empty", "memory" ) ) },
                              { "HEX_SIZE", 100 },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "empty" } },
      { "HexgridNullGeometryBoundary",
        "musecl:hexgrid",
        [squarePolygon]( Env & )
        {
          return QVariantMap{ { "INPUT", keep( withFeature( squarePolygon, QgsGeometry(), QgsAttributes() << "x" ) ) },
                              { "HEX_SIZE", 100 },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "odd" } },
      { "HexgridTooManyCells",
        "musecl:hexgrid",
        []( Env &e ) {
          return QVariantMap{ { "INPUT", e.layer( e.regions ) }, { "HEX_SIZE", 0.01 }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "hexagons" } },
      { "HexgridUnwritableOutput",
        "musecl:hexgrid",
        []( Env &e )
        {
          QFile blocker( e.dir.filePath( "blocker" ) );
          blocker.open( QIODevice::WriteOnly );
          return QVariantMap{ { "INPUT", e.layer( e.regions ) },
                              { "HEX_SIZE", 200 },
                              { "OUTPUT", e.dir.filePath( "blocker/grid.gpkg" ) } };
        },
        Expect::Fails,
        { "blocker" } },

      { "HexgridGeographicOutputCrs",
        "musecl:hexgrid",
        []( Env &e )
        {
          return QVariantMap{ { "INPUT", e.layer( e.regions ) },
                              { "HEX_SIZE", 200 },
                              { "TARGET_CRS", "EPSG:4326" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "EPSG:4326" } },
      { "HexgridSelfIntersectingBoundary",
        "musecl:hexgrid",
        [squarePolygon]( Env & )
        {
          // A bow tie: QGIS's own validity check is the one analysts know; the grid must not
          // silently come out empty or doubled.
          return QVariantMap{
            { "INPUT",
              keep( withFeature(
                  squarePolygon,
                  QgsGeometry::fromWkt(
                      "POLYGON((500000 4400000, 501000 4401000, 501000 4400000, 500000 4401000, 500000 4400000))" ),
                  QgsAttributes() << "x" ) ) },
            { "HEX_SIZE", 100 },
            { "OUTPUT", "memory:" }
          };
        },
        Expect::Warns,
        { "Boundary feature 1 of layer “odd” is an invalid polygon", "repaired with makeValid" } },

      // ---- musecl:poifeatures ---------------------------------------------------------------
      { "PoiFeaturesMissingCategoryField",
        "musecl:poifeatures",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "kind" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "kind" } },
      { "PoiFeaturesNoPoiInAnyRegion",
        "musecl:poifeatures",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "POIS", keep( withFeature( "Point?crs=EPSG:32618&field=fclass:string",
                                                           QgsGeometry::fromPointXY( QgsPointXY( 600000, 4500000 ) ),
                                                           QgsAttributes() << "shop" ) ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "odd" } },
      { "PoiFeaturesDuplicateRegionIds",
        "musecl:poifeatures",
        []( Env &e )
        {
          auto regions = Env::squares();
          regions->dataProvider()->changeAttributeValues( { { 2, { { 0, "A" } } } } );
          return QVariantMap{ { "REGIONS", keep( std::move( regions ) ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "“A”" } },
      { "PoiFeaturesNullRegionId",
        "musecl:poifeatures",
        []( Env &e )
        {
          auto regions = Env::squares();
          regions->dataProvider()->changeAttributeValues( { { 3, { { 0, QVariant() } } } } );
          return QVariantMap{ { "REGIONS", keep( std::move( regions ) ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "3" } },
      { "PoiFeaturesNullPoiGeometry",
        "musecl:poifeatures",
        []( Env &e )
        {
          auto pois =
              withFeature( "Point?crs=EPSG:32618&field=fclass:string", QgsGeometry(), QgsAttributes() << "shop" );
          QgsFeature inside( pois->fields() );
          inside.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( 500500, 4400500 ) ) );
          inside.setAttributes( QgsAttributes() << "park" );
          pois->dataProvider()->addFeatures( QgsFeatureList() << inside );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "POIS", keep( std::move( pois ) ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Warns,
        { "1 without geometry" } },
      { "PoiFeaturesNullCategory",
        "musecl:poifeatures",
        []( Env &e )
        {
          auto pois =
              withFeature( "Point?crs=EPSG:32618&field=fclass:string",
                           QgsGeometry::fromPointXY( QgsPointXY( 500500, 4400500 ) ), QgsAttributes() << QVariant() );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "POIS", keep( std::move( pois ) ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Warns,
        { "1 in no category" } },
      { "PoiFeaturesRegionWithoutGeometry",
        "musecl:poifeatures",
        []( Env &e )
        {
          auto regions = Env::squares();
          QgsFeature empty( regions->fields() );
          empty.setAttributes( QgsAttributes() << "E" );
          regions->dataProvider()->addFeatures( QgsFeatureList() << empty );
          return QVariantMap{ { "REGIONS", keep( std::move( regions ) ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Warns,
        { "Region 5 of layer “squares” has no polygon geometry and is skipped" },
        []( Env &, const AlgorithmRun &run )
        { EXPECT_EQ( run.outputs.value( "REGIONS_WITHOUT_GEOMETRY" ).toInt(), 1 ); } },
      { "PoiFeaturesRegionsWithoutCrs",
        "musecl:poifeatures",
        []( Env &e )
        {
          auto regions = withFeature( "Polygon?field=region_id:string",
                                      QgsGeometry::fromRect( QgsRectangle( 500000, 4400000, 501000, 4401000 ) ),
                                      QgsAttributes() << "A" );
          return QVariantMap{ { "REGIONS", keep( std::move( regions ) ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "do the layers overlap", "odd" } },

      // ---- musecl:mobilityfeatures ----------------------------------------------------------
      { "MobilityTextWeight",
        "musecl:mobilityfeatures",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", e.layer( e.flows ) },
                              { "WEIGHT_FIELD", "label" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "label" } },
      { "MobilityNegativeWeight",
        "musecl:mobilityfeatures",
        []( Env &e )
        {
          e.flows->dataProvider()->changeAttributeValues( { { 2, { { 0, -4.0 } } } } );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", e.layer( e.flows ) },
                              { "WEIGHT_FIELD", "trips" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "-4" } },
      { "MobilityNanWeight",
        "musecl:mobilityfeatures",
        []( Env &e )
        {
          e.flows->dataProvider()->changeAttributeValues( { { 2, { { 0, std::nan( "" ) } } } } );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", e.layer( e.flows ) },
                              { "WEIGHT_FIELD", "trips" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "Flow 2 of layer “flows”", "nan" } },
      { "MobilityMissingWeightField",
        "musecl:mobilityfeatures",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", e.layer( e.flows ) },
                              { "WEIGHT_FIELD", "riders" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "riders" } },
      { "MobilityTripPointsWithoutRoleField",
        "musecl:mobilityfeatures",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", e.layer( e.pois ) },
                              { "FLOW_TYPE", 1 },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "ROLE_FIELD" } },
      { "MobilityEveryFlowOutside",
        "musecl:mobilityfeatures",
        []( Env &e )
        {
          auto far = withFeature(
              "LineString?crs=EPSG:32618&field=trips:double",
              QgsGeometry::fromPolylineXY( { QgsPointXY( 600000, 4500000 ), QgsPointXY( 600100, 4500100 ) } ),
              QgsAttributes() << 3.0 );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", keep( std::move( far ) ) },
                              { "WEIGHT_FIELD", "trips" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "odd" } },
      { "MobilityOneEndOutside",
        "musecl:mobilityfeatures",
        []( Env &e )
        {
          QgsFeature out( e.flows->fields() );
          out.setGeometry(
              QgsGeometry::fromPolylineXY( { QgsPointXY( 500500, 4400500 ), QgsPointXY( 600000, 4500000 ) } ) );
          out.setAttributes( QgsAttributes() << 7.0 << "x" );
          e.flows->dataProvider()->addFeatures( QgsFeatureList() << out );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", e.layer( e.flows ) },
                              { "WEIGHT_FIELD", "trips" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Warns,
        { "1 flows (weight 7.00) have an end outside every region" } },

      { "PoiFeaturesEmptyPoiLayer",
        "musecl:poifeatures",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "POIS", keep( std::make_unique<QgsVectorLayer>(
                                            "Point?crs=EPSG:32618&field=fclass:string", "no_pois", "memory" ) ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "no_pois" } },

      // ---- musecl:streetview ----------------------------------------------------------------
      { "StreetViewMissingPathField",
        "musecl:streetview",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "IMAGES", e.layer( e.pois ) },
                              { "PATH_FIELD", "photo" },
                              { "OUTPUT", "memory:" },
                              { "OUTPUT_INDEX", "memory:" } };
        },
        Expect::Fails,
        { "photo" } },
      { "StreetViewMissingAndTruncatedPhotos",
        "musecl:streetview",
        []( Env &e )
        {
          // One photo that exists and decodes, one that does not exist, one cut in half.
          auto images =
              std::make_unique<QgsVectorLayer>( "Point?crs=EPSG:32618&field=photo:string", "photos", "memory" );
          const QString good = e.dir.filePath( "good.png" ), cut = e.dir.filePath( "cut.png" );
          GDALDataset *mem =
              GetGDALDriverManager()->GetDriverByName( "MEM" )->Create( "", 16, 16, 3, GDT_Byte, nullptr );
          GDALClose( GetGDALDriverManager()->GetDriverByName( "PNG" )->CreateCopy( good.toUtf8().constData(), mem,
                                                                                   FALSE, nullptr, nullptr, nullptr ) );
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
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "IMAGES", keep( std::move( images ) ) },
                              { "PATH_FIELD", "photo" },
                              { "CHECK_READABLE", true },
                              { "OUTPUT", "memory:" },
                              { "OUTPUT_INDEX", "memory:" } };
        },
        Expect::Warns,
        { "gone.jpg", "cut.png" } },

      // ---- musecl:imagechips ----------------------------------------------------------------
      { "ChipsRasterFileMissing",
        "musecl:imagechips",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "RASTER", e.dir.filePath( "nowhere.tif" ) },
                              { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) },
                              { "OUTPUT_INDEX", "memory:" } };
        },
        Expect::Fails,
        { "nowhere.tif", "does not exist" } },
      { "ChipsRasterFileCorrupt",
        "musecl:imagechips",
        []( Env &e )
        {
          QFile bad( e.dir.filePath( "bad.tif" ) );
          bad.open( QIODevice::WriteOnly );
          bad.write( "II*\0 this is not a TIFF" );
          bad.close();
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "RASTER", bad.fileName() },
                              { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) },
                              { "OUTPUT_INDEX", "memory:" } };
        },
        Expect::Fails,
        { "bad.tif", "exists, but GDAL cannot read it" } },
      { "ChipsSizeTooSmall",
        "musecl:imagechips",
        []( Env &e )
        {
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "RASTER", e.raster },
                              { "CHIP_SIZE", 4 },
                              { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) },
                              { "OUTPUT_INDEX", "memory:" } };
        },
        Expect::Fails,
        { "CHIP_SIZE" } },
      { "ChipsRasterElsewhere",
        "musecl:imagechips",
        []( Env &e )
        {
          const QString far = Env::writeRaster( e.dir.filePath( "far.tif" ), 700000, 4600000 );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "RASTER", far },
                              { "OUTPUT_FOLDER", e.dir.filePath( "chips" ) },
                              { "OUTPUT_INDEX", "memory:" } };
        },
        Expect::Fails,
        { "does not overlap" } },
      { "ChipsOutputFolderIsAFile",
        "musecl:imagechips",
        []( Env &e )
        {
          QFile blocker( e.dir.filePath( "chips" ) );
          blocker.open( QIODevice::WriteOnly );
          return QVariantMap{ { "REGIONS", e.layer( e.regions ) },
                              { "RASTER", e.raster },
                              { "OUTPUT_FOLDER", blocker.fileName() },
                              { "OUTPUT_INDEX", "memory:" } };
        },
        Expect::Fails,
        { "chips" } },
    };
  }
} // namespace bad_input_fixtures
