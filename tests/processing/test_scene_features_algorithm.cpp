// Scene features (issue 22) through QGIS: musecl:imagefeatures writes a feature raster on the
// scene's grid and an encoder that reproduces it; musecl:train's scene-feature view learns them,
// and musecl:embed makes the same view from the model's encoder.
#include "learning_fixtures.h"

#include "musecl/learn/training.h"

#include <gtest/gtest.h>

#include <gdal_priv.h>

#include <QFile>
#include <qgscoordinatetransform.h>
#include <qgsproject.h>
#include <qgsvectordataprovider.h>
#include <qgsvectorlayer.h>
#include <algorithm>
#include <cmath>
#include <vector>

using namespace learning_fixtures;

namespace
{
  std::vector<float> bandValues( GDALDataset &ds )
  {
    std::vector<float> v( static_cast<std::size_t>( ds.GetRasterXSize() ) * ds.GetRasterYSize() * ds.GetRasterCount() );
    EXPECT_EQ( ds.RasterIO( GF_Read, 0, 0, ds.GetRasterXSize(), ds.GetRasterYSize(), v.data(), ds.GetRasterXSize(),
                            ds.GetRasterYSize(), GDT_Float32, ds.GetRasterCount(), nullptr, 0, 0, 0, nullptr ),
               CE_None );
    return v;
  }

  QVariantMap featureParams( const QString &raster, const QString &output )
  {
    return { { "RASTER", raster }, { "TILE_SIZE", 8 }, { "FEATURE_BANDS", 4 }, { "STRIDE", 4 }, { "STEPS", 15 },
             { "BATCH_SIZE", 16 }, { "SEED", 3 },      { "THREADS", 2 },       { "DEVICE", 1 }, { "OUTPUT", output } };
  }
} // namespace

