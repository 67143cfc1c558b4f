// musecl:poifeatures. Counts POIs per region and category in one pass over the POIs (points are
// located in bulk, see musecl_region_inputs.h); the counts are the POI-distribution vector that
// MuseCL's POI similarity uses (paper eq. 3), and the POI text is tokenised for skip-gram (eq. 7).
#include "musecl_poifeatures_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"
#include "musecl_stage_feedback.h"

#include "musecl/geo/poi_ranking.h"

#include <qgsexception.h>

#include <QIcon>
#include <algorithm>

namespace
{
  // The optional long table: region_id, category, count.
  std::unique_ptr<MuseclAtomicSink> createLongTable( const QgsProcessingAlgorithm *algorithm,
                                                     const QVariantMap &parameters, QgsProcessingContext &context )
  {
    QgsFields tableFields;
    tableFields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
    tableFields.append( QgsField( QStringLiteral( "category" ), QVariant::String ) );
    tableFields.append( QgsField( QStringLiteral( "count" ), QVariant::Double ) );
    return std::make_unique<MuseclAtomicSink>( algorithm, MuseclParameter::OUTPUT_TABLE, parameters, context,
                                               tableFields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  }

  // Each region with poi_total, poi_distinct, poi_words and its count per category column.
  void writeRegionCounts( MuseclAtomicSink &output, const MuseclOutputFields &outputFields,
                          const MuseclRegionSet &regions, const MuseclPoiSummary &summary,
                          const musecl::PoiCounts &counts, std::size_t columns, QgsProcessingFeedback *feedback )
  {
    for ( int i = 0; i < regions.size(); ++i )
    {
      if ( feedback->isCanceled() )
        throw QgsProcessingException( QObject::tr( "Cancelled while writing; no output was written" ) );
      const auto r = static_cast<std::size_t>( i );
      QgsAttributes added;
      added << summary.total[r] << counts.distinct[r] << summary.words[r];
      for ( std::size_t c = 0; c < columns; ++c )
        added << counts.counts[r * columns + c];
      output.addFeature( outputFields.extended( regions.features.at( i ), added ) );
    }
  }

  void writeLongTable( MuseclAtomicSink &table, const MuseclRegionSet &regions,
                       const std::vector<std::string> &categoryNames, const std::vector<musecl::LocatedPoi> &located )
  {
    QgsFeature row;
    for ( const musecl::PoiPairCount &pair : musecl::poiPairCounts( located ) )
    {
      row.setAttributes( QgsAttributes() << regions.ids.at( static_cast<int>( pair.region ) )
                                         << QString::fromStdString( categoryNames[pair.category] ) << pair.count );
      table.addFeature( row );
    }
  }
} // namespace

MuseclPoiFeaturesAlgorithm::MuseclPoiFeaturesAlgorithm()
    : MuseclAlgorithmOf<MuseclPoiFeaturesAlgorithm>(
          { "poifeatures", QT_TRANSLATE_NOOP( "QObject", "Summarise POIs per region" ),
            QT_TRANSLATE_NOOP( "QObject", "poi,points of interest,count,category,histogram,regions,musecl" ),
            QT_TRANSLATE_NOOP( "QObject", "2. Region features" ), "features", ":/musecl/icons/poifeatures.svg" } )
{
}


void MuseclPoiFeaturesAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::REGIONS, QObject::tr( "Regions" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::REGION_ID_FIELD, QObject::tr( "Region id field (default: region_id, else feature id)" ),
      QVariant(), MuseclParameter::REGIONS, QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::POIS, QObject::tr( "POI points" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPoint ) );
  addParameter( new QgsProcessingParameterField( MuseclParameter::CATEGORY_FIELD, QObject::tr( "Category field" ),
                                                 QVariant(), MuseclParameter::POIS ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::TEXT_FIELDS, QObject::tr( "Text fields (names, tags, reviews)" ), QVariant(),
      MuseclParameter::POIS, QgsProcessingParameterField::Any, true, true ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::TOP_K,
                                                  QObject::tr( "Category fields for the K most frequent (0 = all)" ),
                                                  QgsProcessingParameterNumber::Integer, 0, false, 0 ) );
  addParameter( new QgsProcessingParameterFeatureSink(
      MuseclParameter::OUTPUT, QObject::tr( "Regions with POI counts" ), QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT_TABLE,
                                                       QObject::tr( "POI counts per region and category (long table)" ),
                                                       QgsProcessing::TypeVector, QVariant(), true, false ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::POIS_IN_REGIONS, QObject::tr( "POIs inside regions" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_GEOMETRY,
                                            QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::POIS_OUTSIDE, QObject::tr( "POIs outside every region" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::CATEGORY_COUNT, QObject::tr( "Number of categories" ) ) );
}


QVariantMap MuseclPoiFeaturesAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                          QgsProcessingFeedback *feedback )
{
  // Three steps: the regions, the POIs, the outputs.
  MuseclStepFeedback steps( 3, feedback );
  const MuseclRegionSet regions = museclReadRegions( this, parameters, MuseclParameter::REGIONS,
                                                     MuseclParameter::REGION_ID_FIELD, context, &steps );

  std::unique_ptr<QgsProcessingFeatureSource> pois( parameterAsSource( parameters, MuseclParameter::POIS, context ) );
  if ( !pois )
    throw QgsProcessingException( invalidSourceError( parameters, MuseclParameter::POIS ) );
  const int topK = parameterAsInt( parameters, MuseclParameter::TOP_K, context );
  MuseclPoiOptions poiOptions;
  poiOptions.categoryField = parameterAsString( parameters, MuseclParameter::CATEGORY_FIELD, context );
  poiOptions.textFields = parameterAsFields( parameters, MuseclParameter::TEXT_FIELDS, context );
  steps.setCurrentStep( 1 );
  const MuseclPoiSummary summary = museclSummarisePois( regions, *pois, poiOptions, context, &steps );
  steps.setCurrentStep( 2 );
  const std::vector<std::string> &categoryNames = summary.categories;

  // Column order: most frequent category first (ties by name), so Top-K is a prefix.
  const musecl::PoiCategoryColumns columns = musecl::rankPoiCategories( categoryNames, summary.located, topK );
  const musecl::PoiCounts counts =
      musecl::countPoisPerColumn( columns, summary.located, static_cast<std::size_t>( regions.size() ) );

  // Output fields: the regions' own, then ours with collision-free names.
  MuseclOutputFields outputFields( regions.fields );
  outputFields.add( "poi_", "total", QVariant::Double );
  outputFields.add( "poi_", "distinct", QVariant::Double );
  outputFields.add( "poi_", "words", QVariant::Double );
  for ( std::size_t rank = 0; rank < columns.kept; ++rank )
    outputFields.add( "cat_", categoryNames[columns.order[rank]], QVariant::Double );
  if ( columns.hasOther )
    outputFields.add( "cat_", "other", QVariant::Double );
  const QgsFields &fields = outputFields.fields();

  MuseclAtomicSink output( this, MuseclParameter::OUTPUT, parameters, context, fields, regions.wkbType, regions.crs );
  std::unique_ptr<MuseclAtomicSink> table;
  if ( MuseclAtomicSink::requested( this, MuseclParameter::OUTPUT_TABLE, parameters, context ) )
    table = createLongTable( this, parameters, context );

  writeRegionCounts( output, outputFields, regions, summary, counts, columns.columns(), feedback );
  if ( table )
    writeLongTable( *table, regions, categoryNames, summary.located );

  feedback->pushInfo(
      QObject::tr(
          "%1 POIs inside regions, %2 outside every region, %3 without geometry, %4 in no category (counted in poi_total only); "
          "%5 categories%6" )
          .arg( summary.inside )
          .arg( summary.outside )
          .arg( summary.stats.withoutGeometry )
          .arg( summary.uncategorised )
          .arg( categoryNames.size() )
          .arg( columns.hasOther ? QObject::tr( ", the %1 most frequent as fields and %2 in cat_other" )
                                       .arg( columns.kept )
                                       .arg( columns.order.size() - columns.kept )
                                 : QString() ) );

  // Finish both outputs before publishing either: a failure leaves both previous files untouched.
  output.finish();
  if ( table )
    table->finish();
  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT, output.publish() );
  if ( table )
    outputs.insert( MuseclParameter::OUTPUT_TABLE, table->publish() );
  outputs.insert( MuseclOutput::POIS_IN_REGIONS, summary.inside );
  outputs.insert( MuseclOutput::POIS_OUTSIDE, summary.outside );
  outputs.insert( MuseclOutput::CATEGORY_COUNT, static_cast<qlonglong>( categoryNames.size() ) );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_GEOMETRY, regions.withoutGeometry );
  return outputs;
}
