// musecl:cluster through the registry, on embeddings of well separated groups.
#include "qgis_test_support.h"

#include <gtest/gtest.h>

#include <qgscategorizedsymbolrenderer.h>
#include <qgsvectordataprovider.h>

#include <QTemporaryDir>
#include <map>
#include <random>
#include <set>

TEST( Cluster, SeparatedGroupsAreFoundAndStyled )
{
  QTemporaryDir dir;
  auto layer = std::make_unique<QgsVectorLayer>(
      QStringLiteral( "Polygon?crs=EPSG:32618&field=emb_0:double&field=emb_1:double&field=group:integer" ),
      QStringLiteral( "groups" ), QStringLiteral( "memory" ) );
  std::mt19937 rng( 9 );
  std::normal_distribution<double> g( 0, 0.1 );
  QgsFeatureList features;
  for ( int i = 0; i < 60; ++i )
  {
    const int group = i % 3;
    QgsFeature f( layer->fields() );
    f.setGeometry( QgsGeometry::fromRect( QgsRectangle( i * 10, 0, i * 10 + 10, 10 ) ) );
    f.setAttributes( QgsAttributes() << 5.0 * group + g( rng ) << -3.0 * group + g( rng ) << group );
    features << f;
  }
  layer->dataProvider()->addFeatures( features );
  const QString path = dir.filePath( "clusters.gpkg" );
  QgsProcessingContext context;
  const AlgorithmRun run = runAlgorithm( "musecl:cluster",
                                         { { "INPUT", QVariant::fromValue( layer.get() ) },
                                           { "CLUSTERS", 3 },
                                           { "PCA_COMPONENTS", 2 },
                                           { "OUTPUT", path } },
                                         context );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  QgsVectorLayer out( path, "clusters", "ogr" );
  ASSERT_TRUE( out.isValid() );
  std::map<int, std::set<int>> clustersOfGroup;
  QgsFeature f;
  QgsFeatureIterator it = out.getFeatures();
  while ( it.nextFeature( f ) )
    clustersOfGroup[f.attribute( "group" ).toInt()].insert( f.attribute( "cluster" ).toInt() );
  ASSERT_EQ( clustersOfGroup.size(), 3u );
  std::set<int> used;
  for ( const auto &[group, clusters] : clustersOfGroup )
  {
    EXPECT_EQ( clusters.size(), 1u ) << "group " << group << " is one cluster";
    used.insert( *clusters.begin() );
  }
  EXPECT_EQ( used.size(), 3u );
  // The style is a .qml beside the file, which QGIS loads with the layer; no style table inside the
  // GeoPackage, which would make QGIS ask which of its tables to add.
  ASSERT_TRUE( out.renderer() );
  EXPECT_EQ( out.renderer()->type(), QStringLiteral( "categorizedSymbol" ) );
  EXPECT_EQ( static_cast<QgsCategorizedSymbolRenderer *>( out.renderer() )->categories().size(), 3 );
  EXPECT_EQ( out.dataProvider()->subLayers().size(), 1 ) << out.dataProvider()->subLayers().join( ';' ).toStdString();
}
