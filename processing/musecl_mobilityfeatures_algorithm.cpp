// musecl:mobilityfeatures. Inflow and outflow per region (paper eqs. 1-2), from OD lines or from
// trip end points, in one pass with bulk location of both ends.
#include "musecl_mobilityfeatures_algorithm.h"
#include "musecl_region_inputs.h"

#include "musecl_atomic_sink.h"
#include "musecl_enum_parameters.h"
#include "musecl_output_fields.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_region_features.h"
#include "musecl_stage_feedback.h"


#include <qgsexception.h>

#include <QIcon>


MuseclMobilityFeaturesAlgorithm::MuseclMobilityFeaturesAlgorithm()
    : MuseclAlgorithmOf<MuseclMobilityFeaturesAlgorithm>(
          { "mobilityfeatures", QT_TRANSLATE_NOOP( "QObject", "Summarise mobility per region" ),
            QT_TRANSLATE_NOOP( "QObject",
                               "mobility,flow,od,origin,destination,taxi,trips,inflow,outflow,regions,musecl" ),
            QT_TRANSLATE_NOOP( "QObject", "2. Region features" ), "features", ":/musecl/icons/mobilityfeatures.svg" } )
{
}


void MuseclMobilityFeaturesAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::REGIONS, QObject::tr( "Regions" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::REGION_ID_FIELD, QObject::tr( "Region id field (default: region_id, else feature id)" ),
      QVariant(), MuseclParameter::REGIONS, QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterFeatureSource(
      MuseclParameter::FLOWS, QObject::tr( "Flows (OD lines or trip end points)" ),
      QList<int>() << QgsProcessing::TypeVectorLine << QgsProcessing::TypeVectorPoint ) );
  addParameter( MuseclEnum::mobilityFlowType().create( QObject::tr( "Flow layer type" ) ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::WEIGHT_FIELD, QObject::tr( "Weight field (default: 1 per feature)" ), QVariant(),
      MuseclParameter::FLOWS, QgsProcessingParameterField::Numeric, false, true ) );
  addParameter( new QgsProcessingParameterField(
      MuseclParameter::ROLE_FIELD, QObject::tr( "Origin/destination field (trip end points only)" ), QVariant(),
      MuseclParameter::FLOWS, QgsProcessingParameterField::Any, false, true ) );
  addParameter( new QgsProcessingParameterString(
      MuseclParameter::ORIGIN_VALUE, QObject::tr( "Value marking an origin" ), QStringLiteral( "O" ), false, true ) );
  addParameter( new QgsProcessingParameterString( MuseclParameter::DESTINATION_VALUE,
                                                  QObject::tr( "Value marking a destination" ), QStringLiteral( "D" ),
                                                  false, true ) );
  addParameter( new QgsProcessingParameterFeatureSink(
      MuseclParameter::OUTPUT, QObject::tr( "Regions with inflow and outflow" ), QgsProcessing::TypeVectorPolygon ) );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT_OD,
                                                       QObject::tr( "Region-to-region OD table" ),
                                                       QgsProcessing::TypeVector, QVariant(), true, false ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::WEIGHT_INSIDE,
                                            QObject::tr( "Weight of flows with both ends in regions" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::REGIONS_WITHOUT_GEOMETRY,
                                            QObject::tr( "Regions skipped for having no polygon geometry" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::FLOWS_OUTSIDE,
                                            QObject::tr( "Flows with an end outside every region" ) ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::WEIGHT_OUTSIDE,
                                            QObject::tr( "Weight of flows with an end outside every region" ) ) );
}


