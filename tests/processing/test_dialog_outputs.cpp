// Outputs as the algorithm dialog sets them. The dialog never passes a plain string: an output that
// is set arrives as a QgsProcessingOutputLayerDefinition naming the project to load it into, and a
// skipped optional output arrives as nothing at all. Every optional output set that way must be
// written and registered for loading; every skipped one must be neither.
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <qgsprocessingoutputs.h>
#include <qgsproject.h>

#include <QDir>
#include <QFileInfo>

using namespace learning_fixtures;

namespace
{
  QVariant asDialogSetsIt( const QString &path )
  {
    QgsProcessingOutputLayerDefinition definition( path, QgsProject::instance() );
    definition.destinationName = QFileInfo( path ).completeBaseName();
    return QVariant::fromValue( definition );
  }

  // Sorted and joined by newlines, so that a failure prints readable paths.
  std::string loadedOnCompletion( QgsProcessingContext &context )
  {
    QStringList paths = context.layersToLoadOnCompletion().keys();
    paths.sort();
    return paths.join( '\n' ).toStdString();
  }

  std::string lines( QStringList paths )
  {
    paths.sort();
    return paths.join( '\n' ).toStdString();
  }

  void expectLayerFile( const QString &path, long long features )
  {
    ASSERT_TRUE( QFileInfo::exists( path ) ) << path.toStdString();
    const QgsVectorLayer layer( path, QStringLiteral( "written" ), QStringLiteral( "ogr" ) );
    ASSERT_TRUE( layer.isValid() ) << path.toStdString();
    EXPECT_EQ( layer.featureCount(), features ) << path.toStdString();
  }
} // namespace

