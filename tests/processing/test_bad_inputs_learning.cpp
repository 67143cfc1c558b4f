// The bad-input catalogue (docs/bad-inputs.md), its cases for the learning algorithms: train,
// embed, predict and cluster. test_bad_inputs.cpp runs them.
#include "bad_input_fixtures.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <cmath>
#include <memory>
#include <vector>

using namespace bad_input_fixtures;

namespace
{
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
} // namespace

namespace bad_input_fixtures
{
  std::vector<Case> learningAlgorithmCases()
  {
    const QString squarePolygon = QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string" );
    return {
      // ---- musecl:train ---------------------------------------------------------------------
      { "TrainPoisWithoutCategoryField",
        "musecl:train",
        []( Env &e ) {
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) } } );
        },
        Expect::Fails,
        { "CATEGORY_FIELD" } },
      { "TrainModelFolderIsAFile",
        "musecl:train",
        []( Env &e )
        {
          QFile blocker( e.dir.filePath( "models" ) );
          blocker.open( QIODevice::WriteOnly );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) },
                                  { "POIS", e.layer( e.pois ) },
                                  { "CATEGORY_FIELD", "fclass" },
                                  { "OUTPUT_MODEL", e.dir.filePath( "models/m.musecl" ) } } );
        },
        Expect::Fails,
        { "models" } },
      { "TrainSingleFlowPair",
        "musecl:train",
        []( Env &e )
        {
          auto one = withFeature(
              "LineString?crs=EPSG:32618&field=trips:double",
              QgsGeometry::fromPolylineXY( { QgsPointXY( 500500, 4400500 ), QgsPointXY( 501500, 4400500 ) } ),
              QgsAttributes() << 5.0 );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) },
                                  { "POIS", e.layer( e.pois ) },
                                  { "CATEGORY_FIELD", "fclass" },
                                  { "FLOWS", keep( std::move( one ) ) },
                                  { "WEIGHT_FIELD", "trips" } } );
        },
        Expect::Warns,
        { "joins only 1 region pair(s)" } },
      { "TrainRasterWithOneRegion",
        "musecl:train",
        [squarePolygon]( Env &e )
        {
          return quickTrain(
              e, { { "REGIONS",
                     keep( withFeature( squarePolygon,
                                        QgsGeometry::fromRect( QgsRectangle( 500000, 4400000, 501000, 4401000 ) ),
                                        QgsAttributes() << "A" ) ) },
                   { "RASTER", e.raster },
                   { "RS_MODE", 1 } } ); // chip triplets: one chip per region
        },
        Expect::Fails,
        { "fewer than the 3 a triplet needs" } },
      { "TrainPoisWithEmptyText",
        "musecl:train",
        []( Env &e )
        {
          auto pois = withFeature( "Point?crs=EPSG:32618&field=fclass:string&field=name:string",
                                   QgsGeometry::fromPointXY( QgsPointXY( 500500, 4400500 ) ),
                                   QgsAttributes() << ""
                                                   << "" );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) },
                                  { "POIS", keep( std::move( pois ) ) },
                                  { "CATEGORY_FIELD", "fclass" },
                                  { "TEXT_FIELDS", QStringList{ "name" } } } );
        },
        Expect::Fails,
        { "no category or text words" } },

      { "TrainEmbeddingSizeOne",
        "musecl:train",
        []( Env &e )
        {
          QVariantMap p = quickTrain(
              e,
              { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" } } );
          p.insert( "EMBEDDING_SIZE", 1 );
          return p;
        },
        Expect::Fails,
        { "EMBEDDING_SIZE" } },
      { "TrainFlowsAllOutside",
        "musecl:train",
        []( Env &e )
        {
          auto far = withFeature(
              "LineString?crs=EPSG:32618&field=trips:double",
              QgsGeometry::fromPolylineXY( { QgsPointXY( 600000, 4500000 ), QgsPointXY( 600100, 4500100 ) } ),
              QgsAttributes() << 3.0 );
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) },
                                  { "FLOWS", keep( std::move( far ) ) },
                                  { "WEIGHT_FIELD", "trips" } } );
        },
        Expect::Fails,
        { "do the layers overlap", "odd" } },
      { "TrainTripPointsWithoutRoleField",
        "musecl:train",
        []( Env &e )
        {
          return quickTrain(
              e, { { "REGIONS", e.layer( e.regions ) }, { "FLOWS", e.layer( e.pois ) }, { "FLOW_TYPE", 1 } } );
        },
        Expect::Fails,
        { "ROLE_FIELD" } },
      { "TrainRasterCorrupt",
        "musecl:train",
        []( Env &e )
        {
          QFile bad( e.dir.filePath( "bad.tif" ) );
          bad.open( QIODevice::WriteOnly );
          bad.write( "not a raster" );
          bad.close();
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "RASTER", bad.fileName() } } );
        },
        Expect::Fails,
        { "bad.tif", "GDAL cannot read it" } },
      { "TrainExistingModelSurvivesAFailedRun",
        "musecl:train",
        []( Env &e )
        {
          // A previous model file exists; the new run fails (CATEGORY_FIELD missing): the old
          // file must be untouched and nothing staged left beside it.
          QFile old( e.dir.filePath( "m.musecl" ) );
          old.open( QIODevice::WriteOnly );
          old.write( "previous model" );
          old.close();
          return quickTrain( e, { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) } } );
        },
        Expect::Fails,
        { "CATEGORY_FIELD" },
        []( Env &e, const AlgorithmRun & )
        {
          QFile old( e.dir.filePath( "m.musecl" ) );
          ASSERT_TRUE( old.open( QIODevice::ReadOnly ) );
          EXPECT_EQ( old.readAll(), QByteArray( "previous model" ) )
              << "the previous model file was changed by a failed run";
          EXPECT_EQ( QDir( e.dir.path() ).entryList( QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot ),
                     ( QStringList{ "city.tif", "m.musecl" } ) )
              << "nothing staged is left";
        } },

      // ---- musecl:embed ---------------------------------------------------------------------
      { "EmbedModelMissing",
        "musecl:embed",
        []( Env &e )
        {
          return QVariantMap{ { "MODEL", e.dir.filePath( "none.musecl" ) },
                              { "REGIONS", e.layer( e.regions ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "none.musecl" } },
      { "EmbedModelIsAnImage",
        "musecl:embed",
        []( Env &e )
        {
          return QVariantMap{ { "MODEL", e.raster },
                              { "REGIONS", e.layer( e.regions ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "MODEL" } },
      { "EmbedTruncatedModel",
        "musecl:embed",
        []( Env &e )
        {
          QgsProcessingContext c;
          const QVariantMap train = quickTrain(
              e,
              { { "REGIONS", e.layer( e.regions ) }, { "POIS", e.layer( e.pois ) }, { "CATEGORY_FIELD", "fclass" } } );
          runAlgorithm( "musecl:train", train, c );
          QFile model( e.dir.filePath( "m.musecl" ) );
          model.open( QIODevice::ReadWrite );
          model.resize( model.size() / 2 );
          model.close();
          return QVariantMap{ { "MODEL", model.fileName() },
                              { "REGIONS", e.layer( e.regions ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "m.musecl" } },
      { "EmbedWithNoneOfTheModelsViews",
        "musecl:embed",
        []( Env &e )
        {
          QgsProcessingContext c;
          runAlgorithm( "musecl:train",
                        quickTrain( e, { { "REGIONS", e.layer( e.regions ) },
                                         { "POIS", e.layer( e.pois ) },
                                         { "CATEGORY_FIELD", "fclass" } } ),
                        c );
          return QVariantMap{ { "MODEL", e.dir.filePath( "m.musecl" ) },
                              { "REGIONS", e.layer( e.regions ) },
                              { "FLOWS", e.layer( e.flows ) },
                              { "WEIGHT_FIELD", "trips" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "none of the inputs this model uses was given", "POI text" } },

      { "EmbedRegionsTenTimesLarger",
        "musecl:embed",
        []( Env &e )
        {
          QgsProcessingContext c;
          runAlgorithm( "musecl:train",
                        quickTrain( e, { { "REGIONS", e.layer( e.regions ) },
                                         { "POIS", e.layer( e.pois ) },
                                         { "CATEGORY_FIELD", "fclass" } } ),
                        c );
          auto big =
              std::make_unique<QgsVectorLayer>( "Polygon?crs=EPSG:32618&field=region_id:string", "big", "memory" );
          QgsFeatureList f2;
          for ( int i = 0; i < 2; ++i )
          {
            QgsFeature f( big->fields() );
            f.setGeometry( QgsGeometry::fromRect(
                QgsRectangle( 490000 + 10000 * i, 4390000, 500000 + 10000 * i, 4400000 + 10000 ) ) );
            f.setAttributes( QgsAttributes() << QStringLiteral( "B%1" ).arg( i ) );
            f2 << f;
          }
          big->dataProvider()->addFeatures( f2 );
          return QVariantMap{ { "MODEL", e.dir.filePath( "m.musecl" ) },
                              { "REGIONS", keep( std::move( big ) ) },
                              { "POIS", e.layer( e.pois ) },
                              { "CATEGORY_FIELD", "fclass" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Warns,
        { "may not be comparable" } },

      // ---- musecl:predict -------------------------------------------------------------------
      { "PredictNoFeatureFieldMatches",
        "musecl:predict",
        []( Env & )
        {
          auto t = Env::squares( "field=region_id:string&field=y:double" );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) },
                              { "TARGET", "y" },
                              { "FEATURE_PATTERN", "emb_*" },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "emb_*" } },
      { "PredictNullFeatureValue",
        "musecl:predict",
        []( Env & )
        {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double&field=y:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 }, { 2, 2.0 } } }, { 2, { { 2, 3.0 } } } } );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "Feature 2", "NULL", "emb_0" } },
      { "PredictSpatialFoldsWithoutGeometry",
        "musecl:predict",
        []( Env & )
        {
          auto t = std::make_unique<QgsVectorLayer>( "None?field=emb_0:double&field=y:double", "table", "memory" );
          QgsFeatureList rows;
          for ( int i = 0; i < 30; ++i )
          {
            QgsFeature f( t->fields() );
            f.setAttributes( QgsAttributes() << double( i ) << double( 2 * i ) );
            rows << f;
          }
          t->dataProvider()->addFeatures( rows );
          return QVariantMap{
            { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "EVALUATION", 2 }, { "OUTPUT", "memory:" }
          };
        },
        Expect::Fails,
        { "Spatially blocked", "table" } },
      { "PredictTargetIsTheOnlyFeature",
        "musecl:predict",
        []( Env & )
        {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues(
              { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) }, { "TARGET", "emb_0" }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "no emb_* fields besides the target" } },

      { "PredictNoTargetAtAll",
        "musecl:predict",
        []( Env & )
        {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double&field=y:double" );
          t->dataProvider()->changeAttributeValues(
              { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) }, { "TARGET", "y" }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "only 0 regions have a target" } },
      { "PredictTextTargetField",
        "musecl:predict",
        []( Env & )
        {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues(
              { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) }, { "TARGET", "region_id" }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "Feature 1 of layer “squares” has “A” in target field region_id" } },
      { "PredictReportFolderIsAFile",
        "musecl:predict",
        []( Env &e )
        {
          auto t = std::make_unique<QgsVectorLayer>( "Point?crs=EPSG:32618&field=emb_0:double&field=y:double", "table",
                                                     "memory" );
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
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) },
                              { "TARGET", "y" },
                              { "OUTPUT_REPORT", e.dir.filePath( "reports/r.html" ) },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "reports" } },

      // ---- musecl:cluster -------------------------------------------------------------------
      { "ClusterMoreClustersThanRegions",
        "musecl:cluster",
        []( Env & )
        {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues(
              { { 1, { { 1, 1.0 } } }, { 2, { { 1, 2.0 } } }, { 3, { { 1, 3.0 } } }, { 4, { { 1, 4.0 } } } } );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) }, { "CLUSTERS", 6 }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "fewer than the 6 clusters" } },
      { "ClusterNanFeature",
        "musecl:cluster",
        []( Env & )
        {
          auto t = Env::squares( "field=region_id:string&field=emb_0:double" );
          t->dataProvider()->changeAttributeValues( { { 1, { { 1, 1.0 } } },
                                                      { 2, { { 1, std::nan( "" ) } } },
                                                      { 3, { { 1, 3.0 } } },
                                                      { 4, { { 1, 4.0 } } } } );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) }, { "CLUSTERS", 2 }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "Feature 2", "emb_0" } },
      { "ClusterNoEmbeddingFields",
        "musecl:cluster",
        []( Env &e ) {
          return QVariantMap{ { "INPUT", e.layer( e.regions ) }, { "CLUSTERS", 2 }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "emb_" } },
      { "ClusterSingleRegion",
        "musecl:cluster",
        [squarePolygon]( Env & )
        {
          auto t = withFeature( "Polygon?crs=EPSG:32618&field=emb_0:double",
                                QgsGeometry::fromRect( QgsRectangle( 0, 0, 1, 1 ) ), QgsAttributes() << 1.0 );
          return QVariantMap{ { "INPUT", keep( std::move( t ) ) }, { "CLUSTERS", 2 }, { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "fewer than the 2 clusters" } },
      { "ClusterTextFeatureField",
        "musecl:cluster",
        []( Env &e )
        {
          return QVariantMap{ { "INPUT", e.layer( e.regions ) },
                              { "FEATURES", QStringList{ "region_id" } },
                              { "CLUSTERS", 2 },
                              { "OUTPUT", "memory:" } };
        },
        Expect::Fails,
        { "“region_id”", "not numeric" } },
    };
  }
} // namespace bad_input_fixtures