TEST( ImageFeatures, FeatureRasterOnTheScenesGridAndAnEncoderThatReproducesIt )
{
  auto city = trainingCity(); // a 200 x 200 px scene at 10 m in EPSG:32618
  const QString first = city->dir.filePath( "features.tif" ), encoder = city->dir.filePath( "scene.musecl" );
  QVariantMap params = featureParams( city->raster, first );
  params.insert( "OUTPUT_ENCODER", encoder );
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( "musecl:imagefeatures", params, context, &feedback );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  EXPECT_TRUE( feedback.textLog().contains( "Feature raster: 4 band(s), 50 x 50 pixels of 4 scene pixels each" ) )
      << feedback.textLog().toStdString();
  GDALDatasetUniquePtr ds( GDALDataset::Open( first.toUtf8().constData(), GDAL_OF_RASTER ) );
  ASSERT_TRUE( ds );
  EXPECT_EQ( ds->GetRasterCount(), 4 );
  EXPECT_EQ( ds->GetRasterXSize(), 50 );
  EXPECT_EQ( ds->GetRasterYSize(), 50 );
  double gt[6];
  ASSERT_EQ( ds->GetGeoTransform( gt ), CE_None );
  EXPECT_DOUBLE_EQ( gt[0], 500000 );
  EXPECT_DOUBLE_EQ( gt[1], 40 );
  EXPECT_DOUBLE_EQ( gt[5], -40 );
  EXPECT_STREQ( ds->GetSpatialRef()->GetAuthorityCode( nullptr ), "32618" );
  EXPECT_STREQ( ds->GetRasterBand( 1 )->GetDescription(), "f1" );
  const std::vector<float> values = bandValues( *ds );
  for ( float v : values )
    ASSERT_TRUE( std::isfinite( v ) ) << "the scene is valid everywhere";
  // Band 1 is the first principal component: it varies at least as much as band 4.
  auto spread = [&]( int band )
  {
    double sum = 0, sq = 0;
    const std::size_t n = 50 * 50;
    for ( std::size_t p = 0; p < n; ++p )
    {
      sum += values[band * n + p];
      sq += values[band * n + p] * values[band * n + p];
    }
    return sq / n - ( sum / n ) * ( sum / n );
  };
  EXPECT_GE( spread( 0 ), spread( 3 ) );
  ASSERT_TRUE( QFile::exists( encoder ) );

  // The encoder file on the same scene, without training: the same raster, value for value.
  const QString second = city->dir.filePath( "again.tif" );
  QVariantMap reuse = featureParams( city->raster, second );
  reuse.insert( "SCENE_ENCODER", encoder );
  reuse.insert( "SEED", 99 ); // not used: nothing is trained
  QgsProcessingFeedback reuseFeedback;
  const AlgorithmRun again = runAlgorithm( "musecl:imagefeatures", reuse, context, &reuseFeedback );
  ASSERT_TRUE( again.ok ) << again.error.toStdString();
  EXPECT_TRUE( reuseFeedback.textLog().contains( "Reusing the encoder" ) ) << reuseFeedback.textLog().toStdString();
  GDALDatasetUniquePtr ds2( GDALDataset::Open( second.toUtf8().constData(), GDAL_OF_RASTER ) );
  ASSERT_TRUE( ds2 );
  EXPECT_EQ( bandValues( *ds2 ), values );

  // RUNS=2: two encoders averaged; the encoder file holds both and gives the same raster again.
  const QString pair = city->dir.filePath( "pair.tif" ), pairEncoder = city->dir.filePath( "pair.musecl" );
  QVariantMap ensemble = featureParams( city->raster, pair );
  ensemble.insert( "RUNS", 2 );
  ensemble.insert( "OUTPUT_ENCODER", pairEncoder );
  QgsProcessingFeedback ensembleFeedback;
  const AlgorithmRun averaged = runAlgorithm( "musecl:imagefeatures", ensemble, context, &ensembleFeedback );
  ASSERT_TRUE( averaged.ok ) << averaged.error.toStdString();
  EXPECT_TRUE( ensembleFeedback.textLog().contains( "the mean of 2 encoders" ) )
      << ensembleFeedback.textLog().toStdString();
  GDALDatasetUniquePtr ds3( GDALDataset::Open( pair.toUtf8().constData(), GDAL_OF_RASTER ) );
  ASSERT_TRUE( ds3 );
  const std::vector<float> pairValues = bandValues( *ds3 );
  EXPECT_NE( pairValues, values );
  QVariantMap reusePair = featureParams( city->raster, city->dir.filePath( "pair_again.tif" ) );
  reusePair.insert( "SCENE_ENCODER", pairEncoder );
  ASSERT_TRUE( runAlgorithm( "musecl:imagefeatures", reusePair, context ).ok );
  GDALDatasetUniquePtr ds4(
      GDALDataset::Open( city->dir.filePath( "pair_again.tif" ).toUtf8().constData(), GDAL_OF_RASTER ) );
  ASSERT_TRUE( ds4 );
  EXPECT_EQ( bandValues( *ds4 ), pairValues );
}

TEST( ImageFeatures, ATileLargerThanTheRasterIsRefusedAndNothingIsWritten )
{
  auto city = trainingCity();
  const QString output = city->dir.filePath( "never.tif" );
  QVariantMap params = featureParams( city->raster, output );
  params.insert( "TILE_SIZE", 256 );
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun run = runAlgorithm( "musecl:imagefeatures", params, context, &feedback );
  ASSERT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( city->raster ) ) << run.error.toStdString();
  EXPECT_TRUE( run.error.contains( "200 x 200 pixels, smaller than one 256 px tile" ) ) << run.error.toStdString();
  EXPECT_FALSE( QFile::exists( output ) );
}

namespace
{
  // musecl:train with the raster alone as scene features (plus `extra`), then musecl:embed with its
  // model: the embeddings must agree. Returns the training log and the trained embeddings' first values.
  // The city's squares in EPSG:4326 (a geographic layer: surroundings are buffered in metres all the same).
  void toLonLat( TrainingCity &city )
  {
    auto lonLat = std::make_unique<QgsVectorLayer>( QStringLiteral( "Polygon?crs=EPSG:4326&field=region_id:string" ),
                                                    QStringLiteral( "squares" ), QStringLiteral( "memory" ) );
    const QgsCoordinateTransform t( city.regions->crs(), lonLat->crs(), QgsProject::instance() );
    QgsFeatureList features;
    QgsFeature f;
    QgsFeatureIterator it = city.regions->getFeatures();
    while ( it.nextFeature( f ) )
    {
      QgsGeometry g = f.geometry();
      g.transform( t );
      QgsFeature copy( lonLat->fields() );
      copy.setAttribute( 0, f.attribute( "region_id" ) );
      copy.setGeometry( g );
      features << copy;
    }
    lonLat->dataProvider()->addFeatures( features );
    city.regions = std::move( lonLat );
  }

