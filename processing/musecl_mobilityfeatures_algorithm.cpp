// musecl:mobilityfeatures. Inflow and outflow per region (paper eqs. 1-2), from OD lines or from
// trip end points, in one pass with bulk location of both ends.
#include "musecl_mobilityfeatures_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_region_inputs.h"

#include "musecl/field_names.h"

#include <qgsexception.h>

#include <QIcon>
#include <cmath>
#include <map>

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
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "FLOWS_OUTSIDE" ), QObject::tr( "Flows with an end outside every region" ) ) );
  addOutput( new QgsProcessingOutputNumber( QStringLiteral( "WEIGHT_OUTSIDE" ), QObject::tr( "Weight of flows with an end outside every region" ) ) );
}

QVariantMap MuseclMobilityFeaturesAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const MuseclRegionSet regions = museclReadRegions( this, parameters, kRegions, kRegionId, context, feedback );
  std::unique_ptr<QgsProcessingFeatureSource> flows( parameterAsSource( parameters, kFlows, context ) );
  if ( !flows )
    throw QgsProcessingException( invalidSourceError( parameters, kFlows ) );
  const QString flowLayer = flows->sourceName();
  if ( flows->featureCount() == 0 )
    throw QgsProcessingException( QObject::tr( "Flow layer “%1” has no features" ).arg( flowLayer ) );
  const FlowType type = static_cast<FlowType>( parameterAsEnum( parameters, kFlowType, context ) );
  const QgsWkbTypes::GeometryType geometryType = QgsWkbTypes::geometryType( flows->wkbType() );
  if ( type == OdLines && geometryType != QgsWkbTypes::LineGeometry )
    throw QgsProcessingException( QObject::tr( "Flow layer “%1” has %2 geometries, but FLOW_TYPE is OD lines; use trip end points (FLOW_TYPE=1) for point layers" )
                                  .arg( flowLayer, QgsWkbTypes::geometryDisplayString( geometryType ) ) );
  if ( type == TripPoints && geometryType != QgsWkbTypes::PointGeometry )
    throw QgsProcessingException( QObject::tr( "Flow layer “%1” has %2 geometries, but FLOW_TYPE is trip end points" ).arg( flowLayer, QgsWkbTypes::geometryDisplayString( geometryType ) ) );

  const QString weightName = parameterAsString( parameters, kWeight, context );
  const int weightIndex = weightName.isEmpty() ? -1 : museclRequireField( flows->fields(), weightName, flowLayer, kWeight );
  int roleIndex = -1;
  QString originValue, destinationValue;
  if ( type == TripPoints )
  {
    const QString roleName = parameterAsString( parameters, kRole, context );
    if ( roleName.isEmpty() )
      throw QgsProcessingException( QObject::tr( "Trip end points need ROLE_FIELD: the field of layer “%1” that says whether a point is an origin or a destination" ).arg( flowLayer ) );
    roleIndex = museclRequireField( flows->fields(), roleName, flowLayer, kRole );
    originValue = parameterAsString( parameters, kOriginValue, context ).trimmed();
    destinationValue = parameterAsString( parameters, kDestinationValue, context ).trimmed();
    if ( originValue.compare( destinationValue, Qt::CaseInsensitive ) == 0 )
      throw QgsProcessingException( QObject::tr( "ORIGIN_VALUE and DESTINATION_VALUE are both “%1”" ).arg( originValue ) );
  }

  const std::size_t n = static_cast<std::size_t>( regions.size() );
  std::vector<double> inflow( n, 0.0 ), outflow( n, 0.0 ), internal( n, 0.0 );
  std::map<std::pair<std::uint32_t, std::uint32_t>, double> od;
  double weightInside = 0, weightOutside = 0;
  long long flowsOutside = 0, nullWeights = 0, unknownRole = 0;
  QgsAttributeList attributes;
  if ( weightIndex >= 0 )
    attributes << weightIndex;
  if ( roleIndex >= 0 )
    attributes << roleIndex;

  const MuseclLocateStats stats = museclLocateFeatures( *flows, QgsFeatureRequest().setSubsetOfAttributes( attributes ), regions,
                                  type == OdLines ? MuseclLocateVertices::FirstAndLast : MuseclLocateVertices::First, context, feedback,
                                  QObject::tr( "flow layer “%1”" ).arg( flowLayer ), 5, 85,
                                  [&]( const QgsFeature & f, std::int64_t origin, std::int64_t destination )
  {
    double weight = 1.0;
    if ( weightIndex >= 0 )
    {
      const QVariant v = f.attribute( weightIndex );
      bool ok = false;
      weight = v.isNull() ? 0.0 : v.toDouble( &ok );
      if ( v.isNull() )
        ++nullWeights;
      else if ( !ok || !std::isfinite( weight ) || weight < 0 )
        throw QgsProcessingException( QObject::tr( "Flow %1 of layer “%2” has weight “%3” in field %4; weights must be numbers ≥ 0" )
                                      .arg( f.id() ).arg( flowLayer, v.toString(), weightName ) );
    }
    if ( type == TripPoints )
    {
      const QString role = f.attribute( roleIndex ).toString().trimmed();
      const bool isOrigin = role.compare( originValue, Qt::CaseInsensitive ) == 0;
      const bool isDestination = role.compare( destinationValue, Qt::CaseInsensitive ) == 0;
      if ( !isOrigin && !isDestination )
      {
        ++unknownRole;
        return;
      }
      if ( origin < 0 )
      {
        ++flowsOutside;
        weightOutside += weight;
        return;
      }
      ( isOrigin ? outflow : inflow )[static_cast<std::size_t>( origin )] += weight;
      weightInside += weight;
      return;
    }
    if ( origin < 0 || destination < 0 )
    {
      ++flowsOutside;
      weightOutside += weight;
      return;
    }
    outflow[static_cast<std::size_t>( origin )] += weight;
    inflow[static_cast<std::size_t>( destination )] += weight;
    if ( origin == destination )
      internal[static_cast<std::size_t>( origin )] += weight;
    od[{ static_cast<std::uint32_t>( origin ), static_cast<std::uint32_t>( destination ) }] += weight;
    weightInside += weight;
  } );

  if ( weightInside == 0 && flowsOutside == stats.features - stats.withoutGeometry )
    throw QgsProcessingException( QObject::tr( "No flow of layer “%1” has its ends in regions of “%2”: do the layers overlap? Flow extent %3 (%4), region extent %5 (%6)" )
                                  .arg( flowLayer, regions.layerName, flows->sourceExtent().toString( 4 ), flows->sourceCrs().authid(),
                                        regions.extent.toString( 4 ), regions.crs.authid() ) );

  QgsFields fields = regions.fields;
  std::set<std::string> taken;
  for ( const QgsField &f : regions.fields )
    taken.insert( f.name().toLower().toStdString() );
  for ( const char *name : { "inflow", "outflow", "internal" } )
    fields.append( QgsField( QString::fromStdString( musecl::uniqueFieldName( "", name, taken ) ), QVariant::Double ) );

  MuseclAtomicSink output( this, kOutput, parameters, context, fields, regions.wkbType, regions.crs );
  std::unique_ptr<MuseclAtomicSink> odTable;
  if ( parameters.value( kOutputOd ).isValid() && !parameters.value( kOutputOd ).toString().isEmpty() )
  {
    if ( type == TripPoints )
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
    QgsFeature out = regions.features.at( i );
    out.setFields( fields, false );
    QgsAttributes attrs = regions.features.at( i ).attributes();
    const auto r = static_cast<std::size_t>( i );
    attrs << inflow[r] << outflow[r] << internal[r];
    out.setAttributes( attrs );
    output.addFeature( out );
  }
  if ( odTable )
  {
    QgsFeature row;
    for ( const auto &[pair, weight] : od )
    {
      row.setAttributes( QgsAttributes() << regions.ids.at( static_cast<int>( pair.first ) ) << regions.ids.at( static_cast<int>( pair.second ) ) << weight );
      odTable->addFeature( row );
    }
  }

  feedback->pushInfo( QObject::tr( "Weight %1 in flows with both ends in regions; %2 flows (weight %3) have an end outside every region; %4 features without geometry" )
                      .arg( weightInside, 0, 'f', 2 ).arg( flowsOutside ).arg( weightOutside, 0, 'f', 2 ).arg( stats.withoutGeometry ) );
  if ( nullWeights )
    feedback->pushWarning( QObject::tr( "%1 flows have a null %2 and count as 0" ).arg( nullWeights ).arg( weightName ) );
  if ( unknownRole )
    feedback->pushWarning( QObject::tr( "%1 points are neither “%2” nor “%3” in the origin/destination field and are ignored" ).arg( unknownRole ).arg( originValue, destinationValue ) );
  if ( stats.transformFailed )
    feedback->pushWarning( QObject::tr( "%1 flows could not be transformed to %2 and count as outside" ).arg( stats.transformFailed ).arg( regions.crs.authid() ) );

  QVariantMap outputs;
  outputs.insert( kOutput, output.commit() );
  if ( odTable )
    outputs.insert( kOutputOd, odTable->commit() );
  outputs.insert( QStringLiteral( "WEIGHT_INSIDE" ), weightInside );
  outputs.insert( QStringLiteral( "FLOWS_OUTSIDE" ), flowsOutside );
  outputs.insert( QStringLiteral( "WEIGHT_OUTSIDE" ), weightOutside );
  return outputs;
}
