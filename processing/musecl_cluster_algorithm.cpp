// musecl:cluster. Groups regions with similar embeddings: standardised features, optional PCA,
// then seeded k-means (core/musecl/predict.h), with a categorised style.
#include "musecl_cluster_algorithm.h"

#include <qgsprocessingoutputs.h>

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_numeric_fields.h"
#include "musecl_region_inputs.h"
#include "musecl_stage_feedback.h"
#include "musecl_styles.h"

#include "musecl/learn/predict/predict.h"

#include <qgsexception.h>

#include <QIcon>
#include <cmath>

namespace
{
  // The rows to cluster, and which output feature each comes from.
  struct ClusterRows
  {
      std::vector<std::vector<double>> rows;
      QVector<QgsFeature> features;
      std::vector<int> rowOf; // output feature -> row, -1 when skipped
      long long withoutEmbedding = 0;
  };

  // Regions with has_embedding = 0 hold an all-zero embedding that no input produced: they would
  // form a cluster of their own. They are written with a NULL cluster and counted.
  ClusterRows readClusterRows( QgsProcessingFeatureSource &source, const QList<int> &indexes, const QString &layer )
  {
    ClusterRows in;
    const int hasEmbeddingIndex = source.fields().lookupField( QStringLiteral( "has_embedding" ) );
    QgsFeature f;
    QgsFeatureIterator it = source.getFeatures();
    while ( it.nextFeature( f ) )
    {
      in.features << f;
      if ( museclLacksEmbedding( f, hasEmbeddingIndex ) )
      {
        ++in.withoutEmbedding;
        in.rowOf.push_back( -1 );
        continue;
      }
      in.rowOf.push_back( static_cast<int>( in.rows.size() ) );
      in.rows.push_back( museclFeatureRow(
          f, indexes, source.fields(), layer,
          QObject::tr( "Feature %1 of layer “%2” has “%3” in field %4; features must be finite numbers" ) ) );
    }
    return in;
  }

  // Every input feature with its cluster (NULL where skipped); returns the size of each cluster.
  std::vector<int> writeClusters( MuseclAtomicSink &output, const MuseclOutputFields &outputFields,
                                  const ClusterRows &in, const std::vector<int> &labels, int k )
  {
    std::vector<int> sizes( static_cast<std::size_t>( k ), 0 );
    for ( int i = 0; i < in.features.size(); ++i )
    {
      if ( in.rowOf[static_cast<std::size_t>( i )] < 0 )
      {
        output.addFeature( outputFields.extended( in.features.at( i ), QgsAttributes() << QVariant( QVariant::Int ) ) );
        continue;
      }
      const int label = labels[static_cast<std::size_t>( in.rowOf[static_cast<std::size_t>( i )] )];
      ++sizes[static_cast<std::size_t>( label )];
      output.addFeature( outputFields.extended( in.features.at( i ), QgsAttributes() << label ) );
    }
    return sizes;
  }
} // namespace

MuseclClusterAlgorithm::MuseclClusterAlgorithm()
    : MuseclAlgorithmOf<MuseclClusterAlgorithm>(
          { "cluster", QT_TRANSLATE_NOOP( "QObject", "Cluster regions by embedding" ),
            QT_TRANSLATE_NOOP( "QObject", "cluster,k-means,pca,typology,embedding,regions,musecl" ),
            QT_TRANSLATE_NOOP( "QObject", "4. Prediction" ), "prediction", ":/musecl/icons/cluster.svg" } )
{
}


void MuseclClusterAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource(
      MuseclParameter::INPUT, QObject::tr( "Regions with embeddings" ), QList<int>() << QgsProcessing::TypeVector ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::FEATURES, QObject::tr( "Feature fields (default: all emb_* fields)" ), QVariant(),
      MuseclParameter::INPUT, QgsProcessingParameterField::Numeric, true, true ) );
  addParameter( new QgsProcessingParameterString(
      MuseclParameter::FEATURE_PATTERN,
      QObject::tr( "Feature fields by name pattern (e.g. emb_*;cat_*;inflow;outflow)" ), QVariant(), false, true ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::CLUSTERS, QObject::tr( "Number of clusters (K)" ),
                                                  QgsProcessingParameterNumber::Integer, 6, false, 2, 1000 ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::PCA_COMPONENTS,
                                                  QObject::tr( "Principal components (0 = no PCA)" ),
                                                  QgsProcessingParameterNumber::Integer, 10, false, 0, 1000 ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::SEED, QObject::tr( "Random seed" ),
                                                  QgsProcessingParameterNumber::Integer, 42, false, 0 ) );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT, QObject::tr( "Clustered regions" ),
                                                       QgsProcessing::TypeVector ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_EMBEDDING,
                                            QObject::tr( "Regions skipped because has_embedding = 0" ) ) );
}


