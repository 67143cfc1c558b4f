// Feedback for the stages of a run. Stages report progress 0-100 on the feedback they are given;
// the algorithm says which share of the run each stage is.
#pragma once

#include <qgsprocessingfeedback.h>

// Equal steps of `parent` (QgsProcessingMultiStepFeedback), cancelled from the start when `parent`
// already is: QgsProcessingMultiStepFeedback follows only cancellations that come after it.
class MuseclStepFeedback : public QgsProcessingMultiStepFeedback
{
  public:
    MuseclStepFeedback( int steps, QgsProcessingFeedback *parent ) : QgsProcessingMultiStepFeedback( steps, parent )
    {
      if ( parent->isCanceled() )
        cancel();
    }
};

// A share [progressFrom, progressTo] of a run: a stage whose share is not an equal step
// (musecl:train's training is most of its run), or one block of a layer streamed through
// musecl:embed. Progress maps into the share, cancelling the run cancels this feedback at its next
// progress step (its users report progress at least every chunk of work), and informational lines
// reach the log only when `verbose` (a streamed layer's later blocks would repeat the first one's
// block by block); warnings and errors always do.
class MuseclRangeFeedback : public QgsProcessingFeedback
{
  public:
    MuseclRangeFeedback( QgsProcessingFeedback *parent, double progressFrom, double progressTo, bool verbose = true )
        : mParent( parent ), mVerbose( verbose )
    {
      // Direct: the stage runs on the algorithm's thread, and so does this. The run's cancellation
      // is polled here rather than connected: the desktop cancels from the main thread, which must
      // never call into a stage feedback that the worker thread may be destroying.
      QObject::connect(
          this, &QgsFeedback::progressChanged, this,
          [this, progressFrom, progressTo]( double p )
          {
            mParent->setProgress( progressFrom + ( progressTo - progressFrom ) * p / 100.0 );
            if ( mParent->isCanceled() && !isCanceled() )
              cancel();
          },
          Qt::DirectConnection );
      if ( parent->isCanceled() )
        cancel();
    }
    void setProgressText( const QString &text ) override
    {
      if ( mVerbose )
        mParent->setProgressText( text );
    }
    void reportError( const QString &error, bool fatalError = false ) override
    {
      mParent->reportError( error, fatalError );
    }
    void pushWarning( const QString &warning ) override { mParent->pushWarning( warning ); }
    void pushInfo( const QString &info ) override
    {
      if ( mVerbose )
        mParent->pushInfo( info );
    }
    void pushCommandInfo( const QString &info ) override
    {
      if ( mVerbose )
        mParent->pushCommandInfo( info );
    }
    void pushDebugInfo( const QString &info ) override { mParent->pushDebugInfo( info ); }
    void pushConsoleInfo( const QString &info ) override
    {
      if ( mVerbose )
        mParent->pushConsoleInfo( info );
    }

  private:
    QgsProcessingFeedback *mParent;
    bool mVerbose;
};