  QString trainThenEmbedSceneFeatures( const QVariantMap &extra, std::vector<std::vector<double>> *embeddings = nullptr,
                                       bool geographic = false, int blockSize = 8192 )
  {
    auto city = trainingCity();
    if ( geographic )
      toLonLat( *city );
    const QString model = city->dir.filePath( "scene.musecl" );
    QVariantMap params = trainParams( *city, model );
    params.insert( "RS_MODE", 0 ); // scene features
    params.remove( "POIS" );
    params.remove( "FLOWS" );
    params.insert( "SCENE_STEPS", 15 );
    for ( auto it = extra.begin(); it != extra.end(); ++it )
      params.insert( it.key(), it.value() );
    QgsProcessingContext context;
    QgsProcessingFeedback trainFeedback, embedFeedback;
    const AlgorithmRun train = runAlgorithm( "musecl:train", params, context, &trainFeedback );
    EXPECT_TRUE( train.ok ) << train.error.toStdString();
    QgsVectorLayer *trained = layerOf( train, "OUTPUT", context );
    if ( !trained )
      return trainFeedback.textLog();
    const AlgorithmRun embed = runAlgorithm( "musecl:embed",
                                             { { "MODEL", model },
                                               { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                               { "RASTER", city->raster },
                                               { "THREADS", 2 },
                                               { "BLOCK_SIZE", blockSize },
                                               { "OUTPUT", "memory:" } },
                                             context, &embedFeedback );
    EXPECT_TRUE( embed.ok ) << embed.error.toStdString();
    QgsVectorLayer *embedded = layerOf( embed, "OUTPUT", context );
    EXPECT_TRUE( embedded && embedded->featureCount() == 16 );
    if ( !embedded )
      return trainFeedback.textLog();
    QgsFeature a, b;
    QgsFeatureIterator ia = trained->getFeatures(), ib = embedded->getFeatures();
    int compared = 0;
    while ( ia.nextFeature( a ) && ib.nextFeature( b ) )
    {
      EXPECT_FALSE( a.attribute( "beta_sf" ).isNull() );
      EXPECT_TRUE( a.attribute( "beta_rs" ).isNull() );
      std::vector<double> row;
      for ( int k = 0; k < 8; ++k )
      {
        const QString field = QStringLiteral( "emb_%1" ).arg( k );
        row.push_back( a.attribute( field ).toDouble() );
        EXPECT_NEAR( row.back(), b.attribute( field ).toDouble(), 1e-4 ) << field.toStdString();
        ++compared;
      }
      if ( embeddings )
        embeddings->push_back( row );
    }
    EXPECT_EQ( compared, 16 * 8 );
    return trainFeedback.textLog();
  }

  double largestDifference( const std::vector<std::vector<double>> &rows )
  {
    double d = 0;
    for ( const auto &row : rows )
      for ( std::size_t k = 0; k < row.size(); ++k )
        d = std::max( d, std::abs( row[k] - rows.front()[k] ) );
    return d;
  }
} // namespace

TEST( TrainEmbed, SceneFeaturesAsTheRasterViewAndEmbedReproducesThem )
{
  const QString log = trainThenEmbedSceneFeatures( {} );
  // RUNS automatic: no image is trained by triplets, so three trainings, each with its own encoder.
  EXPECT_TRUE( log.contains( "RUNS automatic: 3 trainings from different seeds, each with its own scene encoder" ) )
      << log.toStdString();
  EXPECT_TRUE( log.contains( "Inputs: remote sensing as scene features (16 features from 16 px tiles of 3 channel(s), "
                             "15 steps of 128 pairs, seed 5; 3 encoders, one per training; 16 of 16 regions)" ) )
      << log.toStdString();
  // The default: inside each region and in its surroundings, half the 500 m squares' width around.
  EXPECT_TRUE( log.contains( "16 feature band(s) over each region and over its surroundings (250 m) in 16 of 16" ) )
      << log.toStdString();
  EXPECT_TRUE( log.contains( "chip triplets were not asked for" ) ) << log.toStdString();
}

TEST( TrainEmbed, EachTrainingOfAnEnsembleLearnsItsOwnSceneEncoderAndEmbedReproducesIt )
{
  // The second training's encoder is learned from its own seed and stored with it: embed must make
  // both encoders' features and give each training its own (the comparison is inside the helper).
  const QString log = trainThenEmbedSceneFeatures( { { "RUNS", 2 } } );
  const QString secondSeed = QString::number( musecl::trainingRunSeed( 5, 1 ) );
  EXPECT_TRUE( log.contains( "15 steps of 128 pairs, seed 5; 2 encoders, one per training; 16 of 16 regions" ) )
      << log.toStdString();
  EXPECT_TRUE( log.contains( "15 steps of 128 pairs, seed " + secondSeed + " over the whole" ) ) << log.toStdString();
  EXPECT_TRUE( log.contains( "ensemble: 2 trainings from seeds 5, " + secondSeed ) ) << log.toStdString();
}

TEST( TrainEmbed, AnEnsembleSharesAGivenSceneEncoder )
{
  auto source = trainingCity();
  const QString encoder = source->dir.filePath( "given.musecl" );
  QVariantMap features = featureParams( source->raster, source->dir.filePath( "given.tif" ) );
  features.insert( "OUTPUT_ENCODER", encoder );
  QgsProcessingContext context;
  ASSERT_TRUE( runAlgorithm( "musecl:imagefeatures", features, context ).ok );
  const QString log = trainThenEmbedSceneFeatures( { { "RUNS", 2 }, { "SCENE_ENCODER", encoder } } );
  EXPECT_TRUE( log.contains( "remote sensing as scene features (4 features from 8 px tiles of 3 channel(s), 15 steps "
                             "of 16 pairs, seed 3; 16 of 16 regions)" ) )
      << log.toStdString();
  EXPECT_FALSE( log.contains( "Scene features:" ) ) << "nothing is learned: " << log.toStdString();
}

TEST( TrainEmbed, SceneFeaturesInsideEachRegionAloneAreKeptInTheModel )
{
  std::vector<std::vector<double>> rows;
  const QString log = trainThenEmbedSceneFeatures( { { "SCENE_SCALE", 0 } }, &rows );
  EXPECT_TRUE( log.contains( "mean and spread of 16 feature band(s) over each region in 16 of 16 regions" ) )
      << log.toStdString();
  EXPECT_GT( largestDifference( rows ), 0.05 ) << "regions with different pixels embed apart";
}

TEST( TrainEmbed, GeographicRegionsEmbeddedInBlocksKeepTheirSurroundings )
{
  // Regions in degrees, embedded four at a time: each region is buffered in its own UTM zone, so
  // a block sees the same surroundings as training did.
  std::vector<std::vector<double>> rows;
  const QString log = trainThenEmbedSceneFeatures( { { "SCENE_CONTEXT", 120 } }, &rows, true, 4 );
  EXPECT_TRUE( log.contains( "over each region and over its surroundings (120 m) in 16 of 16" ) ) << log.toStdString();
  EXPECT_GT( largestDifference( rows ), 0.05 );
}

TEST( TrainEmbed, SurroundingsWiderThanTheSceneGiveEveryRegionTheSameSceneFeatures )
{
  // The 2 km scene lies within 5 km of every 500 m square: each region's surroundings hold the
  // whole scene, so the view is the same everywhere. Missing the buffer, or taking it in the wrong
  // unit, would let the regions' own pixels through.
  std::vector<std::vector<double>> rows;
  const QString log = trainThenEmbedSceneFeatures( { { "SCENE_SCALE", 2 }, { "SCENE_CONTEXT", 5000 } }, &rows );
  EXPECT_TRUE( log.contains( "over each region with its surroundings (5000 m)" ) ) << log.toStdString();
  ASSERT_EQ( rows.size(), 16u );
  EXPECT_LT( largestDifference( rows ), 1e-4 );
}

namespace
{
  // The city's scene as Float32 times `factor` (8-bit scenes are display values, never "far").
  QString floatCopy( const TrainingCity &city, const QString &name, float factor )
  {
    GDALDatasetUniquePtr source( GDALDataset::Open( city.raster.toUtf8().constData(), GDAL_OF_RASTER ) );
    EXPECT_TRUE( source );
    std::vector<float> v = bandValues( *source );
    for ( float &x : v )
      x *= factor;
    const QString path = city.dir.filePath( name );
    GDALDatasetUniquePtr copy( GetGDALDriverManager()->GetDriverByName( "GTiff" )->Create(
        path.toUtf8().constData(), 200, 200, 3, GDT_Float32, nullptr ) );
    double gt[6];
    source->GetGeoTransform( gt );
    copy->SetGeoTransform( gt );
    copy->SetSpatialRef( source->GetSpatialRef() );
    EXPECT_EQ(
        copy->RasterIO( GF_Write, 0, 0, 200, 200, v.data(), 200, 200, GDT_Float32, 3, nullptr, 0, 0, 0, nullptr ),
        CE_None );
    return path;
  }
} // namespace

TEST( TrainEmbed, EmbeddingADimmerSceneWithTheModelsSceneEncoderIsWarnedAbout )
{
  auto city = trainingCity();
  const QString model = city->dir.filePath( "scene.musecl" );
  city->raster = floatCopy( *city, "float.tif", 1 );
  const QString dim = floatCopy( *city, "dim.tif", 1.0f / 3 );
  QVariantMap params = trainParams( *city, model );
  params.insert( "RS_MODE", 0 );
  params.remove( "POIS" );
  params.remove( "FLOWS" );
  params.insert( "SCENE_STEPS", 15 );
  QgsProcessingContext context;
  QgsProcessingFeedback trainFeedback;
  ASSERT_TRUE( runAlgorithm( "musecl:train", params, context, &trainFeedback ).ok );
  auto embedLog = [&]( const QString &raster )
  {
    QgsProcessingFeedback feedback;
    const AlgorithmRun run = runAlgorithm( "musecl:embed",
                                           { { "MODEL", model },
                                             { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                             { "RASTER", raster },
                                             { "THREADS", 2 },
                                             { "OUTPUT", "memory:" } },
                                           context, &feedback );
    EXPECT_TRUE( run.ok ) << run.error.toStdString();
    return feedback.textLog();
  };
  const QString same = embedLog( city->raster ), dimmer = embedLog( dim );
  EXPECT_FALSE( same.contains( "radiometry differs" ) ) << same.toStdString();
  EXPECT_TRUE( dimmer.contains( "This scene's radiometry differs from the encoder's scene" ) ) << dimmer.toStdString();
}

TEST( ImageFeatures, CancelledRunLeavesTheExistingOutputAsItWas )
{
  auto city = trainingCity();
  const QString output = city->dir.filePath( "kept.tif" );
  {
    QFile previous( output );
    ASSERT_TRUE( previous.open( QIODevice::WriteOnly ) );
    previous.write( "an earlier result" );
  }
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  // Cancelled once the feature raster has its first block (training is the first half of the bar):
  // the half-written file must go, and the earlier one stay.
  QObject::connect( &feedback, &QgsFeedback::progressChanged, &feedback,
                    [&feedback]( double p )
                    {
                      if ( p > 50 )
                        feedback.cancel();
                    } );
  const AlgorithmRun run =
      runAlgorithm( "musecl:imagefeatures", featureParams( city->raster, output ), context, &feedback );
  ASSERT_FALSE( run.ok );
  EXPECT_TRUE( run.error.contains( "Cancelled; no feature raster was written" ) ) << run.error.toStdString();
  QFile kept( output );
  ASSERT_TRUE( kept.open( QIODevice::ReadOnly ) );
  EXPECT_EQ( kept.readAll(), QByteArray( "an earlier result" ) );
  EXPECT_FALSE( QFile::exists( output + ".partial.tif" ) );
}
