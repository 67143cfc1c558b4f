// musecl:mobilityfeatures. Inflow and outflow per region (paper eqs. 1-2), from OD lines or from
// trip end points, in one pass with bulk location of both ends.
#include "musecl_mobilityfeatures_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_output_fields.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"


#include <qgsexception.h>

#include <QIcon>

namespace
{
  const QString kRegions = QStringLiteral( "REGIONS" );
  const QString kRegionId = QStringLiteral( "REGION_ID_FIELD" );
  const QString kFlows = QStringLiteral( "FLOWS" );
  const QString kFlowType = QStringLiteral( "FLOW_TYPE" );
  const QString kWeight = QStringLiteral( "WEIGHT_FIELD" );
  const QString kRole = QStringLiteral( "ROLE_FIELD" );
  const QString kOriginValue = QStringLiteral( "ORIGIN_VALUE" );
  const QString kDestinationValue = QStringLiteral( "DESTINATION_VALUE" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
  const QString kOutputOd = QStringLiteral( "OUTPUT_OD" );

  enum FlowType
  {
    OdLines = 0,
    TripPoints = 1,
  };
}

QString MuseclMobilityFeaturesAlgorithm::name() const { return QStringLiteral( "mobilityfeatures" ); }
QString MuseclMobilityFeaturesAlgorithm::displayName() const { return QObject::tr( "Summarise mobility per region" ); }
QStringList MuseclMobilityFeaturesAlgorithm::tags() const { return QObject::tr( "mobility,flow,od,origin,destination,taxi,trips,inflow,outflow,regions,musecl" ).split( ',' ); }
QString MuseclMobilityFeaturesAlgorithm::group() const { return QObject::tr( "Region features" ); }
QString MuseclMobilityFeaturesAlgorithm::groupId() const { return QStringLiteral( "features" ); }
QIcon MuseclMobilityFeaturesAlgorithm::icon() const { return QIcon( svgIconPath() ); }
QString MuseclMobilityFeaturesAlgorithm::svgIconPath() const { return QStringLiteral( ":/musecl/icons/mobilityfeatures.svg" ); }
MuseclMobilityFeaturesAlgorithm *MuseclMobilityFeaturesAlgorithm::createInstance() const { return new MuseclMobilityFeaturesAlgorithm(); }


QString MuseclMobilityFeaturesAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Sums the mobility into and out of each region: the inflow and outflow by which MuseCL compares regions (paper eqs. 1-2).\n\n"
           "<b>OD lines</b>: each line is one flow from its first vertex (origin) to its last vertex (destination), e.g. taxi "
           "origin-destination pairs. A flow counts only when <i>both</i> ends fall in regions: then its weight is added to the "
           "origin's outflow and the destination's inflow, and also to <i>internal</i> when both ends are in the same region. So "
           "total inflow = total outflow = the weight of all flows with both ends inside.\n\n"
           "<b>Trip end points</b>: each point is one trip end; ROLE_FIELD says whether it is an origin (ORIGIN_VALUE, default O) "
           "or a destination (DESTINATION_VALUE, default D), compared case-insensitively. Origins add to outflow, destinations to "
           "inflow; internal is not known for unpaired points and stays 0.\n\n"
           "The <b>weight</b> field (e.g. trips) defaults to 1 per feature; null weights count as 0 and are reported, negative "
           "or non-numeric weights are refused. Flows with an end outside every region are counted and reported, never "
           "silently lost. The optional OD table gives the weight per (origin region, destination region) pair.\n\n"
           "MuseCL: Yong, X. and Zhou, X. (2024), IJCAI." );
}

void MuseclMobilityFeaturesAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kRegions, QObject::tr( "Regions" ), QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField( kRegionId, QObject::tr( "Region id field (default: region_id, else feature id)" ), QVariant(), kRegions,
                QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterFeatureSource( kFlows, QObject::tr( "Flows (OD lines or trip end points)" ),
                QList<int>() << QgsProcessing::TypeVectorLine << QgsProcessing::TypeVectorPoint ) );
  addParameter( new QgsProcessingParameterEnum( kFlowType, QObject::tr( "Flow layer type" ),
                QStringList() << QObject::tr( "OD lines (first vertex = origin, last vertex = destination)" )
                << QObject::tr( "Trip end points with an origin/destination field" ), false, OdLines ) );
  addParameter( new QgsProcessingParameterField( kWeight, QObject::tr( "Weight field (default: 1 per feature)" ), QVariant(), kFlows,
                QgsProcessingParameterField::Numeric, false, true ) );
  addParameter( new QgsProcessingParameterField( kRole, QObject::tr( "Origin/destination field (trip end points only)" ), QVariant(), kFlows,
                QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterString( kOriginValue, QObject::tr( "Value marking an origin" ), QStringLiteral( "O" ), false, true ) );
  addParameter( new QgsProcessingParameterString( kDestinationValue, QObject::tr( "Value marking a destination" ), QStringLiteral( "D" ), false, true ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Regions with inflow and outflow" ), QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink( kOutputOd, QObject::tr( "Region-to-region OD table" ), QgsProcessing::TypeVector, QVariant(), true, false ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "WEIGHT_INSIDE" ), QObject::tr( "Weight of flows with both ends in regions" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "FLOWS_OUTSIDE" ), QObject::tr( "Flows with an end outside every region" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "WEIGHT_OUTSIDE" ), QObject::tr( "Weight of flows with an end outside every region" ) ) );
}


QVariantMap MuseclMobilityFeaturesAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  std::unique_ptr<QgsProcessingFeatureSource> flows( parameterAsSource( parameters, kFlows, context ) );
  if ( !flows )
    throw QgsProcessingException( invalidSourceError( parameters, kFlows ) );
  MuseclFlowOptions options;
  options.tripPoints = parameterAsEnum( parameters, kFlowType, context ) == TripPoints;
  options.weightField = parameterAsString( parameters, kWeight, context );
  options.roleField = parameterAsString( parameters, kRole, context );
  options.originValue = parameterAsString( parameters, kOriginValue, context );
  options.destinationValue = parameterAsString( parameters, kDestinationValue, context );
  const MuseclFlowSummary summary = museclSummariseFlows( regions, *flows, options, context, feedback, 5, 85 );

  MuseclOutputFields outputFields( regions.fields );
  for ( const char *name : { "inflow", "outflow", "internal" } )
    outputFields.add( "", name, QVariant::Double );
  const QgsFields &fields = outputFields.fields();

  MuseclAtomicSink output( this, kOutput, parameters, context, fields, regions.wkbType, regions.crs );
  std::unique_ptr<MuseclAtomicSink> odTable;
  if ( parameters.value( kOutputOd ).isValid() && !parameters.value( kOutputOd ).toString().isEmpty() )
  {
    if ( options.tripPoints )
      throw QgsProcessingException( QObject::tr( "An OD table needs OD lines; trip end points are not paired (leave OUTPUT_OD empty)" ) );
    QgsFields odFields;
    odFields.append( QgsField( QStringLiteral( "origin_region" ), QVariant::String ) );
    odFields.append( QgsField( QStringLiteral( "dest_region" ), QVariant::String ) );
    odFields.append( QgsField( QStringLiteral( "weight" ), QVariant::Double ) );
    odTable = std::make_unique<MuseclAtomicSink>( this, kOutputOd, parameters, context, odFields, QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  }
  for ( int i = 0; i < regions.size(); ++i )
  {
    if ( feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled while writing; no output was written" ) );
    const auto r = static_cast<std::size_t>( i );
    output.addFeature( outputFields.extended( regions.features.at( i ), QgsAttributes() << summary.inflow[r] << summary.outflow[r] << summary.internal[r] ) );
  }
  if ( odTable )
  {
    QgsFeature row;
    for ( const auto &[pair, weight] : summary.od )
    {
      row.setAttributes( QgsAttributes() << regions.ids.at( static_cast<int>( pair.first ) ) << regions.ids.at( static_cast<int>( pair.second ) ) << weight );
      odTable->addFeature( row );
    }
  }

  // Finish both outputs before publishing either: a failure leaves both previous files untouched.
  output.finish();
  if ( odTable )
    odTable->finish();
  QVariantMap outputs;
  outputs.insert( kOutput, output.publish() );
  if ( odTable )
    outputs.insert( kOutputOd, odTable->publish() );
  outputs.insert( QStringLiteral( "WEIGHT_INSIDE" ), summary.weightInside );
  outputs.insert( QStringLiteral( "FLOWS_OUTSIDE" ), summary.flowsOutside );
  outputs.insert( QStringLiteral( "WEIGHT_OUTSIDE" ), summary.weightOutside );
  outputs.insert( QStringLiteral( "REGIONS_WITHOUT_GEOMETRY" ), regions.withoutGeometry );
  return outputs;
}

QString MuseclMobilityFeaturesAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "region-features" ) );
}
