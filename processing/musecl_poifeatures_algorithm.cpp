// musecl:poifeatures. Counts POIs per region and category in one pass over the POIs (points are
// located in bulk, see musecl_region_inputs.h); the counts are the POI-distribution vector that
// MuseCL's POI similarity uses (paper eq. 3), and the POI text is tokenised for skip-gram (eq. 7).
#include "musecl_poifeatures_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"


#include <qgsexception.h>

#include <QIcon>
#include <algorithm>

namespace
{
  const QString kRegions = QStringLiteral( "REGIONS" );
  const QString kRegionId = QStringLiteral( "REGION_ID_FIELD" );
  const QString kPois = QStringLiteral( "POIS" );
  const QString kCategory = QStringLiteral( "CATEGORY_FIELD" );
  const QString kText = QStringLiteral( "TEXT_FIELDS" );
  const QString kTopK = QStringLiteral( "TOP_K" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
  const QString kOutputTable = QStringLiteral( "OUTPUT_TABLE" );
}

QString MuseclPoiFeaturesAlgorithm::name() const { return QStringLiteral( "poifeatures" ); }
QString MuseclPoiFeaturesAlgorithm::displayName() const { return QObject::tr( "Summarise POIs per region" ); }
QStringList MuseclPoiFeaturesAlgorithm::tags() const { return QObject::tr( "poi,points of interest,count,category,histogram,regions,musecl" ).split( ',' ); }
QString MuseclPoiFeaturesAlgorithm::group() const { return QObject::tr( "Region features" ); }
QString MuseclPoiFeaturesAlgorithm::groupId() const { return QStringLiteral( "features" ); }
QIcon MuseclPoiFeaturesAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclPoiFeaturesAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/poifeatures.svg" ); }
MuseclPoiFeaturesAlgorithm *MuseclPoiFeaturesAlgorithm::createInstance() const { return new MuseclPoiFeaturesAlgorithm(); }


QString MuseclPoiFeaturesAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Counts the points of interest in each region, in total and per category. This is the POI distribution that MuseCL "
           "compares regions by (paper eq. 3).\n\n"
           "<b>Output</b>: the regions with all their fields plus poi_total, poi_distinct (number of categories present), "
           "poi_words (text tokens of the POIs, for the POI-text embedding) and one count field per category, named "
           "cat_&lt;category&gt; (lower case, other characters replaced by _, made unique). With <b>Top K</b> > 0 only the K most "
           "frequent categories get a field and the rest are summed in cat_other. The optional <b>long table</b> lists "
           "region_id, category, count for every non-zero pair, whatever K is.\n\n"
           "Each POI is counted at most once: a POI exactly on an edge shared by two regions is given to exactly one of them, "
           "POIs outside every region are counted and reported, and POIs with a null or empty category count in poi_total only. "
           "POIs in any CRS are transformed to the regions' CRS. Multi-point features count once, at their first point.\n\n"
           "Region ids come from REGION_ID_FIELD, else a region_id field, else the feature id; they must be unique.\n\n"
           "MuseCL: Yong, X. and Zhou, X. (2024), IJCAI." );
}

void MuseclPoiFeaturesAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kRegions, QObject::tr( "Regions" ), QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField( kRegionId, QObject::tr( "Region id field (default: region_id, else feature id)" ), QVariant(), kRegions,
                QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterFeatureSource( kPois, QObject::tr( "POI points" ), QList<int>() << QgsProcessing::TypeVectorPoint ) );
  addParameter( new QgsProcessingParameterField( kCategory, QObject::tr( "Category field" ), QVariant(), kPois ) );
  addParameter( new QgsProcessingParameterField( kText, QObject::tr( "Text fields (names, tags, reviews)" ), QVariant(), kPois,
                QgsProcessingParameterField::Any, true, true ) );
  addParameter( new QgsProcessingParameterNumber( kTopK, QObject::tr( "Category fields for the K most frequent (0 = all)" ),
                QgsProcessingParameterNumber::Integer, 0, false, 0 ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Regions with POI counts" ), QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutputTable, QObject::tr( "POI counts per region and category (long table)" ),
                QgsProcessing::TypeVector, QVariant(), true, false ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "POIS_IN_REGIONS" ), QObject::tr( "POIs inside regions" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "POIS_OUTSIDE" ), QObject::tr( "POIs outside every region" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "CATEGORY_COUNT" ), QObject::tr( "Number of categories" ) ) );
}


QVariantMap MuseclPoiFeaturesAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );

  std::unique_ptr<QgsProcessingFeatureSource> pois( parameterAsSource( parameters, kPois, context ) );
  if ( !pois )
    throw QgsProcessingException( invalidSourceError( parameters, kPois ) );
  const int topK = parameterAsInt( parameters, kTopK, context );
  const MuseclPoiSummary summary = museclSummarisePois( regions, *pois, parameterAsString( parameters, kCategory, context ), parameterAsFields( parameters, kText, context ),
                                   false, context, feedback, 5, 80 );
  const std::vector<std::string> &categoryNames = summary.categories;
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> &located = summary.located;

  // Column order: most frequent category first (ties by name), so Top-K is a prefix.
  std::vector<double> categoryTotals( categoryNames.size(), 0.0 );
  for ( const auto &pair : located )
    categoryTotals[pair.second] += 1;
  std::vector<std::uint32_t> order( categoryNames.size() );
  for ( std::uint32_t i = 0; i < order.size(); ++i )
    order[i] = i;
  std::sort( order.begin(), order.end(), [&]( std::uint32_t a, std::uint32_t b ) {
    return categoryTotals[a] != categoryTotals[b] ? categoryTotals[a] > categoryTotals[b] : categoryNames[a] < categoryNames[b];
  } );
  const std::size_t kept = topK > 0 ? std::min<std::size_t>( static_cast<std::size_t>( topK ), order.size() ) : order.size();
  const bool hasOther = kept < order.size();
  std::vector<int> columnOf( categoryNames.size(), -1 );  // category -> output column (kept == other)
  for ( std::size_t rank = 0; rank < order.size(); ++rank )
    columnOf[order[rank]] = static_cast<int>( std::min( rank, kept ) );

  const std::size_t columns = kept + ( hasOther ? 1 : 0 );
  std::vector<double> counts( static_cast<std::size_t>( regions.size() ) * columns, 0.0 );
  std::vector<double> distinct( static_cast<std::size_t>( regions.size() ), 0.0 );
  for ( std::size_t i = 0; i < located.size(); ++i )
  {
    counts[located[i].first * columns + static_cast<std::size_t>( columnOf[located[i].second] )] += 1;
    if ( i == 0 || located[i] != located[i - 1] )
      distinct[located[i].first] += 1;
  }

  // Output fields: the regions' own, then ours with collision-free names.
  MuseclOutputFields outputFields( regions.fields );
  outputFields.add( "poi_", "total", QVariant::Double );
  outputFields.add( "poi_", "distinct", QVariant::Double );
  outputFields.add( "poi_", "words", QVariant::Double );
  for ( std::size_t rank = 0; rank < kept; ++rank )
    outputFields.add( "cat_", categoryNames[order[rank]], QVariant::Double );
  if ( hasOther )
    outputFields.add( "cat_", "other", QVariant::Double );
  const QgsFields &fields = outputFields.fields();

  MuseclAtomicSink output( this, kOutput, parameters, context, fields, regions.wkbType, regions.crs );
  std::unique_ptr<MuseclAtomicSink> table;
  if ( parameters.value( kOutputTable ).isValid() && !parameters.value( kOutputTable ).toString().isEmpty() )
  {
    QgsFields tableFields;
    tableFields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
    tableFields.append( QgsField( QStringLiteral( "category" ), QVariant::String ) );
    tableFields.append( QgsField( QStringLiteral( "count" ), QVariant::Double ) );
    table = std::make_unique<MuseclAtomicSink>( this, kOutputTable, parameters, context, tableFields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  }

  for ( int i = 0; i < regions.size(); ++i )
  {
    if ( feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled while writing; no output was written" ) );
    const auto r = static_cast<std::size_t>( i );
    QgsAttributes added;
    added << summary.total[r] << distinct[r] << summary.words[r];
    for ( std::size_t c = 0; c < columns; ++c )
      added << counts[r * columns + c];
    output.addFeature( outputFields.extended( regions.features.at( i ), added ) );
  }
  if ( table )
  {
    QgsFeature row;
    for ( std::size_t i = 0; i < located.size(); )
    {
      std::size_t j = i;
      while ( j < located.size() && located[j] == located[i] )
        ++j;
      row.setAttributes( QgsAttributes() << regions.ids.at( static_cast<int>( located[i].first ) )
                         << QString::fromStdString( categoryNames[located[i].second] ) << static_cast<double>( j - i ) );
      table->addFeature( row );
      i = j;
    }
  }

  feedback->pushInfo( QObject::tr( "%1 POIs inside regions, %2 outside every region, %3 without geometry, %4 in no category (counted in poi_total only); "
                                   "%5 categories%6" )
                      .arg( summary.inside ).arg( summary.outside ).arg( summary.stats.withoutGeometry ).arg( summary.uncategorised ).arg( categoryNames.size() )
                      .arg( hasOther ? QObject::tr( ", the %1 most frequent as fields and %2 in cat_other" ).arg( kept ).arg( order.size() - kept ) : QString() ) );

  // Finish both outputs before publishing either: a failure leaves both previous files untouched.
  output.finish();
  if ( table )
    table->finish();
  QVariantMap outputs;
  outputs.insert( kOutput, output.publish() );
  if ( table )
    outputs.insert( kOutputTable, table->publish() );
  outputs.insert( QStringLiteral( "POIS_IN_REGIONS" ), summary.inside );
  outputs.insert( QStringLiteral( "POIS_OUTSIDE" ), summary.outside );
  outputs.insert( QStringLiteral( "CATEGORY_COUNT" ), static_cast<qlonglong>( categoryNames.size() ) );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), regions.withoutGeometry );
  return outputs;
}

QString MuseclPoiFeaturesAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "region-features" ) );
}
