// The example models in examples/models: each one validates against the installed algorithms (the
// modeler's "Validate"), lays its components out on distinct places of the canvas, and the short
// one runs from a boundary to a prediction report on the synthetic city.
#include "qgis_test_support.h"

#include <gtest/gtest.h>

#include <qgsprocessingmodelalgorithm.h>

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <set>
#include <utility>

namespace
{
  const QString kModels = QStringLiteral( MUSECL_SOURCE_DIR "/examples/models" );

  std::vector<std::pair<QString, QPointF>> positions( const QgsProcessingModelAlgorithm &model )
  {
    std::vector<std::pair<QString, QPointF>> out;
    for ( const QgsProcessingModelParameter &p : model.parameterComponents() )
      out.emplace_back( QStringLiteral( "input %1" ).arg( p.parameterName() ), p.position() );
    for ( const QgsProcessingModelChildAlgorithm &child : model.childAlgorithms() )
    {
      out.emplace_back( QStringLiteral( "step %1" ).arg( child.childId() ), child.position() );
      for ( const QgsProcessingModelOutput &o : child.modelOutputs() )
        out.emplace_back( QStringLiteral( "output %1" ).arg( o.name() ), o.position() );
    }
    return out;
  }
} // namespace

TEST( ExampleModels, EachValidatesAndHasItsComponentsLaidOut )
{
  const QStringList files = QDir( kModels ).entryList( { QStringLiteral( "*.model3" ) }, QDir::Files );
  EXPECT_EQ( files.join( ' ' ).toStdString(),
             "boundary_to_report.model3 hexgrid_centres.model3 musecl_pipeline.model3" );
  for ( const QString &file : files )
  {
    QgsProcessingModelAlgorithm model;
    ASSERT_TRUE( model.fromFile( QDir( kModels ).filePath( file ) ) ) << file.toStdString();
    QStringList issues;
    EXPECT_TRUE( model.validate( issues ) ) << file.toStdString() << ": " << issues.join( "; " ).toStdString();
    std::set<std::pair<int, int>> places;
    for ( const auto &[name, at] : positions( model ) )
    {
      EXPECT_TRUE( at.x() > 0 && at.y() > 0 ) << file.toStdString() << ": " << name.toStdString() << " at 0,0";
      EXPECT_TRUE( places.insert( { static_cast<int>( at.x() ), static_cast<int>( at.y() ) } ).second )
          << file.toStdString() << ": " << name.toStdString() << " sits on another component";
    }
  }
}

TEST( ExampleModels, FromABoundaryToAPredictionReport )
{
  QTemporaryDir out;
  const QString data = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city" );
  QgsProcessingModelAlgorithm model;
  ASSERT_TRUE( model.fromFile( QDir( kModels ).filePath( "boundary_to_report.model3" ) ) );
  QgsProcessingContext context;
  QgsProcessingFeedback feedback;
  bool ok = false;
  const QVariantMap results = model.run( { { "boundary", data + "/boundary.geojson" },
                                           { "hexagon_side_m", 500 },
                                           { "pois", data + "/pois.gpkg" },
                                           { "target_raster", data + "/population_density.tif" },
                                           { "train:model", out.filePath( "city.musecl" ) },
                                           { "predict:predictions", out.filePath( "predictions.gpkg" ) },
                                           { "predict:report", out.filePath( "report.html" ) } },
                                         context, &feedback, &ok );
  ASSERT_TRUE( ok ) << feedback.textLog().toStdString();
  EXPECT_TRUE( QFileInfo::exists( out.filePath( "city.musecl" ) ) );
  const QgsVectorLayer predictions( out.filePath( "predictions.gpkg" ), "p", "ogr" );
  ASSERT_TRUE( predictions.isValid() );
  EXPECT_EQ( predictions.featureCount(), MUSECL_DEMO_HEX_COUNT );
  QFile report( out.filePath( "report.html" ) );
  ASSERT_TRUE( report.open( QIODevice::ReadOnly ) );
  EXPECT_TRUE( report.readAll().contains( "target_mean" ) ) << "the report names its target";
  EXPECT_TRUE( results.contains( "predict:report" ) );
}
