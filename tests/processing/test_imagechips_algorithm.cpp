// musecl:imagechips on a small raster over two of the squares: one chip per region with its valid
// fraction, masking, PNG output, regions in another CRS, and rasters that give no chip.
#include "feature_fixtures.h"

#include <gtest/gtest.h>

#include <gdal.h>
#include <gdal_priv.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <vector>

using namespace feature_fixtures;

namespace
{
  // A 3-band Byte GeoTIFF in EPSG:32618 covering squares A and B only (x 500000-502000,
  // y 4400000-4401000) at 10 m, with the value 7 everywhere except nodata (0) over x > 501500.
  QString makeRaster( const QString &dir, int nodataFromColumn = 150 )
  {
    GDALAllRegister();
    const QString path = dir + QStringLiteral( "/image.tif" );
    GDALDataset *ds = GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create( path.toUtf8().constData(), 200, 100,
                                                                                  3, GDT_Byte, nullptr );
    double gt[6] = { 500000, 10, 0, 4401000, 0, -10 };
    ds->SetGeoTransform( gt );
    OGRSpatialReference srs;
    srs.importFromEPSG( 32618 );
    ds->SetSpatialRef( &srs );
    std::vector<unsigned char> pixels( 200 * 100, 7 );
    for ( int row = 0; row < 100; ++row )
      for ( int col = nodataFromColumn; col < 200; ++col )
        pixels[row * 200 + col] = 0;
    for ( int b = 1; b <= 3; ++b )
    {
      ds->GetRasterBand( b )->SetNoDataValue( 0 );
      EXPECT_EQ( ds->GetRasterBand( b )->RasterIO( GF_Write, 0, 0, 200, 100, pixels.data(), 200, 100, GDT_Byte, 0, 0 ),
                 CE_None );
    }
    GDALClose( ds );
    return path;
  }

  QVariantMap chipParams( QgsVectorLayer *regions, const QString &raster, const QString &folder )
  {
    return { { "REGIONS", QVariant::fromValue( regions ) },
             { "RASTER", raster },
             { "CHIP_SIZE", 32 },
             { "OUTPUT_FOLDER", folder },
             { "OUTPUT_INDEX", "memory:" },
             { "THREADS", 2 } };
  }
} // namespace

TEST( ImageChips, OneChipPerRegionWithValidFractionsAndNoChipWhereNoData )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path() );
  auto regions = squareRegions();
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const QString folder = dir.filePath( "chips" );
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ),
                                         chipParams( regions.get(), raster, folder ), context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "CHIP_COUNT" ).toLongLong(), 2 ) << "C and D lie north of the raster";
  EXPECT_EQ( run.outputs.value( "REGIONS_WITHOUT_CHIP" ).toLongLong(), 2 );
  EXPECT_TRUE( feedback.textLog().contains( "C, D" ) ) << feedback.textLog().toStdString();
  const auto index = byRegion( layerOf( run, "OUTPUT_INDEX", context ) );
  EXPECT_DOUBLE_EQ( index["A"].attribute( "valid_fraction" ).toDouble(), 1.0 );
  // B: columns 100-199 of the raster, the eastern half nodata -> half its chip is valid.
  EXPECT_NEAR( index["B"].attribute( "valid_fraction" ).toDouble(), 0.5, 1.0 / 32 );
  EXPECT_TRUE( index["C"].attribute( "path" ).isNull() );
  const QString chipA = index["A"].attribute( "path" ).toString();
  EXPECT_EQ( chipA, QDir( folder ).absoluteFilePath( "chip_a.tif" ) );
  GDALDatasetH chip = GDALOpen( chipA.toUtf8().constData(), GA_ReadOnly );
  ASSERT_TRUE( chip );
  EXPECT_EQ( GDALGetRasterXSize( chip ), 32 );
  EXPECT_EQ( GDALGetRasterCount( chip ), 3 );
  double gt[6];
  GDALGetGeoTransform( chip, gt );
  EXPECT_NEAR( gt[0], 500000, 1e-6 );
  EXPECT_NEAR( gt[1], 1000.0 / 32, 1e-9 );
  double minMax[2];
  GDALComputeRasterMinMax( GDALGetRasterBand( chip, 1 ), FALSE, minMax );
  EXPECT_EQ( minMax[0], 7 );
  EXPECT_EQ( minMax[1], 7 );
  GDALClose( chip );
  EXPECT_EQ( QDir( folder ).entryList( QDir::Files ).size(), 2 );
  EXPECT_TRUE( QDir( folder ).entryList( QStringList() << ".musecl-partial-*", QDir::Dirs | QDir::Hidden ).isEmpty() );
}

TEST( ImageChips, MaskAndPngAndRegionsInAnotherCrs )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path(), 200 );
  // A triangle over square A, given in EPSG:4326: masking keeps about half of its bounding square.
  const QgsPointXY a = toWgs84( 500000, 4400000 ), b = toWgs84( 501000, 4400000 ), c = toWgs84( 500000, 4401000 );
  auto triangle =
      polygonLayer( QStringLiteral( "EPSG:4326" ), { QStringLiteral( "POLYGON((%1 %2, %3 %4, %5 %6, %1 %2))" )
                                                         .arg( a.x(), 0, 'f', 9 )
                                                         .arg( a.y(), 0, 'f', 9 )
                                                         .arg( b.x(), 0, 'f', 9 )
                                                         .arg( b.y(), 0, 'f', 9 )
                                                         .arg( c.x(), 0, 'f', 9 )
                                                         .arg( c.y(), 0, 'f', 9 ) } );
  QVariantMap params = chipParams( triangle.get(), raster, dir.filePath( "png" ) );
  params.insert( "MASK", true );
  params.insert( "FORMAT", 1 );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ), params, context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  QgsFeature row;
  layerOf( run, "OUTPUT_INDEX", context )->getFeatures().nextFeature( row );
  EXPECT_NEAR( row.attribute( "valid_fraction" ).toDouble(), 0.5, 0.05 );
  EXPECT_TRUE( row.attribute( "path" ).toString().endsWith( ".png" ) );
  EXPECT_TRUE( QFile::exists( row.attribute( "path" ).toString() ) );
}

TEST( ImageChips, RasterNotOverlappingTheRegionsIsRefusedWithBothExtents )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path() );
  auto far =
      polygonLayer( QStringLiteral( "EPSG:32618" ),
                    { QStringLiteral( "POLYGON((600000 4500000, 601000 4500000, 601000 4501000, 600000 4500000))" ) },
                    QStringLiteral( "far_regions" ) );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ),
                                         chipParams( far.get(), raster, dir.filePath( "none" ) ), context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( "does not overlap" ) && run.error.contains( "far_regions" ) &&
               run.error.contains( "500000" ) && run.error.contains( "600000" ) )
      << run.error.toStdString();
  EXPECT_FALSE( QDir( dir.filePath( "none" ) ).exists() &&
                !QDir( dir.filePath( "none" ) ).entryList( QDir::Files ).isEmpty() );
}

TEST( ImageChips, NodataOnlyRasterGivesAClearError )
{
  QTemporaryDir dir;
  const QString raster = makeRaster( dir.path(), 0 ); // every pixel nodata
  auto regions = squareRegions();
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:imagechips" ),
                                         chipParams( regions.get(), raster, dir.filePath( "chips" ) ), context );
  EXPECT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( "No region" ) && run.error.contains( "valid pixel" ) ) << run.error.toStdString();
  EXPECT_TRUE( QDir( dir.filePath( "chips" ) ).entryList( QDir::Files ).isEmpty() ) << "nothing written";
}
