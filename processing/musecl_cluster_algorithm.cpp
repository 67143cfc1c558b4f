// musecl:cluster. Groups regions with similar embeddings: standardised features, optional PCA,
// then seeded k-means (core/musecl/predict.h), with a categorised style.
#include "musecl_cluster_algorithm.h"

#include <qgsprocessingoutputs.h>

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_provider.h"
#include "musecl_numeric_fields.h"
#include "musecl_region_inputs.h"
#include "musecl_styles.h"

#include "musecl/predict.h"

#include <qgsexception.h>

#include <QIcon>
#include <cmath>

namespace
{
  const QString kInput = QStringLiteral( "INPUT" );
  const QString kFeatures = QStringLiteral( "FEATURES" );
  const QString kFeaturePattern = QStringLiteral( "FEATURE_PATTERN" );
  const QString kClusters = QStringLiteral( "CLUSTERS" );
  const QString kComponents = QStringLiteral( "PCA_COMPONENTS" );
  const QString kSeed = QStringLiteral( "SEED" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
}

QString MuseclClusterAlgorithm::name() const { return QStringLiteral( "cluster" ); }
QString MuseclClusterAlgorithm::displayName() const { return QObject::tr( "Cluster regions by embedding" ); }
QStringList MuseclClusterAlgorithm::tags() const { return QObject::tr( "cluster,k-means,pca,typology,embedding,regions,musecl" ).split( ',' ); }
QString MuseclClusterAlgorithm::group() const { return QObject::tr( "Prediction" ); }
QString MuseclClusterAlgorithm::groupId() const { return QStringLiteral( "prediction" ); }
QIcon MuseclClusterAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclClusterAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/cluster.svg" ); }
MuseclClusterAlgorithm *MuseclClusterAlgorithm::createInstance() const { return new MuseclClusterAlgorithm(); }


QString MuseclClusterAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Groups regions whose embeddings are alike into a typology of K clusters: the features (default: every emb_* field; FEATURE_PATTERN adds fields by name with wildcards, e.g. emb_*;cat_*) are "
           "standardised, optionally reduced to their first principal components, and clustered with k-means (k-means++ start, "
           "fixed SEED: the same input gives the same clusters).\n\n"
           "Regions with has_embedding = 0 (no input reached them in musecl:train or musecl:embed) are not clustered: their "
           "cluster is NULL, and REGIONS_WITHOUT_EMBEDDING counts them.\n\n"
           "Output: the input layer with a cluster field (0…K−1), styled by category when loaded; a GeoPackage output stores the "
           "style as its default, so batch and qgis_process results open styled too." );
}

void MuseclClusterAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kInput, QObject::tr( "Regions with embeddings" ), QList<int>() << QgsProcessing::TypeVector ) );
  addParameter( new QgsProcessingParameterField( kFeatures, QObject::tr( "Feature fields (default: all emb_* fields)" ), QVariant(), kInput,
                QgsProcessingParameterField::Numeric, true, true ) );
  addParameter( new QgsProcessingParameterString( kFeaturePattern, QObject::tr( "Feature fields by name pattern (e.g. emb_*;cat_*;inflow;outflow)" ), QVariant(), false, true ) );
  addParameter( new QgsProcessingParameterNumber( kClusters, QObject::tr( "Number of clusters (K)" ), QgsProcessingParameterNumber::Integer, 6, false, 2, 1000 ) );
  addParameter( new QgsProcessingParameterNumber( kComponents, QObject::tr( "Principal components (0 = no PCA)" ), QgsProcessingParameterNumber::Integer, 10, false, 0, 1000 ) );
  addParameter( new QgsProcessingParameterNumber( kSeed, QObject::tr( "Random seed" ), QgsProcessingParameterNumber::Integer, 42, false, 0 ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Clustered regions" ), QgsProcessing::TypeVector ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_EMBEDDING" ), QObject::tr( "Regions skipped because has_embedding = 0" ) ) );
}


