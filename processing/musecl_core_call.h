// The boundary between the algorithms and the Qt-free core: a core call whose exceptions
// (std::invalid_argument for refused values, std::runtime_error for failures,
// musecl::TrainingCancelled when its progress callback asked it to stop, any std::exception)
// leave it as a QgsProcessingException with the message the algorithm gives.
#pragma once

#include <qgsexception.h>

#include <QString>
#include <functional>
#include <stdexcept>

class QgsFeedback;

// What the exceptions of a core call say.
struct MuseclCoreErrors
{
    // `failed` makes the message of a failure from the core's reason (its what()); none: the reason
    // itself. `cancelled` is the message of a cancelled call; none: the call is not cancellable. A
    // call is cancelled when it throws musecl::TrainingCancelled or, given `cancelledBy`, when it
    // fails once that feedback is cancelled (cores that stop with a plain std::runtime_error).
    explicit MuseclCoreErrors( std::function<QString( const QString &reason )> failed = nullptr,
                               const QString &cancelled = QString(), const QgsFeedback *cancelledBy = nullptr )
        : failed( std::move( failed ) ), cancelled( cancelled ), cancelledBy( cancelledBy )
    {
    }

    std::function<QString( const QString &reason )> failed;
    QString cancelled;
    const QgsFeedback *cancelledBy = nullptr;
};

// The QgsProcessingException that `error`, thrown by a core call, becomes.
QgsProcessingException museclCoreException( const std::exception &error, const MuseclCoreErrors &errors );

// call()'s result. An exception of type `Caught` (by default every std::exception) that the call
// throws becomes museclCoreException's; anything else passes unchanged.
template <typename Caught = std::exception, typename Call>
auto museclCallCore( Call &&call, const MuseclCoreErrors &errors = MuseclCoreErrors() ) -> decltype( call() )
{
  try
  {
    return call();
  }
  catch ( const Caught &e )
  {
    throw museclCoreException( e, errors );
  }
}
