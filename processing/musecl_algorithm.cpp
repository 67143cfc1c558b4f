#include "musecl_algorithm.h"

#include "musecl_region_inputs.h"

QgsProcessingAlgorithm::Flags MuseclAlgorithm::flags() const
{
  return FlagSupportsBatch | FlagCanCancel;
}

bool MuseclAlgorithm::checkParameterValues( const QVariantMap &parameters, QgsProcessingContext &context, QString *message ) const
{
  return museclCheckParameters( this, parameters, context, message );
}

bool MuseclAlgorithm::prepareAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback * )
{
  museclOpenVectorInputs( this, parameters, context );
  return true;
}
