// musecl:train through the registry on a small city: the model file reproduces the training
// embeddings, runs in parallel as the desktop starts them, inputs opened in prepare(), and errors
// and cancellation that leave nothing behind.
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <qgsvectorfilewriter.h>
#include <qgstaskmanager.h>
#include <qgsprocessingalgrunnertask.h>

#include <QElapsedTimer>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

using namespace learning_fixtures;

namespace
{
  // musecl:embed's parameters for `model` over the training city's inputs (trainParams less the
  // training options).
  QVariantMap embedParamsFor( TrainingCity &city, const QString &model )
  {
    QVariantMap params = trainParams( city, QString() );
    for ( const char *key : { "CHIP_SIZE", "EMBEDDING_SIZE", "IMAGE_EPOCHS", "FUSION_EPOCHS", "MOBILITY_EPOCHS",
                              "BATCH_SIZE", "RS_BACKBONE", "SEED", "OUTPUT_MODEL", "OUTPUT_LOG" } )
      params.remove( key );
    params.insert( "MODEL", model );
    return params;
  }

  // Every emb_0..emb_7 of every region of `applied` within 1e-5 of `trained`'s, matched by region_id.
  void expectSameEmbeddings( QgsVectorLayer *trained, QgsVectorLayer *applied )
  {
    QMap<QString, QgsFeature> byId;
    QgsFeature f;
    QgsFeatureIterator it = trained->getFeatures();
    while ( it.nextFeature( f ) )
      byId.insert( f.attribute( "region_id" ).toString(), f );
    it = applied->getFeatures();
    int compared = 0;
    while ( it.nextFeature( f ) )
      for ( int k = 0; k < 8; ++k, ++compared )
        EXPECT_NEAR(
            f.attribute( QStringLiteral( "emb_%1" ).arg( k ) ).toDouble(),
            byId[f.attribute( "region_id" ).toString()].attribute( QStringLiteral( "emb_%1" ).arg( k ) ).toDouble(),
            1e-5 );
    EXPECT_EQ( compared, 16 * 8 );
  }
} // namespace

