#include "musecl_core_call.h"

#include "musecl/learn/training.h"

#include <qgsfeedback.h>

QgsProcessingException museclCoreException( const std::exception &error, const MuseclCoreErrors &errors )
{
  const bool cancelled = errors.cancelledBy ? errors.cancelledBy->isCanceled()
                                            : dynamic_cast<const musecl::TrainingCancelled *>( &error ) != nullptr;
  if ( cancelled && !errors.cancelled.isEmpty() )
    return QgsProcessingException( errors.cancelled );
  const QString reason = QString::fromStdString( error.what() );
  return QgsProcessingException( errors.failed ? errors.failed( reason ) : reason );
}
