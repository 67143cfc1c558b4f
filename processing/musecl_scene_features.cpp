#include "musecl_scene_features.h"

#include "musecl_region_table_builder.h" // museclTrainingProgress

#include "musecl/geo/raster_bands.h"
#include "musecl/geo/scene_raster.h"

#include <qgsprocessingfeedback.h>
#include <qgsrasterlayer.h>

musecl::SceneEncoder museclLearnSceneEncoder( QgsRasterLayer *raster, const QString &path, const QString &bandSpec,
                                              const musecl::SceneFeatureOptions &options,
                                              const MuseclCoreErrors &errors, QgsProcessingFeedback *feedback )
{
  const std::string spec = bandSpec.trimmed().toStdString();
  const musecl::Radiometry radiometry = museclCallCore(
      [&]
      { return musecl::measureRadiometry( path.toStdString(), musecl::chooseAllBands( path.toStdString(), spec ) ); },
      errors );
  feedback->pushInfo( QObject::tr( "Scene radiometry of “%1”: %2" )
                          .arg( raster->name(), QString::fromStdString( radiometry.describe() ) ) );
  return museclCallCore(
      [&]
      {
        const musecl::GdalScene scene( path.toStdString(), radiometry );
        return musecl::SceneEncoder::train( scene, radiometry, options, museclTrainingProgress( feedback, feedback ),
                                            [feedback]( const std::string &line )
                                            { feedback->pushInfo( QString::fromStdString( line ) ); } );
      },
      errors );
}

void museclWarnOfRadiometryMismatch( const musecl::SceneEncoder &encoder, const QString &path,
                                     const MuseclCoreErrors &errors, QgsProcessingFeedback *feedback )
{
  std::vector<int> bands;
  for ( const musecl::BandScaling &c : encoder.info().radiometry.channels )
    bands.push_back( c.band );
  const musecl::Radiometry here =
      museclCallCore( [&] { return musecl::measureRadiometry( path.toStdString(), bands ); }, errors );
  const std::string mismatch = musecl::radiometryMismatch( encoder.info().radiometry, here );
  if ( !mismatch.empty() )
    feedback->pushWarning( QObject::tr( "This scene's radiometry differs from the encoder's scene: %1" )
                               .arg( QString::fromStdString( mismatch ) ) );
}

QSize museclWriteFeatureRaster( const musecl::SceneEncoder &encoder, const QString &path, const QString &output,
                                int stride, musecl::DeviceChoice device, int threads, const MuseclCoreErrors &errors,
                                QgsProcessingFeedback *feedback )
{
  return museclCallCore(
      [&]
      {
        const musecl::GdalScene scene( path.toStdString(), encoder.info().radiometry );
        musecl::FeatureRasterFile file( output.toStdString(), scene, stride, encoder.info().features );
        encoder.writeFeatures( scene, stride, file, device, threads, museclTrainingProgress( feedback, feedback ) );
        file.commit();
        return QSize( file.width(), file.height() );
      },
      errors );
}
