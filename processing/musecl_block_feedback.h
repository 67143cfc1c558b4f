// Feedback for one block of a layer streamed through an algorithm (musecl:embed): progress maps
// into the block's share of the run, cancelling the run cancels the block at its next progress
// step (the block's loops report progress at least every chunk of work), and only the first
// block's informational lines reach the log (the later ones would repeat them block by block);
// warnings and errors always do.
#pragma once

#include <qgsprocessingfeedback.h>

class MuseclBlockFeedback : public QgsProcessingFeedback
{
  public:
    MuseclBlockFeedback( QgsProcessingFeedback *parent, double progressFrom, double progressTo, bool verbose )
      : mParent( parent ), mVerbose( verbose )
    {
      // Direct: the block runs on the algorithm's thread, and so does this. The run's cancellation
      // is polled here rather than connected: the desktop cancels from the main thread, which must
      // never call into a block feedback that the worker thread may be destroying.
      QObject::connect( this, &QgsFeedback::progressChanged, this, [this, progressFrom, progressTo]( double p ) {
        mParent->setProgress( progressFrom + ( progressTo - progressFrom ) * p / 100.0 );
        if ( mParent->isCanceled() && !isCanceled() )
          cancel();
      }, Qt::DirectConnection );
      if ( parent->isCanceled() )
        cancel();
    }
    void setProgressText( const QString &text ) override
    {
      if ( mVerbose )
        mParent->setProgressText( text );
    }
    void reportError( const QString &error, bool fatalError = false ) override { mParent->reportError( error, fatalError ); }
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
