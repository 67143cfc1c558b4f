// Helpers shared by the QGIS-backed tests.
#pragma once

#include <qgsapplication.h>
#include <qgsfeedback.h>
#include <qgsprocessingalgorithm.h>
#include <qgsprocessingcontext.h>
#include <qgsprocessingfeedback.h>
#include <qgsprocessingregistry.h>
#include <qgsvectorlayer.h>

#include <QString>
#include <QVariantMap>
#include <memory>

struct AlgorithmRun
{
    bool ok = false;
    QVariantMap outputs;
    QString error; // the QgsProcessingException text when !ok
};

// Runs a registered algorithm in a fresh context; `context` outlives the call so memory outputs can be read.
inline AlgorithmRun runAlgorithm( const QString &id, const QVariantMap &parameters, QgsProcessingContext &context,
                                  QgsProcessingFeedback *feedback = nullptr )
{
  AlgorithmRun run;
  std::unique_ptr<QgsProcessingAlgorithm> alg( QgsApplication::processingRegistry()->createAlgorithmById( id ) );
  if ( !alg )
  {
    run.error = QStringLiteral( "algorithm %1 not registered" ).arg( id );
    return run;
  }
  QgsProcessingFeedback defaultFeedback;
  QgsProcessingFeedback *fb = feedback ? feedback : &defaultFeedback;
  QString invalid;
  if ( !alg->checkParameterValues( parameters, context, &invalid ) )
  {
    run.error = invalid;
    return run;
  }
  try
  {
    // catchExceptions=false: the test sees the exception text itself, as qgis_process users do.
    run.outputs = alg->run( parameters, context, fb, &run.ok, QVariantMap(), false );
  }
  catch ( QgsProcessingException &e )
  {
    run.ok = false;
    run.error = e.what();
  }
  if ( !run.ok && run.error.isEmpty() )
    run.error = fb->textLog(); // run() reports exceptions into the feedback log
  return run;
}

// A memory polygon layer from WKT strings.
inline std::unique_ptr<QgsVectorLayer> polygonLayer( const QString &crs, const QStringList &wkts,
                                                     const QString &name = QStringLiteral( "boundary" ) )
{
  auto layer = std::make_unique<QgsVectorLayer>( QStringLiteral( "Polygon?crs=%1" ).arg( crs ), name,
                                                 QStringLiteral( "memory" ) );
  QgsFeatureList features;
  for ( const QString &wkt : wkts )
  {
    QgsFeature f;
    f.setGeometry( QgsGeometry::fromWkt( wkt ) );
    features << f;
  }
  layer->dataProvider()->addFeatures( features );
  layer->updateExtents();
  return layer;
}