TEST( TrainEmbed, TheModelFileReproducesTheTrainingEmbeddings )
{
  auto city = trainingCity();
  const QString model = city->dir.filePath( "models/city.musecl" );
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun train = runAlgorithm( "musecl:train", trainParams( *city, model ), context, &feedback );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  EXPECT_TRUE( QFileInfo::exists( model ) );
  // The default output with OD flows: the 8-value fused vector alone, since the flow term trained it.
  EXPECT_EQ( train.outputs.value( "EMBEDDING_DIMENSION" ).toInt(), 8 );
  EXPECT_EQ( train.outputs.value( "DEVICE_USED" ).toString(), QStringLiteral( "cpu" ) );
  const QString log = feedback.textLog();
  EXPECT_TRUE( log.contains( "POI-distribution and mobility (inflow/outflow) similarity" ) &&
               log.contains( "street view: no street-view images given" ) )
      << log.toStdString();
  EXPECT_TRUE( log.contains( "reproduce the log trip counts among its regions (flow weight 3)" ) &&
               log.contains( "embedding: the fused vector, 8 values; chosen automatically" ) )
      << log.toStdString();
  // VOLUME_WEIGHT is optional (absent: 1) and reaches the mobility view; the fusion has no term of its own.
  EXPECT_TRUE( log.contains( "RUNS automatic: 1 training (an image encoder is trained by triplets" ) )
      << log.toStdString();
  EXPECT_TRUE(
      log.contains( "through a linear read-out, each region's trip totals on a linear scale (volume weight 1)" ) &&
      log.contains( "InfoNCE + flow loss" ) && !log.contains( "+ volume" ) )
      << log.toStdString();
  {
    // FUSION_FLOW_WEIGHT=0: InfoNCE only, so the automatic output keeps each view's block.
    QVariantMap params = trainParams( *city, city->dir.filePath( "models/infonce.musecl" ) );
    params.insert( "FUSION_FLOW_WEIGHT", 0 );
    params.insert( "VOLUME_WEIGHT", 0 );
    QgsProcessingFeedback infoNceFeedback;
    const AlgorithmRun infoNce = runAlgorithm( "musecl:train", params, context, &infoNceFeedback );
    ASSERT_TRUE( infoNce.ok ) << infoNce.error.toStdString();
    EXPECT_EQ( infoNce.outputs.value( "EMBEDDING_DIMENSION" ).toInt(), 8 * 4 )
        << "the fused vector, then the projection of each of the 3 views";
    EXPECT_TRUE( infoNceFeedback.textLog().contains( "no flow term (weight 0)" ) &&
                 infoNceFeedback.textLog().contains( "only (volume weight 0)" ) )
        << infoNceFeedback.textLog().toStdString();
  }
  {
    // RUNS=2: two trainings averaged; their epochs are both in the log table, and musecl:embed
    // applies both from the model file.
    const QString ensembleModel = city->dir.filePath( "models/ensemble.musecl" );
    QVariantMap params = trainParams( *city, ensembleModel );
    params.insert( "RUNS", 2 );
    QgsProcessingFeedback ensembleFeedback;
    const AlgorithmRun ensemble = runAlgorithm( "musecl:train", params, context, &ensembleFeedback );
    ASSERT_TRUE( ensemble.ok ) << ensemble.error.toStdString();
    EXPECT_TRUE( ensembleFeedback.textLog().contains( "ensemble: 2 trainings from seeds 5, " ) )
        << ensembleFeedback.textLog().toStdString();
    EXPECT_EQ( layerOf( ensemble, "OUTPUT_LOG", context )->featureCount(), 2 * ( 2 + 10 + 5 ) );
    const QVariantMap embedParams = embedParamsFor( *city, ensembleModel );
    QgsProcessingFeedback embedFeedback;
    const AlgorithmRun applied = runAlgorithm( "musecl:embed", embedParams, context, &embedFeedback );
    ASSERT_TRUE( applied.ok ) << applied.error.toStdString();
    EXPECT_TRUE( embedFeedback.textLog().contains( "the model is an ensemble of 2 trainings" ) )
        << embedFeedback.textLog().toStdString();
    expectSameEmbeddings( layerOf( ensemble, "OUTPUT", context ), layerOf( applied, "OUTPUT", context ) );
  }
  QgsVectorLayer *embeddings = layerOf( train, "OUTPUT", context );
  ASSERT_TRUE( embeddings );
  EXPECT_EQ( embeddings->featureCount(), 16 );
  for ( const char *field :
        { "region_id", "emb_0", "emb_7", "beta_rs", "beta_sv", "beta_poi", "beta_mob", "views", "has_embedding" } )
    EXPECT_GE( embeddings->fields().lookupField( field ), 0 ) << field;
  EXPECT_TRUE( log.contains( "Mean attention weight per view: remote sensing" ) ) << log.toStdString();
  EXPECT_EQ( layerOf( train, "OUTPUT_LOG", context )->featureCount(), 2 + 10 + 5 )
      << "2 remote-sensing epochs, 10 mobility epochs, 5 fusion epochs";
  {
    QgsFeature first;
    embeddings->getFeatures().nextFeature( first );
    EXPECT_EQ( first.attribute( "views" ).toString(), QStringLiteral( "rs+poi+mob" ) );
    EXPECT_TRUE( first.attribute( "beta_sv" ).isNull() ) << "no street view given";
    EXPECT_NEAR( first.attribute( "beta_rs" ).toDouble() + first.attribute( "beta_poi" ).toDouble() +
                     first.attribute( "beta_mob" ).toDouble(),
                 1.0, 1e-5 );
  }

  const AlgorithmRun embed = runAlgorithm( "musecl:embed", embedParamsFor( *city, model ), context );
  ASSERT_TRUE( embed.ok ) << embed.error.toStdString();
  expectSameEmbeddings( embeddings, layerOf( embed, "OUTPUT", context ) );

  // The same model with POIs only: the raster and flows are masked, the dimension stays 8.
  const AlgorithmRun poisOnly = runAlgorithm( "musecl:embed",
                                              { { "MODEL", model },
                                                { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                                { "POIS", QVariant::fromValue( city->pois.get() ) },
                                                { "CATEGORY_FIELD", "kind" },
                                                { "TEXT_FIELDS", QStringList{ "name" } },
                                                { "OUTPUT", "memory:" } },
                                              context );
  ASSERT_TRUE( poisOnly.ok ) << poisOnly.error.toStdString();
  EXPECT_EQ( poisOnly.outputs.value( "EMBEDDING_DIMENSION" ).toInt(), 8 );
  QgsFeature f;
  QgsFeatureIterator it = layerOf( poisOnly, "OUTPUT", context )->getFeatures();
  int withPois = 0;
  while ( it.nextFeature( f ) )
  {
    EXPECT_EQ( f.attribute( "views" ).toString(), QStringLiteral( "poi" ) );
    EXPECT_NEAR( f.attribute( "beta_poi" ).toDouble(), 1.0, 1e-6 );
    EXPECT_TRUE( f.attribute( "beta_rs" ).isNull() && f.attribute( "beta_mob" ).isNull() );
    ++withPois;
  }
  EXPECT_EQ( withPois, 16 );
}

TEST( TrainEmbed, DesktopStyleParallelRunsOnOneGeoPackageFinishWithTheirSoloResults )
{
  // As the desktop runs them: QgsProcessingAlgRunnerTasks in the task manager, each on a worker
  // thread. Two trainings read their regions from the same GeoPackage path (QGIS 3.22's OGR
  // provider deadlocked when two worker threads opened one file) and a prediction runs beside
  // them with another THREADS. Each must finish within the time limit with the embeddings of
  // the same training run alone.
  auto city = trainingCity();
  const QString gpkg = city->dir.filePath( "regions.gpkg" );
  {
    QgsVectorFileWriter::SaveVectorOptions options;
    options.driverName = QStringLiteral( "GPKG" );
    QString error;
    ASSERT_EQ( QgsVectorFileWriter::writeAsVectorFormatV3( city->regions.get(), gpkg, QgsCoordinateTransformContext(),
                                                           options, &error ),
               QgsVectorFileWriter::NoError )
        << error.toStdString();
  }
  auto paramsFor = [&]( const QString &name, int threads )
  {
    QVariantMap p = trainParams( *city, city->dir.filePath( name + ".musecl" ) );
    p.insert( "REGIONS", gpkg );
    p.insert( "THREADS", threads );
    p.insert( "OUTPUT", city->dir.filePath( name + ".gpkg" ) );
    p.remove( "OUTPUT_LOG" );
    return p;
  };
  QgsProcessingContext soloContext;
  const AlgorithmRun solo = runAlgorithm( "musecl:train", paramsFor( "solo", 1 ), soloContext );
  ASSERT_TRUE( solo.ok ) << solo.error.toStdString();
  auto predictLayer = tabularRegions( 60, 0.1, 3 );
  QVariantMap predict = predictParams( predictLayer.get(), 0, 1 );
  predict.insert( "THREADS", 2 );

  struct Job
  {
      QString algorithm;
      QVariantMap parameters;
      QgsProcessingContext context;
      QgsProcessingFeedback feedback;
      bool done = false, ok = false;
      QVariantMap results;
  };
  std::vector<std::unique_ptr<Job>> jobs;
  for ( const auto &[algorithm, parameters] :
        std::vector<std::pair<QString, QVariantMap>>{ { "musecl:train", paramsFor( "a", 1 ) },
                                                      { "musecl:train", paramsFor( "b", 2 ) },
                                                      { "musecl:predict", predict } } )
  {
    auto job = std::make_unique<Job>();
    job->algorithm = algorithm;
    job->parameters = parameters;
    jobs.push_back( std::move( job ) );
  }
  for ( auto &job : jobs )
  {
    const QgsProcessingAlgorithm *algorithm = QgsApplication::processingRegistry()->algorithmById( job->algorithm );
    auto *task = new QgsProcessingAlgRunnerTask( algorithm, job->parameters, job->context, &job->feedback );
    Job *j = job.get();
    QObject::connect( task, &QgsProcessingAlgRunnerTask::executed,
                      [j]( bool ok, const QVariantMap &results )
                      {
                        j->done = true;
                        j->ok = ok;
                        j->results = results;
                      } );
    QgsApplication::taskManager()->addTask( task );
  }
  QElapsedTimer clock;
  clock.start();
  while ( clock.elapsed() < 300000 &&
          std::any_of( jobs.begin(), jobs.end(), []( const auto &j ) { return !j->done; } ) )
    QCoreApplication::processEvents( QEventLoop::AllEvents, 100 );
  for ( const auto &job : jobs )
  {
    ASSERT_TRUE( job->done ) << job->algorithm.toStdString() << " did not finish within 300 s";
    EXPECT_TRUE( job->ok ) << job->algorithm.toStdString() << ": " << job->feedback.textLog().toStdString();
  }
  // Same seed, data and threads: each parallel training reproduces its run alone exactly.
  auto expectSameEmbeddings = [&]( const QString &alone, const QString &together )
  {
    QgsVectorLayer aloneLayer( city->dir.filePath( alone + ".gpkg" ), "alone", "ogr" ),
        togetherLayer( city->dir.filePath( together + ".gpkg" ), "together", "ogr" );
    ASSERT_TRUE( aloneLayer.isValid() && togetherLayer.isValid() );
    QMap<QString, double> aloneValues;
    QgsFeature f;
    QgsFeatureIterator it = aloneLayer.getFeatures();
    while ( it.nextFeature( f ) )
      aloneValues.insert( f.attribute( "region_id" ).toString(), f.attribute( "emb_3" ).toDouble() );
    it = togetherLayer.getFeatures();
    int compared = 0;
    while ( it.nextFeature( f ) )
    {
      EXPECT_EQ( f.attribute( "emb_3" ).toDouble(), aloneValues.value( f.attribute( "region_id" ).toString() ) )
          << together.toStdString();
      ++compared;
    }
    EXPECT_EQ( compared, 16 ) << together.toStdString();
  };
  expectSameEmbeddings( "solo", "a" );
  EXPECT_GT( jobs[2]->results.value( "R2" ).toDouble(), 0.9 );
  // The others against their runs alone as well: training "b" (2 threads) and the predict.
  QgsProcessingContext soloTwoContext, soloPredictContext;
  const AlgorithmRun soloTwo = runAlgorithm( "musecl:train", paramsFor( "solo2", 2 ), soloTwoContext );
  ASSERT_TRUE( soloTwo.ok ) << soloTwo.error.toStdString();
  expectSameEmbeddings( "solo2", "b" );
  const AlgorithmRun soloPredict = runAlgorithm( "musecl:predict", predict, soloPredictContext );
  ASSERT_TRUE( soloPredict.ok ) << soloPredict.error.toStdString();
  EXPECT_EQ( jobs[2]->results.value( "R2" ).toDouble(), soloPredict.outputs.value( "R2" ).toDouble() )
      << "the predict run beside the trainings equals its run alone";
}

TEST( TrainEmbed, FileInputsAreOpenedOnTheMainThreadInPrepare )
{
  // prepare() (main thread in the desktop) opens the regions GeoPackage; the run (a worker thread)
  // must reuse that layer, not open the file again.
  auto city = trainingCity();
  const QString gpkg = city->dir.filePath( "regions.gpkg" );
  QgsVectorFileWriter::SaveVectorOptions options;
  options.driverName = QStringLiteral( "GPKG" );
  ASSERT_EQ(
      QgsVectorFileWriter::writeAsVectorFormatV3( city->regions.get(), gpkg, QgsCoordinateTransformContext(), options ),
      QgsVectorFileWriter::NoError );
  auto openedFromFile = []( QgsProcessingContext &context )
  {
    int n = 0;
    for ( QgsMapLayer *layer : context.temporaryLayerStore()->mapLayers() )
      n += layer->source().contains( QLatin1String( "regions.gpkg" ) );
    return n;
  };
  std::unique_ptr<QgsProcessingAlgorithm> algorithm(
      QgsApplication::processingRegistry()->createAlgorithmById( "musecl:poifeatures" ) );
  const QVariantMap parameters{ { "REGIONS", gpkg },
                                { "POIS", QVariant::fromValue( city->pois.get() ) },
                                { "CATEGORY_FIELD", "kind" },
                                { "OUTPUT", "memory:" } };
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  ASSERT_TRUE( algorithm->prepare( parameters, context, &feedback ) );
  EXPECT_EQ( openedFromFile( context ), 1 ) << "opened in prepare";
  const QVariantMap results = algorithm->runPrepared( parameters, context, &feedback );
  EXPECT_EQ( results.value( "POIS_IN_REGIONS" ).toInt(), 63 ) << "16 squares with 3 + i % 3 POIs each";
  EXPECT_EQ( openedFromFile( context ), 1 ) << "reused by the run, not opened again";
}

TEST( TrainEmbed, ErrorsCancellationAndNothingLeftBehind )
{
  auto city = trainingCity();
  QgsProcessingContext context;
  // Only regions: nothing to learn from.
  const AlgorithmRun none = runAlgorithm( "musecl:train",
                                          { { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                            { "OUTPUT_MODEL", city->dir.filePath( "none.musecl" ) },
                                            { "OUTPUT", "memory:" } },
                                          context );
  EXPECT_FALSE( none.ok );
  EXPECT_TRUE( none.error.contains( "RASTER, EMBEDDING_RASTER, STREETVIEW, POIS, FLOWS or ATTRIBUTE_FIELDS" ) )
      << none.error.toStdString();

  // One region with a raster: no triplet can be formed; the error says so instead of "no modality".
  {
    QgsVectorLayer one( QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" ),
                        QStringLiteral( "one_square" ), QStringLiteral( "memory" ) );
    QgsFeature square( one.fields() );
    square.setGeometry( QgsGeometry::fromRect( QgsRectangle( 500000, 4400000, 500500, 4400500 ) ) );
    square.setAttributes( QgsAttributes() << QStringLiteral( "s0" ) );
    one.dataProvider()->addFeatures( QgsFeatureList() << square );
    const AlgorithmRun single = runAlgorithm( "musecl:train",
                                              { { "REGIONS", QVariant::fromValue( &one ) },
                                                { "RASTER", city->raster },
                                                { "RS_MODE", 1 }, // chip triplets: one chip per region
                                                { "RS_BACKBONE", 1 },
                                                { "OUTPUT_MODEL", city->dir.filePath( "one.musecl" ) },
                                                { "OUTPUT", "memory:" } },
                                              context );
    EXPECT_FALSE( single.ok );
    EXPECT_TRUE( single.error.contains( "only 1 region(s) have images, fewer than the 3 a triplet needs" ) )
        << single.error.toStdString();
    EXPECT_FALSE( QFileInfo::exists( city->dir.filePath( "one.musecl" ) ) );
  }

  // CUDA asked for on a machine without it.
  QVariantMap cuda = trainParams( *city, city->dir.filePath( "cuda.musecl" ) );
  cuda.insert( "DEVICE", 2 );
  const AlgorithmRun cudaRun = runAlgorithm( "musecl:train", cuda, context );
  // Either a clear refusal, or (on a CUDA machine) a run that really used CUDA: a silent fallback
  // to the CPU would fail both branches.
  if ( !cudaRun.ok )
    EXPECT_TRUE( cudaRun.error.contains( "CUDA was requested but is not available" ) ) << cudaRun.error.toStdString();
  else
    EXPECT_TRUE( cudaRun.outputs.value( "DEVICE_USED" ).toString().startsWith( QLatin1String( "cuda" ) ) )
        << cudaRun.outputs.value( "DEVICE_USED" ).toString().toStdString();

  // Flows whose weights are all zero say nothing about mobility: refused, naming the layer and field.
  QgsVectorLayer zeroFlows( QStringLiteral( "LineString?crs=EPSG:32618&field=trips:double" ),
                            QStringLiteral( "zero_flows" ), QStringLiteral( "memory" ) );
  {
    QgsFeatureList copies;
    QgsFeature fl;
    QgsFeatureIterator flowIt = city->flows->getFeatures();
    while ( flowIt.nextFeature( fl ) )
    {
      QgsFeature copy( zeroFlows.fields() );
      copy.setGeometry( fl.geometry() );
      copy.setAttributes( QgsAttributes() << 0.0 );
      copies << copy;
    }
    zeroFlows.dataProvider()->addFeatures( copies );
  }
  QVariantMap zero = trainParams( *city, city->dir.filePath( "zero.musecl" ) );
  zero.insert( "FLOWS", QVariant::fromValue( &zeroFlows ) );
  const AlgorithmRun zeroRun = runAlgorithm( "musecl:train", zero, context );
  EXPECT_FALSE( zeroRun.ok );
  EXPECT_TRUE( zeroRun.error.contains( "zero_flows" ) && zeroRun.error.contains( "weight 0" ) &&
               zeroRun.error.contains( "trips" ) )
      << zeroRun.error.toStdString();
  EXPECT_FALSE( QFileInfo::exists( city->dir.filePath( "zero.musecl" ) ) );

  // A pass too small for one triplet is refused with its value.
  QVariantMap tiny = trainParams( *city, city->dir.filePath( "tiny.musecl" ) );
  tiny.insert( "IMAGES_PER_PASS", 2 );
  const AlgorithmRun tinyRun = runAlgorithm( "musecl:train", tiny, context );
  EXPECT_FALSE( tinyRun.ok );
  EXPECT_TRUE( tinyRun.error.contains( "IMAGES_PER_PASS is 2" ) ) << tinyRun.error.toStdString();
  EXPECT_FALSE( QFileInfo::exists( city->dir.filePath( "tiny.musecl" ) ) );

  // Cancelled during training: no model, no embeddings.
  struct CancelInTraining : QgsProcessingFeedback
  {
      CancelInTraining()
      {
        QObject::connect( this, &QgsFeedback::progressChanged, this,
                          [this]( double p )
                          {
                            if ( p >= 40 )
                              cancel();
                          } );
      }
  } feedback;
  const QString model = city->dir.filePath( "cancelled.musecl" );
  QVariantMap params = trainParams( *city, model );
  params.insert( "OUTPUT", city->dir.filePath( "cancelled_embeddings.gpkg" ) );
  const AlgorithmRun cancelled = runAlgorithm( "musecl:train", params, context, &feedback );
  EXPECT_FALSE( cancelled.ok );
  EXPECT_TRUE( cancelled.error.contains( "cancelled" ) ) << cancelled.error.toStdString();
  EXPECT_FALSE( QFileInfo::exists( model ) );
  EXPECT_FALSE( QFileInfo::exists( model + ".partial" ) );
  EXPECT_FALSE( QFileInfo::exists( city->dir.filePath( "cancelled_embeddings.gpkg" ) ) );

  // A corrupt model file is refused by name.
  QFile corrupt( city->dir.filePath( "corrupt.musecl" ) );
  corrupt.open( QIODevice::WriteOnly );
  corrupt.write( "PK\x03\x04 not really" );
  corrupt.close();
  const AlgorithmRun embed = runAlgorithm( "musecl:embed",
                                           { { "MODEL", corrupt.fileName() },
                                             { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                             { "POIS", QVariant::fromValue( city->pois.get() ) },
                                             { "CATEGORY_FIELD", "kind" },
                                             { "OUTPUT", "memory:" } },
                                           context );
  EXPECT_FALSE( embed.ok );
  EXPECT_TRUE( embed.error.contains( "corrupt.musecl" ) ) << embed.error.toStdString();
}
