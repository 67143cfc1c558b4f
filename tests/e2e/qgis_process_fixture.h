// The fixture of the qgis_process tests: the staged plugin folder enabled in a throw-away profile,
// and /usr/bin/qgis_process.bin run with it (the /usr/bin/qgis_process wrapper of Debian 12 passes
// an option this binary rejects). Shared by test_qgis_process*.cpp: one test suite, one fixture.
#pragma once

#include <gtest/gtest.h>

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

namespace qgis_process_fixture
{
  struct ProcessResult
  {
      int exitCode = -1;
      QString output; // stdout and stderr together
  };

  class QgisProcess : public ::testing::Test
  {
    protected:
      static void SetUpTestSuite()
      {
        sProfile = new QTemporaryDir();
        const ProcessResult enable =
            run( { QStringLiteral( "plugins" ), QStringLiteral( "enable" ), QStringLiteral( "musecl" ) } );
        ASSERT_EQ( enable.exitCode, 0 ) << enable.output.toStdString();
      }
      static void TearDownTestSuite()
      {
        delete sProfile;
        sProfile = nullptr;
      }

      // Headless, the throw-away profile, and the staged plugin folder.
      static QProcessEnvironment environment()
      {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert( QStringLiteral( "QT_QPA_PLATFORM" ), QStringLiteral( "offscreen" ) );
        env.insert( QStringLiteral( "QGIS_CUSTOM_CONFIG_PATH" ), sProfile->path() );
        env.insert( QStringLiteral( "QGIS_PLUGINPATH" ),
                    QFileInfo( QStringLiteral( MUSECL_PLUGIN_STAGE_DIR ) ).absolutePath() );
        return env;
      }

      static ProcessResult run( const QStringList &arguments, int timeoutMs = 120000 )
      {
        QProcess process;
        process.setProcessEnvironment( environment() );
        process.setProcessChannelMode( QProcess::MergedChannels );
        process.start( QStringLiteral( "/usr/bin/qgis_process.bin" ), arguments );
        ProcessResult result;
        if ( !process.waitForFinished( timeoutMs ) )
        {
          process.kill();
          result.output = QStringLiteral( "timed out" );
          return result;
        }
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        result.output = QString::fromUtf8( process.readAll() );
        return result;
      }

      static QJsonObject jsonResults( const ProcessResult &result )
      {
        // With --json, the JSON document is the last thing printed; progress text may precede it.
        const int start = result.output.indexOf( '{' );
        const QJsonDocument doc = QJsonDocument::fromJson( result.output.mid( start ).toUtf8() );
        return doc.object().value( QStringLiteral( "results" ) ).toObject();
      }

      static inline QTemporaryDir *sProfile = nullptr;
  };

  inline const QString kDemoBoundary = QStringLiteral( MUSECL_SOURCE_DIR "/data/synthetic_city/boundary.geojson" );
} // namespace qgis_process_fixture
