// Feedback for one block of a layer streamed through an algorithm (musecl:embed): progress maps
// into the block's share of the run, cancelling the run cancels the block, and only the first
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
      QObject::connect( this, &QgsFeedback::progressChanged, parent, [parent, progressFrom, progressTo]( double p ) {
        parent->setProgress( progressFrom + ( progressTo - progressFrom ) * p / 100.0 );
      } );
      QObject::connect( parent, &QgsFeedback::canceled, this, &QgsFeedback::cancel, Qt::DirectConnection );
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