QVariantMap MuseclClusterAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  std::unique_ptr<QgsProcessingFeatureSource> source( parameterAsSource( parameters, kInput, context ) );
  if ( !source )
    throw QgsProcessingException( invalidSourceError( parameters, kInput ) );
  const QString layer = source->sourceName();
  const QList<int> indexes = museclFeatureFields( source->fields(), parameterAsFields( parameters, kFeatures, context ), parameterAsString( parameters, kFeaturePattern, context ), layer );
  const int k = parameterAsInt( parameters, kClusters, context );
  const int components = parameterAsInt( parameters, kComponents, context );

  std::vector<std::vector<double>> rows;
  QVector<QgsFeature> features;
  // Regions with has_embedding = 0 hold an all-zero embedding that no input produced: they would
  // form a cluster of their own. They are written with a NULL cluster and counted.
  const int hasEmbeddingIndex = source->fields().lookupField( QStringLiteral( "has_embedding" ) );
  std::vector<int> rowOf;
  long long withoutEmbedding = 0;
  QgsFeature f;
  QgsFeatureIterator it = source->getFeatures();
  while ( it.nextFeature( f ) )
  {
    features << f;
    if ( museclLacksEmbedding( f, hasEmbeddingIndex ) )
    {
      ++withoutEmbedding;
      rowOf.push_back( -1 );
      continue;
    }
    rowOf.push_back( static_cast<int>( rows.size() ) );
    std::vector<double> row;
    for ( int index : indexes )
    {
      bool ok = false;
      const QVariant v = f.attribute( index );
      const double x = v.toDouble( &ok );
      if ( v.isNull() || !ok || !std::isfinite( x ) )
        throw QgsProcessingException( QObject::tr( "Feature %1 of layer “%2” has “%3” in field %4; features must be finite numbers" )
                                      .arg( f.id() ).arg( layer, v.isNull() ? QStringLiteral( "NULL" ) : v.toString(), source->fields().at( index ).name() ) );
      row.push_back( x );
    }
    rows.push_back( std::move( row ) );
  }
  if ( withoutEmbedding > 0 )
    feedback->pushWarning( QObject::tr( "%1 of %2 regions have has_embedding = 0 (no input reached them): they are not clustered and get a NULL cluster" )
                           .arg( withoutEmbedding ).arg( features.size() ) );
  if ( static_cast<int>( rows.size() ) < k )
    throw QgsProcessingException( QObject::tr( "Layer “%1” has %2 features with an embedding, fewer than the %3 clusters asked for" ).arg( layer ).arg( rows.size() ).arg( k ) );
  if ( feedback->isCanceled() )
    throw QgsProcessingException( QObject::tr( "Cancelled; no output was written" ) );

  std::vector<double> explained;
  const std::vector<std::vector<double>> points = musecl::principalComponents( rows, components > 0 ? components : static_cast<int>( indexes.size() ), &explained );
  double share = 0;
  for ( double e : explained )
    share += e;
  if ( components > 0 )
    feedback->pushInfo( QObject::tr( "PCA: %1 components keep %2 % of the variance of %3 standardised features" ).arg( explained.size() ).arg( 100 * share, 0, 'f', 1 ).arg( indexes.size() ) );
  feedback->setProgress( 40 );
  const std::vector<int> labels = musecl::kMeans( points, k, static_cast<std::uint64_t>( parameterAsInt( parameters, kSeed, context ) ) );
  feedback->setProgress( 80 );

  MuseclOutputFields outputFields( source->fields() );
  const QString clusterName = outputFields.add( "", "cluster", QVariant::Int );
  const QgsFields &fields = outputFields.fields();
  MuseclAtomicSink output( this, kOutput, parameters, context, fields, source->wkbType(), source->sourceCrs() );
  std::vector<int> sizes( static_cast<std::size_t>( k ), 0 );
  for ( int i = 0; i < features.size(); ++i )
  {
    if ( rowOf[static_cast<std::size_t>( i )] < 0 )
    {
      output.addFeature( outputFields.extended( features.at( i ), QgsAttributes() << QVariant( QVariant::Int ) ) );
      continue;
    }
    const int label = labels[static_cast<std::size_t>( rowOf[static_cast<std::size_t>( i )] )];
    ++sizes[static_cast<std::size_t>( label )];
    output.addFeature( outputFields.extended( features.at( i ), QgsAttributes() << label ) );
  }
  QStringList summary;
  for ( int c = 0; c < k; ++c )
    summary << QStringLiteral( "%1: %2" ).arg( c ).arg( sizes[static_cast<std::size_t>( c )] );
  feedback->pushInfo( QObject::tr( "Cluster sizes — %1" ).arg( summary.join( QStringLiteral( ", " ) ) ) );
  const QString destination = output.commit();
  museclStyleOutput( context, destination, clusterName, k, false );
  QVariantMap outputs;
  outputs.insert( kOutput, destination );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_EMBEDDING" ), withoutEmbedding );
  return outputs;
}

QString MuseclClusterAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "predict-and-cluster" ) );
}