QVariantMap MuseclMobilityFeaturesAlgorithm::processAlgorithm( const QVariantMap &parameters,
                                                               QgsProcessingContext &context,
                                                               QgsProcessingFeedback *feedback )
{
  // Three steps: the regions, the flows, the outputs.
  MuseclStepFeedback steps( 3, feedback );
  const MuseclRegionSet regions = museclReadRegions( this, parameters, MuseclParameter::REGIONS,
                                                     MuseclParameter::REGION_ID_FIELD, context, &steps );
  std::unique_ptr<QgsProcessingFeatureSource> flows( parameterAsSource( parameters, MuseclParameter::FLOWS, context ) );
  if ( !flows )
    throw QgsProcessingException( invalidSourceError( parameters, MuseclParameter::FLOWS ) );
  MuseclFlowOptions options;
  options.tripPoints = MuseclEnum::mobilityFlowType().read( this, parameters, context ) == MuseclFlowType::TripPoints;
  options.weightField = parameterAsString( parameters, MuseclParameter::WEIGHT_FIELD, context );
  options.roleField = parameterAsString( parameters, MuseclParameter::ROLE_FIELD, context );
  options.originValue = parameterAsString( parameters, MuseclParameter::ORIGIN_VALUE, context );
  options.destinationValue = parameterAsString( parameters, MuseclParameter::DESTINATION_VALUE, context );
  steps.setCurrentStep( 1 );
  const MuseclFlowSummary summary = museclSummariseFlows( regions, *flows, options, context, &steps );
  steps.setCurrentStep( 2 );

  MuseclOutputFields outputFields( regions.fields );
  for ( const char *name : { "inflow", "outflow", "internal" } )
    outputFields.add( "", name, QVariant::Double );
  const QgsFields &fields = outputFields.fields();

  MuseclAtomicSink output( this, MuseclParameter::OUTPUT, parameters, context, fields, regions.wkbType, regions.crs );
  std::unique_ptr<MuseclAtomicSink> odTable;
  if ( MuseclAtomicSink::requested( this, MuseclParameter::OUTPUT_OD, parameters, context ) )
  {
    if ( options.tripPoints )
      throw QgsProcessingException(
          QObject::tr( "An OD table needs OD lines; trip end points are not paired (leave OUTPUT_OD empty)" ) );
    QgsFields odFields;
    odFields.append( QgsField( QStringLiteral( "origin_region" ), QVariant::String ) );
    odFields.append( QgsField( QStringLiteral( "dest_region" ), QVariant::String ) );
    odFields.append( QgsField( QStringLiteral( "weight" ), QVariant::Double ) );
    odTable = std::make_unique<MuseclAtomicSink>( this, MuseclParameter::OUTPUT_OD, parameters, context, odFields,
                                                  QgsWkbTypes::NoGeometry, QgsCoordinateReferenceSystem() );
  }
  for ( int i = 0; i < regions.size(); ++i )
  {
    if ( feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled while writing; no output was written" ) );
    const auto r = static_cast<std::size_t>( i );
    output.addFeature( outputFields.extended(
        regions.features.at( i ), QgsAttributes() << summary.inflow[r] << summary.outflow[r] << summary.internal[r] ) );
  }
  if ( odTable )
  {
    QgsFeature row;
    for ( const auto &[pair, weight] : summary.od )
    {
      row.setAttributes( QgsAttributes() << regions.ids.at( static_cast<int>( pair.first ) )
                                         << regions.ids.at( static_cast<int>( pair.second ) ) << weight );
      odTable->addFeature( row );
    }
  }

  // Finish both outputs before publishing either: a failure leaves both previous files untouched.
  output.finish();
  if ( odTable )
    odTable->finish();
  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT, output.publish() );
  if ( odTable )
    outputs.insert( MuseclParameter::OUTPUT_OD, odTable->publish() );
  outputs.insert( MuseclOutput::WEIGHT_INSIDE, summary.weightInside );
  outputs.insert( MuseclOutput::FLOWS_OUTSIDE, summary.flowsOutside );
  outputs.insert( MuseclOutput::WEIGHT_OUTSIDE, summary.weightOutside );
  outputs.insert( MuseclOutput::REGIONS_WITHOUT_GEOMETRY, regions.withoutGeometry );
  return outputs;
}