QVariantMap MuseclClusterAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                      QgsProcessingFeedback *feedback )
{
  // Three steps: the rows and their principal components, k-means, the output.
  MuseclStepFeedback steps( 3, feedback );
  std::unique_ptr<QgsProcessingFeatureSource> source(
      parameterAsSource( parameters, MuseclParameter::INPUT, context ) );
  if ( !source )
    throw QgsProcessingException( invalidSourceError( parameters, MuseclParameter::INPUT ) );
  const QString layer = source->sourceName();
  const QList<int> indexes =
      museclFeatureFields( source->fields(), parameterAsFields( parameters, MuseclParameter::FEATURES, context ),
                           parameterAsString( parameters, MuseclParameter::FEATURE_PATTERN, context ), layer );
  const int k = parameterAsInt( parameters, MuseclParameter::CLUSTERS, context );
  const int components = parameterAsInt( parameters, MuseclParameter::PCA_COMPONENTS, context );

  const ClusterRows in = readClusterRows( *source, indexes, layer );
  const std::vector<std::vector<double>> &rows = in.rows;
  if ( in.withoutEmbedding > 0 )
    feedback->pushWarning(
        QObject::tr(
            "%1 of %2 regions have has_embedding = 0 (no input reached them): they are not clustered and get a NULL cluster" )
            .arg( in.withoutEmbedding )
            .arg( in.features.size() ) );
  if ( static_cast<int>( rows.size() ) < k )
    throw QgsProcessingException(
        QObject::tr( "Layer “%1” has %2 features with an embedding, fewer than the %3 clusters asked for" )
            .arg( layer )
            .arg( rows.size() )
            .arg( k ) );
  if ( feedback->isCanceled() )
    throw QgsProcessingException( QObject::tr( "Cancelled; no output was written" ) );

  std::vector<double> explained;
  const std::vector<std::vector<double>> points =
      musecl::principalComponents( rows, components > 0 ? components : static_cast<int>( indexes.size() ), &explained );
  double share = 0;
  for ( double e : explained )
    share += e;
  if ( components > 0 )
    feedback->pushInfo( QObject::tr( "PCA: %1 components keep %2 % of the variance of %3 standardised features" )
                            .arg( explained.size() )
                            .arg( 100 * share, 0, 'f', 1 )
                            .arg( indexes.size() ) );
  steps.setCurrentStep( 1 );
  const std::vector<int> labels = musecl::kMeans(
      points, k, static_cast<std::uint64_t>( parameterAsInt( parameters, MuseclParameter::SEED, context ) ) );
  steps.setCurrentStep( 2 );

  MuseclOutputFields outputFields( source->fields() );
  const QString clusterName = outputFields.add( "", "cluster", QVariant::Int );
  const QgsFields &fields = outputFields.fields();
  MuseclAtomicSink output( this, MuseclParameter::OUTPUT, parameters, context, fields, source->wkbType(),
                           source->sourceCrs() );
  const std::vector<int> sizes = writeClusters( output, outputFields, in, labels, k );
  QStringList summary;
  for ( int c = 0; c < k; ++c )
    summary << QStringLiteral( "%1: %2" ).arg( c ).arg( sizes[static_cast<std::size_t>( c )] );
  feedback->pushInfo( QObject::tr( "Cluster sizes — %1" ).arg( summary.join( QStringLiteral( ", " ) ) ) );
  const QString destination = output.commit();
  museclStyleOutput( context, destination, clusterName, k, false );
  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT, destination );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_EMBEDDING, in.withoutEmbedding );
  return outputs;
}
