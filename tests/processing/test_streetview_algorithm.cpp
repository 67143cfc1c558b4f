// musecl:streetview: photos assigned to the squares they were taken in, with paths relative to
// the layer's folder, and the unreadable, missing and outside ones reported.
#include "feature_fixtures.h"

#include <gtest/gtest.h>

#include <qgsvectorfilewriter.h>

#include <gdal_priv.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <utility>

using namespace feature_fixtures;

TEST( StreetView, AssignsReadableImagesAndReportsTheRest )
{
  QTemporaryDir dir;
  QDir().mkpath( dir.filePath( "photos" ) );
  GDALAllRegister();
  GDALDriver *mem = GetGDALDriverManager()->GetDriverByName( "MEM" );
  GDALDriver *png = GetGDALDriverManager()->GetDriverByName( "PNG" );
  for ( const char *name : { "a1.png", "a2.png", "b1.png", "far.png" } )
  {
    GDALDataset *src = mem->Create( "", 4, 4, 3, GDT_Byte, nullptr );
    GDALClose( png->CreateCopy( dir.filePath( QStringLiteral( "photos/%1" ).arg( name ) ).toUtf8().constData(), src,
                                FALSE, nullptr, nullptr, nullptr ) );
    GDALClose( src );
  }
  QFile corrupt( dir.filePath( "photos/corrupt.jpg" ) );
  corrupt.open( QIODevice::WriteOnly );
  corrupt.write( "not an image" );
  corrupt.close();

  // A GeoPackage in `dir` with paths relative to it: they must resolve against the layer's folder.
  auto memoryPoints = std::make_unique<QgsVectorLayer>( QStringLiteral( "Point?crs=EPSG:32618&field=file:string" ),
                                                        QStringLiteral( "photos" ), QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( const auto &[p, file] : QList<std::pair<QgsPointXY, QVariant>>{ { kInA, "photos/a1.png" },
                                                                        { kInA, "photos/a2.png" },
                                                                        { kInB, "photos/b1.png" },
                                                                        { kInB, "photos/missing.png" },
                                                                        { kInC, "photos/corrupt.jpg" },
                                                                        { kOutside, "photos/far.png" },
                                                                        { kInC, QVariant() } } )
  {
    QgsFeature f( memoryPoints->fields() );
    f.setGeometry( QgsGeometry::fromPointXY( p ) );
    f.setAttributes( QgsAttributes() << file );
    features << f;
  }
  memoryPoints->dataProvider()->addFeatures( features );
  const QString gpkg = dir.filePath( "photos.gpkg" );
  QgsVectorFileWriter::SaveVectorOptions options;
  options.driverName = QStringLiteral( "GPKG" );
  QString error;
  ASSERT_EQ( QgsVectorFileWriter::writeAsVectorFormatV3( memoryPoints.get(), gpkg, QgsCoordinateTransformContext(),
                                                         options, &error ),
             QgsVectorFileWriter::NoError )
      << error.toStdString();

  auto regions = squareRegions();
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( QStringLiteral( "musecl:streetview" ),
                                         { { "REGIONS", QVariant::fromValue( regions.get() ) },
                                           { "IMAGES", gpkg },
                                           { "PATH_FIELD", "file" },
                                           { "OUTPUT", "memory:" },
                                           { "OUTPUT_INDEX", "memory:" } },
                                         context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_EQ( run.outputs.value( "IMAGES_ASSIGNED" ).toLongLong(), 3 );
  EXPECT_EQ( run.outputs.value( "IMAGES_REJECTED" ).toLongLong(), 4 ) << "missing, corrupt, outside, no path";
  const QString log = feedback.textLog();
  EXPECT_TRUE( log.contains( "missing.png" ) && log.contains( "corrupt.jpg" ) && log.contains( "far.png" ) )
      << log.toStdString();
  const auto r = byRegion( layerOf( run, "OUTPUT", context ) );
  EXPECT_EQ( r["A"].attribute( "sv_images" ).toInt(), 2 );
  EXPECT_EQ( r["B"].attribute( "sv_images" ).toInt(), 1 );
  EXPECT_EQ( r["C"].attribute( "sv_images" ).toInt(), 0 );
  QgsFeature row;
  QgsFeatureIterator it = layerOf( run, "OUTPUT_INDEX", context )->getFeatures();
  while ( it.nextFeature( row ) )
    EXPECT_TRUE( QFileInfo( row.attribute( "image_path" ).toString() ).isAbsolute() &&
                 QFile::exists( row.attribute( "image_path" ).toString() ) );
}
