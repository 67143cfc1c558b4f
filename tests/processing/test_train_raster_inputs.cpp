// musecl:train and musecl:embed with raster inputs: the chip size the model keeps, band choice and
// radiometry of a 6-band scene, and the embedding-raster view.
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <gdal_priv.h>

#include <QFileInfo>
#include <QTemporaryDir>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <utility>
#include <vector>

using namespace learning_fixtures;

TEST( TrainEmbed, ChipSizeFollowsTheRasterAndTheModelKeepsIt )
{
  // 500 m squares over 10 m pixels span 50 pixels: the automatic size is 128 (twice that, rounded
  // up to a multiple of 32), and musecl:embed cuts its chips at the model's size without choosing again.
  auto city = trainingCity();
  const QString model = city->dir.filePath( "auto.musecl" );
  QVariantMap params = trainParams( *city, model );
  params.remove( "CHIP_SIZE" );
  QgsProcessingContext context;
  QgsProcessingFeedback trainFeedback, embedFeedback;
  const AlgorithmRun train = runAlgorithm( "musecl:train", params, context, &trainFeedback );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  EXPECT_TRUE( trainFeedback.textLog().contains( "16 chips of 128 px (automatic" ) )
      << trainFeedback.textLog().toStdString();
  const AlgorithmRun embed = runAlgorithm( "musecl:embed",
                                           { { "MODEL", model },
                                             { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                             { "RASTER", city->raster },
                                             { "OUTPUT", "memory:" } },
                                           context, &embedFeedback );
  ASSERT_TRUE( embed.ok ) << embed.error.toStdString();
  EXPECT_TRUE( embedFeedback.textLog().contains(
      "16 chips of 128 px, each covering the square around its region's bounding box" ) )
      << embedFeedback.textLog().toStdString();

  // A fixed ground window: 1000 m over 10 m pixels is 100 pixels, so chips of 224 px (twice,
  // rounded up to a multiple of 32); the model keeps the window and musecl:embed cuts the same.
  params.insert( "CHIP_WINDOW", 1000 );
  params.insert( "OUTPUT_MODEL", city->dir.filePath( "window.musecl" ) );
  QgsProcessingFeedback windowTrain, windowEmbed;
  const AlgorithmRun windowed = runAlgorithm( "musecl:train", params, context, &windowTrain );
  ASSERT_TRUE( windowed.ok ) << windowed.error.toStdString();
  EXPECT_TRUE( windowTrain.textLog().contains( "16 chips of 224 px (automatic: twice the window's side" ) &&
               windowTrain.textLog().contains( "each covering a fixed 1000 m square centred on its region" ) )
      << windowTrain.textLog().toStdString();
  const AlgorithmRun windowedEmbed = runAlgorithm( "musecl:embed",
                                                   { { "MODEL", city->dir.filePath( "window.musecl" ) },
                                                     { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                                     { "RASTER", city->raster },
                                                     { "OUTPUT", "memory:" } },
                                                   context, &windowEmbed );
  ASSERT_TRUE( windowedEmbed.ok ) << windowedEmbed.error.toStdString();
  EXPECT_TRUE( windowEmbed.textLog().contains( "16 chips of 224 px, each covering a fixed 1000 m square" ) )
      << windowEmbed.textLog().toStdString();
}

namespace
{
  // A 6-band UInt16 scene over the training city (200 x 200 pixels of 10 m). Physical values are
  // a per-band pattern of the 4 x 4 squares; the file stores physical * gain with band scale 1/gain.
  // `brightness` multiplies the physical values (another scene, not another delivery).
  QString sixBandScene( const QTemporaryDir &dir, const QString &name, int gain, int brightness = 1 )
  {
    const QString path = dir.filePath( name );
    GDALDataset *ds = GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create( path.toUtf8().constData(), 200, 200,
                                                                                  6, GDT_UInt16, nullptr );
    double gt[6] = { 500000, 10, 0, 4402000, 0, -10 };
    ds->SetGeoTransform( gt );
    OGRSpatialReference srs;
    srs.importFromEPSG( 32618 );
    ds->SetSpatialRef( &srs );
    std::vector<std::uint16_t> pixels( 200 * 200 );
    for ( int b = 1; b <= 6; ++b )
    {
      for ( int k = 0; k < 200 * 200; ++k )
      {
        const int square = ( k % 200 ) / 50 + 4 * ( ( k / 200 ) / 50 );
        const int physical = 800 + ( ( square * 37 * b ) % 1600 ) + 3 * ( k % 7 ); // 800-2420, texture within squares
        pixels[k] = static_cast<std::uint16_t>( physical * brightness * gain );
      }
      GDALRasterBand *band = ds->GetRasterBand( b );
      EXPECT_EQ( band->RasterIO( GF_Write, 0, 0, 200, 200, pixels.data(), 200, 200, GDT_UInt16, 0, 0 ), CE_None );
      if ( gain != 1 )
        band->SetScale( 1.0 / gain );
    }
    GDALClose( ds );
    return path;
  }

  QMap<QString, std::vector<double>> embeddingsById( const AlgorithmRun &run, QgsProcessingContext &context,
                                                     int dimension )
  {
    QMap<QString, std::vector<double>> out;
    QgsFeature f;
    QgsFeatureIterator it = layerOf( run, "OUTPUT", context )->getFeatures();
    while ( it.nextFeature( f ) )
      for ( int k = 0; k < dimension; ++k )
        out[f.attribute( "region_id" ).toString()].push_back(
            f.attribute( QStringLiteral( "emb_%1" ).arg( k ) ).toDouble() );
    return out;
  }

  double largestDifference( const QMap<QString, std::vector<double>> &a, const QMap<QString, std::vector<double>> &b )
  {
    double d = 0;
    for ( auto it = a.constBegin(); it != a.constEnd(); ++it )
      for ( std::size_t k = 0; k < it.value().size(); ++k )
        d = std::max( d, std::fabs( it.value()[k] - b.value( it.key() ).at( k ) ) );
    return d;
  }
} // namespace

TEST( TrainEmbed, SixBandUInt16SceneTrainsOnChosenBandsAndAnotherGainEmbedsAlike )
{
  // Issue 11: band choice, radiometry per raster (not per chip) in physical values, stored in the
  // model; a second delivery of the scene with gain 4 (scale 0.25) embeds like the first, a scene
  // three times as bright does not, and is warned about.
  auto city = trainingCity();
  const QString scene = sixBandScene( city->dir, "six.tif", 1 ), gain4 = sixBandScene( city->dir, "six_gain4.tif", 4 ),
                bright = sixBandScene( city->dir, "six_bright.tif", 1, 3 );
  const QString model = city->dir.filePath( "six.musecl" );
  QVariantMap params = trainParams( *city, model );
  for ( const char *key : { "POIS", "CATEGORY_FIELD", "TEXT_FIELDS", "FLOWS", "WEIGHT_FIELD" } )
    params.remove( key ); // the raster alone, so that the embedding is the image encoder's
  params.insert( "RASTER", scene );
  params.insert( "RS_BANDS", "4,3,2" );
  QgsProcessingContext context;
  QgsProcessingFeedback trainFeedback;
  const AlgorithmRun train = runAlgorithm( "musecl:train", params, context, &trainFeedback );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  const QString log = trainFeedback.textLog();
  EXPECT_TRUE( log.contains( "Raster radiometry of" ) && log.contains( "bands 4,3,2 as R,G,B" ) ) << log.toStdString();
  EXPECT_TRUE( log.contains( "chips scaled per raster, not per chip" ) ) << log.toStdString();

  auto embedWith = [&]( const QString &raster, QgsProcessingFeedback *feedback )
  {
    return runAlgorithm( "musecl:embed",
                         { { "MODEL", model },
                           { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                           { "RASTER", raster },
                           { "THREADS", 2 },
                           { "OUTPUT", "memory:" } },
                         context, feedback );
  };
  QgsProcessingFeedback sameFeedback, gainFeedback, brightFeedback;
  const AlgorithmRun same = embedWith( scene, &sameFeedback ), other = embedWith( gain4, &gainFeedback ),
                     brighter = embedWith( bright, &brightFeedback );
  ASSERT_TRUE( same.ok && other.ok && brighter.ok )
      << same.error.toStdString() << other.error.toStdString() << brighter.error.toStdString();
  EXPECT_TRUE( sameFeedback.textLog().contains( "chips scaled with the model's radiometry: bands 4,3,2" ) )
      << sameFeedback.textLog().toStdString();
  const auto trained = embeddingsById( train, context, 8 ), a = embeddingsById( same, context, 8 ),
             b = embeddingsById( other, context, 8 ), c = embeddingsById( brighter, context, 8 );
  ASSERT_EQ( a.size(), 16 );
  EXPECT_LT( largestDifference( trained, a ), 1e-5 ) << "the same scene embeds as in training";
  double scale = 0;
  for ( const auto &v : a )
    for ( double x : v )
      scale = std::max( scale, std::fabs( x ) );
  // The gain-4 chips differ from the gain-1 chips by at most one grey level (rounding of raw
  // counts; tests/core/test_raster_bands.cpp), so the embeddings agree to 2 % of their largest value.
  std::cout << "[ measured ] gain 4: " << largestDifference( a, b ) / scale
            << ", 3x brighter: " << largestDifference( a, c ) / scale << " of the largest value\n";
  EXPECT_LT( largestDifference( a, b ), 0.02 * scale ) << "another gain of the same scene";
  EXPECT_GT( largestDifference( a, c ), 0.1 * scale ) << "a brighter scene is not normalised away";
  EXPECT_FALSE( gainFeedback.textLog().contains( "far from those the model was trained on" ) )
      << gainFeedback.textLog().toStdString();
  EXPECT_TRUE( brightFeedback.textLog().contains( "far from those the model was trained on" ) &&
               brightFeedback.textLog().contains( "band 4 spans" ) )
      << brightFeedback.textLog().toStdString();

  // Every band as its own encoder channel: 6 input channels; the model embeds its own scene as in
  // training and refuses a 3-band raster by band number.
  params.insert( "RS_BANDS", QString() );
  params.insert( "RS_ALL_BANDS", true );
  params.insert( "OUTPUT_MODEL", city->dir.filePath( "six_all.musecl" ) );
  QgsProcessingFeedback allFeedback;
  const AlgorithmRun allBands = runAlgorithm( "musecl:train", params, context, &allFeedback );
  ASSERT_TRUE( allBands.ok ) << allBands.error.toStdString();
  EXPECT_TRUE( allFeedback.textLog().contains( "bands 1,2,3,4,5,6 as 6 input channels" ) )
      << allFeedback.textLog().toStdString();
  const AlgorithmRun allEmbed = runAlgorithm( "musecl:embed",
                                              { { "MODEL", city->dir.filePath( "six_all.musecl" ) },
                                                { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                                { "RASTER", scene },
                                                { "THREADS", 2 },
                                                { "OUTPUT", "memory:" } },
                                              context );
  ASSERT_TRUE( allEmbed.ok ) << allEmbed.error.toStdString();
  EXPECT_LT( largestDifference( embeddingsById( allBands, context, 8 ), embeddingsById( allEmbed, context, 8 ) ),
             1e-5 );
  EXPECT_GT( largestDifference( embeddingsById( allBands, context, 8 ), trained ), 0.01 * scale )
      << "six channels train another encoder than three";
  const AlgorithmRun rgbOnly = runAlgorithm( "musecl:embed",
                                             { { "MODEL", city->dir.filePath( "six_all.musecl" ) },
                                               { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                               { "RASTER", city->raster },
                                               { "OUTPUT", "memory:" } },
                                             context );
  EXPECT_FALSE( rgbOnly.ok );
  EXPECT_TRUE( rgbOnly.error.contains( "band 4" ) && rgbOnly.error.contains( "3 band(s)" ) )
      << rgbOnly.error.toStdString();
  params.insert( "RS_ALL_BANDS", false );

  // A band the raster does not have.
  params.insert( "RS_BANDS", "4,7,2" );
  params.insert( "OUTPUT_MODEL", city->dir.filePath( "bad.musecl" ) );
  const AlgorithmRun bad = runAlgorithm( "musecl:train", params, context );
  EXPECT_FALSE( bad.ok );
  EXPECT_TRUE( bad.error.contains( "band 7" ) && bad.error.contains( "six.tif" ) && bad.error.contains( "6 band(s)" ) )
      << bad.error.toStdString();
  EXPECT_FALSE( QFileInfo::exists( city->dir.filePath( "bad.musecl" ) ) );
}

TEST( TrainEmbed, EmbeddingRasterViewCarriesAPlantedRelation )
{
  // Issue 11: a 16-band float raster whose first four bands carry each region's target (plus
  // noise), the rest noise. With POIs that know nothing of the target, ridge on the embedding scores
  // near zero; with the raster as a view it must recover the target (measured: 0.97 with the
  // default output, fused vector and each view's projection). With the fused vector alone
  // (EMBEDDING_OUTPUT 0) it was 0.91-0.96 at 32 dimensions for 0-100 fusion epochs, but only
  // 0.22-0.29 at 8: the fusion sums the 32 raster statistics and the POI vector into 8 values.
  QTemporaryDir dir;
  QgsVectorLayer regions( QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string&field=target:double" ),
                          QStringLiteral( "squares" ), QStringLiteral( "memory" ) );
  QgsVectorLayer pois( QStringLiteral( "Point?crs=EPSG:32618&field=kind:string" ), QStringLiteral( "pois" ),
                       QStringLiteral( "memory" ) );
  std::mt19937 rng( 11 );
  std::normal_distribution<double> g;
  std::vector<double> target( 64 );
  QgsFeatureList squares, points;
  for ( int i = 0; i < 64; ++i )
  {
    target[i] = g( rng );
    const double x = 500000 + 500 * ( i % 8 ), y = 4400000 + 500 * ( i / 8 );
    QgsFeature r( regions.fields() );
    r.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 500, y + 500 ) ) );
    r.setAttributes( QgsAttributes() << QStringLiteral( "r%1" ).arg( i ) << target[i] );
    squares << r;
    for ( int k = 0; k < 3; ++k )
    {
      QgsFeature p( pois.fields() );
      p.setGeometry( QgsGeometry::fromPointXY( QgsPointXY( x + 100 + 150 * k, y + 250 ) ) );
      p.setAttributes(
          QgsAttributes() << QStringLiteral( "kind%1" ).arg( std::uniform_int_distribution<int>( 0, 5 )( rng ) ) );
      points << p;
    }
  }
  regions.dataProvider()->addFeatures( squares );
  pois.dataProvider()->addFeatures( points );
  auto writeRaster = [&]( const QString &name, int bands )
  {
    const QString path = dir.filePath( name );
    GDALDataset *ds = GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create( path.toUtf8().constData(), 100, 100,
                                                                                  bands, GDT_Float32, nullptr );
    double gt[6] = { 500000, 40, 0, 4404000, 0, -40 }; // 40 m pixels: 12.5 per square side
    ds->SetGeoTransform( gt );
    OGRSpatialReference srs;
    srs.importFromEPSG( 32618 );
    ds->SetSpatialRef( &srs );
    std::vector<float> pixels( 100 * 100 );
    for ( int b = 1; b <= bands; ++b )
    {
      for ( int k = 0; k < 100 * 100; ++k )
      {
        const int col = k % 100, row = k / 100;
        const int square = std::min( 7, col * 40 / 500 ) + 8 * std::min( 7, ( 100 - 1 - row ) * 40 / 500 );
        pixels[k] = static_cast<float>( ( b <= 4 ? target[square] * ( 1 + 0.2 * b ) : 0.0 ) + 0.5 * g( rng ) );
      }
      GDALRasterBand *band = ds->GetRasterBand( b );
      band->SetNoDataValue( -9999 );
      if ( b == 16 )
        std::fill( pixels.begin(), pixels.begin() + 100, -9999.0f ); // one nodata row: excluded, not averaged in
      EXPECT_EQ( band->RasterIO( GF_Write, 0, 0, 100, 100, pixels.data(), 100, 100, GDT_Float32, 0, 0 ), CE_None );
    }
    GDALClose( ds );
    return path;
  };
  const QString raster16 = writeRaster( "emb16.tif", 16 ), raster8 = writeRaster( "emb8.tif", 8 );

  QgsProcessingContext context;
  auto trainAndScore = [&]( bool withRaster, const QString &model, QString *log )
  {
    QVariantMap params{ { "REGIONS", QVariant::fromValue( &regions ) },
                        { "POIS", QVariant::fromValue( &pois ) },
                        { "CATEGORY_FIELD", "kind" },
                        { "EMBEDDING_SIZE", 32 },
                        { "FUSION_EPOCHS", 30 },
                        { "THREADS", 2 },
                        { "DEVICE", 1 },
                        { "SEED", 3 },
                        { "OUTPUT_MODEL", model },
                        { "OUTPUT", "memory:" } };
    if ( withRaster )
      params.insert( "EMBEDDING_RASTER", raster16 );
    QgsProcessingFeedback feedback;
    const AlgorithmRun train = runAlgorithm( "musecl:train", params, context, &feedback );
    EXPECT_TRUE( train.ok ) << train.error.toStdString();
    if ( log )
      *log = feedback.textLog();
    const AlgorithmRun predict = runAlgorithm( "musecl:predict",
                                               { { "INPUT", train.outputs.value( "OUTPUT" ) },
                                                 { "FEATURE_PATTERN", "emb_*" },
                                                 { "TARGET", "target" },
                                                 { "LOG_TARGET", false },
                                                 { "MODEL", 1 },
                                                 { "EVALUATION", 1 },
                                                 { "FOLDS", 5 },
                                                 { "SEED", 1 },
                                                 { "THREADS", 2 },
                                                 { "OUTPUT", "memory:" } },
                                               context );
    EXPECT_TRUE( predict.ok ) << predict.error.toStdString();
    return std::make_pair( train, predict.outputs.value( "R2" ).toDouble() );
  };
  QString log;
  const auto [without, r2Without] = trainAndScore( false, dir.filePath( "poi.musecl" ), nullptr );
  const auto [with, r2With] = trainAndScore( true, dir.filePath( "poi_er.musecl" ), &log );
  std::cout << "[ measured ] ridge R2 of the embedding: POIs only " << r2Without << ", POIs + embedding raster "
            << r2With << "\n";
  EXPECT_TRUE( log.contains( "embedding raster: mean and standard deviation of 16 band(s) in 64 of 64 regions" ) )
      << log.toStdString();
  EXPECT_LT( r2Without, 0.3 ) << "the POIs carry nothing of the target";
  EXPECT_GT( r2With, 0.7 );
  EXPECT_GT( r2With - r2Without, 0.4 );
  QgsFeature f;
  layerOf( with, "OUTPUT", context )->getFeatures().nextFeature( f );
  EXPECT_EQ( f.attribute( "views" ).toString(), QStringLiteral( "poi+er" ) );
  EXPECT_FALSE( f.attribute( "beta_er" ).isNull() );

  // Embedding without the raster masks the view (same dimension); a raster of another band count is refused.
  const AlgorithmRun masked = runAlgorithm( "musecl:embed",
                                            { { "MODEL", dir.filePath( "poi_er.musecl" ) },
                                              { "REGIONS", QVariant::fromValue( &regions ) },
                                              { "POIS", QVariant::fromValue( &pois ) },
                                              { "CATEGORY_FIELD", "kind" },
                                              { "OUTPUT", "memory:" } },
                                            context );
  ASSERT_TRUE( masked.ok ) << masked.error.toStdString();
  EXPECT_EQ( masked.outputs.value( "EMBEDDING_DIMENSION" ).toInt(), 32 * 3 )
      << "fused, POI text and embedding raster blocks";
  layerOf( masked, "OUTPUT", context )->getFeatures().nextFeature( f );
  EXPECT_EQ( f.attribute( "views" ).toString(), QStringLiteral( "poi" ) );
  EXPECT_TRUE( f.attribute( "beta_er" ).isNull() );
  const AlgorithmRun wrong = runAlgorithm( "musecl:embed",
                                           { { "MODEL", dir.filePath( "poi_er.musecl" ) },
                                             { "REGIONS", QVariant::fromValue( &regions ) },
                                             { "EMBEDDING_RASTER", raster8 },
                                             { "OUTPUT", "memory:" } },
                                           context );
  EXPECT_FALSE( wrong.ok );
  EXPECT_TRUE(
      wrong.error.contains( "Embedding raster “emb8” (" ) &&
      wrong.error.contains( "emb8.tif) has 8 band(s); the model was trained on an embedding raster of 16 band(s)" ) )
      << wrong.error.toStdString();
}