TEST( DialogOutputs, PoiAndMobilityTablesAreWrittenAndLoaded )
{
  auto city = trainingCity();
  const QDir dir( city->dir.path() );
  QgsProcessingContext context;
  const AlgorithmRun pois = runAlgorithm( "musecl:poifeatures",
                                          { { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                            { "POIS", QVariant::fromValue( city->pois.get() ) },
                                            { "CATEGORY_FIELD", "kind" },
                                            { "OUTPUT", asDialogSetsIt( dir.filePath( "poi.gpkg" ) ) },
                                            { "OUTPUT_TABLE", asDialogSetsIt( dir.filePath( "poi_table.csv" ) ) } },
                                          context );
  ASSERT_TRUE( pois.ok ) << pois.error.toStdString();
  // 16 squares, each with POIs of 3, 4 or 5 consecutive kinds out of 4: 4 kinds where it has 4 or 5
  // POIs (i % 3 > 0, 10 squares), 3 where it has 3 (6 squares): 58 region/kind rows.
  expectLayerFile( dir.filePath( "poi_table.csv" ), 10 * 4 + 6 * 3 );
  expectLayerFile( dir.filePath( "poi.gpkg" ), 16 );

  const AlgorithmRun flows = runAlgorithm( "musecl:mobilityfeatures",
                                           { { "REGIONS", QVariant::fromValue( city->regions.get() ) },
                                             { "FLOWS", QVariant::fromValue( city->flows.get() ) },
                                             { "WEIGHT_FIELD", "trips" },
                                             { "OUTPUT", asDialogSetsIt( dir.filePath( "mob.gpkg" ) ) },
                                             { "OUTPUT_OD", asDialogSetsIt( dir.filePath( "od.gpkg" ) ) } },
                                           context );
  ASSERT_TRUE( flows.ok ) << flows.error.toStdString();
  // One flow from each square, none inside its own square: 16 distinct OD pairs.
  expectLayerFile( dir.filePath( "od.gpkg" ), 16 );
  EXPECT_EQ( loadedOnCompletion( context ), lines( { dir.filePath( "mob.gpkg" ), dir.filePath( "od.gpkg" ),
                                                     dir.filePath( "poi.gpkg" ), dir.filePath( "poi_table.csv" ) } ) );
}

TEST( DialogOutputs, TheTrainingLogIsWrittenWhenSetAndNothingWhenSkipped )
{
  auto city = trainingCity();
  const QDir dir( city->dir.path() );
  QVariantMap params = trainParams( *city, dir.filePath( "city.musecl" ) );
  params.insert( "RASTER", QVariant() ); // no imagery: the log has the mobility and fusion stages only
  params.insert( "OUTPUT", asDialogSetsIt( dir.filePath( "embeddings.gpkg" ) ) );
  params.insert( "OUTPUT_LOG", asDialogSetsIt( dir.filePath( "log.csv" ) ) );
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  const AlgorithmRun train = runAlgorithm( "musecl:train", params, context, &feedback );
  ASSERT_TRUE( train.ok ) << train.error.toStdString();
  // No image encoder trained by triplets: RUNS automatic gives three trainings, each with its rows.
  expectLayerFile( dir.filePath( "log.csv" ), 3 * ( 10 + 5 ) );
  // The log names the files the user gets, never the hidden names they are written under first.
  EXPECT_FALSE( feedback.textLog().contains( ".musecl-partial" ) ) << feedback.textLog().toStdString();
  EXPECT_TRUE( feedback.textLog().contains( dir.filePath( "city.musecl" ) ) );
  EXPECT_EQ( train.outputs.value( "OUTPUT_LOG" ).toString(), dir.filePath( "log.csv" ) );
  EXPECT_EQ( loadedOnCompletion( context ), lines( { dir.filePath( "embeddings.gpkg" ), dir.filePath( "log.csv" ) } ) );

  // A skipped optional output: the dialog leaves the key out.
  params.remove( "OUTPUT_LOG" );
  params.insert( "OUTPUT", asDialogSetsIt( dir.filePath( "again.gpkg" ) ) );
  QFile::remove( dir.filePath( "log.csv" ) );
  QgsProcessingContext skipped;
  const AlgorithmRun again = runAlgorithm( "musecl:train", params, skipped );
  ASSERT_TRUE( again.ok ) << again.error.toStdString();
  EXPECT_FALSE( QFileInfo::exists( dir.filePath( "log.csv" ) ) );
  EXPECT_FALSE( again.outputs.contains( "OUTPUT_LOG" ) );
  EXPECT_EQ( loadedOnCompletion( skipped ), lines( { dir.filePath( "again.gpkg" ) } ) );
}

TEST( DialogOutputs, ATemporaryModelFileIsRefusedBeforeTraining )
{
  // "[Save to temporary file]", the dialog's default: the model would be gone when QGIS closes.
  auto city = trainingCity();
  QVariantMap params = trainParams( *city, QgsProcessing::TEMPORARY_OUTPUT );
  QgsProcessingContext context;
  const AlgorithmRun train = runAlgorithm( "musecl:train", params, context );
  EXPECT_FALSE( train.ok );
  EXPECT_TRUE( train.error.contains( "Choose where to save the trained model (Model file, OUTPUT_MODEL)" ) )
      << train.error.toStdString();
}

TEST( DialogOutputs, TheTrainDialogShowsWhatEveryRunNeedsAndHidesImageryOptions )
{
  std::unique_ptr<QgsProcessingAlgorithm> train(
      QgsApplication::processingRegistry()->createAlgorithmById( "musecl:train" ) );
  ASSERT_TRUE( train );
  const auto advanced = [&train]( const char *name )
  {
    const QgsProcessingParameterDefinition *d = train->parameterDefinition( name );
    EXPECT_TRUE( d ) << name;
    return d && ( d->flags() & QgsProcessingParameterDefinition::FlagAdvanced );
  };
  for ( const char *shown : { "REGIONS", "RASTER", "POIS", "FLOWS", "FLOW_TYPE", "WEIGHT_FIELD", "ROLE_FIELD",
                              "EMBEDDING_SIZE", "SEED", "OUTPUT_MODEL", "OUTPUT" } )
    EXPECT_FALSE( advanced( shown ) ) << shown << " is needed to read the inputs or keep the result";
  for ( const char *hidden :
        { "IMAGE_EPOCHS", "RS_BACKBONE", "SV_BACKBONE", "SV_SIZE", "SV_PRETRAIN_STEPS", "RS_MODE" } )
    EXPECT_TRUE( advanced( hidden ) ) << hidden << " means nothing without imagery";
  // Labels in the analyst's words: no jargon the dialog does not explain.
  for ( const QgsProcessingParameterDefinition *d : train->parameterDefinitions() )
  {
    QString shown = d->description();
    if ( const auto *choice = dynamic_cast<const QgsProcessingParameterEnum *>( d ) )
      shown += ' ' + choice->options().join( ' ' );
    for ( const char *jargon : { "GMAC", "InfoNCE", "log1p", "rendezvous" } )
      EXPECT_FALSE( shown.contains( jargon, Qt::CaseInsensitive ) )
          << d->name().toStdString() << ": " << shown.toStdString();
  }
}
