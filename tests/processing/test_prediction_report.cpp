// musecl:predict's report on a target spread over two orders of magnitude (modelled on the log
// scale): the scores in the target's own units agree with the written predictions, the plot's
// ticks read in those units, and the residual map draws every region.
#include "learning_fixtures.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <cmath>
#include <random>

using namespace learning_fixtures;

namespace
{
  // 60 squares; target = round(100 exp(0.8 x0 − 0.5 x1 + 0.3 e)) with e standard normal noise, so
  // log(1 + target) is linear in x up to noise that leaves R² about 0.85 on that scale.
  std::unique_ptr<QgsVectorLayer> skewedRegions( double scale = 100, double spread = 1 )
  {
    auto layer = std::make_unique<QgsVectorLayer>(
        QStringLiteral( "Polygon?crs=EPSG:32618&field=region_id:string&field=emb_0:double&field=emb_1:double"
                        "&field=target:double" ),
        QStringLiteral( "skewed" ), QStringLiteral( "memory" ) );
    std::mt19937 rng( 8 );
    std::normal_distribution<double> g;
    QgsFeatureList features;
    for ( int i = 0; i < 60; ++i )
    {
      const double x0 = g( rng ), x1 = g( rng );
      QgsFeature f( layer->fields() );
      const double x = 500000 + 1000 * ( i % 10 ), y = 4400000 + 1000 * ( i / 10 );
      f.setGeometry( QgsGeometry::fromRect( QgsRectangle( x, y, x + 1000, y + 1000 ) ) );
      f.setAttributes(
          QgsAttributes() << QStringLiteral( "r%1" ).arg( i ) << x0 << x1
                          << std::round( scale * std::exp( spread * ( 0.8 * x0 - 0.5 * x1 + 0.3 * g( rng ) ) ) ) );
      features << f;
    }
    layer->dataProvider()->addFeatures( features );
    return layer;
  }

  // musecl:predict on `layer` (ridge, random folds, log target) with its report: the report's text.
  QString reportOf( QgsVectorLayer *layer, const QTemporaryDir &dir, QgsProcessingContext &context, AlgorithmRun &run )
  {
    QVariantMap params = predictParams( layer, 1, 1, true );
    params.insert( "FEATURES", QStringList{ "emb_0", "emb_1" } );
    params.insert( "OUTPUT_REPORT", dir.filePath( "report.html" ) );
    run = runAlgorithm( "musecl:predict", params, context );
    QFile file( dir.filePath( "report.html" ) );
    return run.ok && file.open( QIODevice::ReadOnly ) ? QString::fromUtf8( file.readAll() ) : QString();
  }

  double firstOverallR2( const QString &html, int which )
  {
    QRegularExpressionMatchIterator it =
        QRegularExpression( QStringLiteral( "<tr><th>overall</th><td>(-?[0-9.]+)</td>" ) ).globalMatch( html );
    for ( int k = 0; it.hasNext(); ++k )
    {
      const QRegularExpressionMatch m = it.next();
      if ( k == which )
        return m.captured( 1 ).toDouble();
    }
    return std::nan( "" );
  }
} // namespace

TEST( PredictionReport, ScoresInTheTargetsUnitsTicksAndAResidualMap )
{
  QTemporaryDir dir;
  auto layer = skewedRegions();
  QgsProcessingContext context;
  AlgorithmRun run;
  const QString html = reportOf( layer.get(), dir, context, run );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  ASSERT_FALSE( html.isEmpty() ) << "no report written";
  EXPECT_TRUE( html.contains( "Scores in the units of target" ) && html.contains( "Scores on the modelling scale" ) );

  // The units table's overall R² is that of the written predictions against the targets.
  double sum = 0, ssRes = 0, ssTot = 0;
  std::vector<std::pair<double, double>> rows;
  QgsFeature f;
  QgsFeatureIterator it = layerOf( run, "OUTPUT", context )->getFeatures();
  while ( it.nextFeature( f ) )
    if ( !f.attribute( "fold" ).isNull() )
      rows.emplace_back( f.attribute( "target" ).toDouble(), f.attribute( "pred" ).toDouble() );
  ASSERT_EQ( rows.size(), 60u ) << "random 5-fold: every region held out once";
  for ( const auto &[truth, pred] : rows )
    sum += truth;
  for ( const auto &[truth, pred] : rows )
    ssRes += ( truth - pred ) * ( truth - pred ), ssTot += ( truth - sum / 60 ) * ( truth - sum / 60 );
  EXPECT_NEAR( firstOverallR2( html, 0 ), 1 - ssRes / ssTot, 0.0006 ) << "three decimals";
  EXPECT_NEAR( firstOverallR2( html, 1 ), run.outputs.value( "R2" ).toDouble(), 0.0006 )
      << "the modelling-scale table is the algorithm's R2 output";
  EXPECT_GT( firstOverallR2( html, 1 ), 0.7 ) << "log(1 + target) is linear in the features up to noise";
  EXPECT_LT( firstOverallR2( html, 1 ), 0.95 ) << "the noise is not fitted";

  // Logarithmic axes ticked at target values 1-2-5 × 10^k within the plotted range (targets and
  // predictions span about 15 to 900).
  for ( const char *tick : { ">20</text>", ">50</text>", ">100</text>", ">200</text>", ">500</text>" } )
    EXPECT_TRUE( html.contains( tick ) ) << tick;
  EXPECT_TRUE( html.contains( "true (logarithmic axis)" ) );
  EXPECT_EQ( html.count( "<path " ), 60 ) << "one square per region on the residual map";
  EXPECT_TRUE( html.contains( "log(1 + true) − log(1 + predicted)" ) );
}

TEST( PredictionReport, ANarrowRangeStillGetsTicks )
{
  // Targets of about 130 to 170: no 1-2-5 × 10^k value lies inside, so the ticks are linear steps.
  QTemporaryDir dir;
  auto layer = skewedRegions( 150, 0.05 );
  QgsProcessingContext context;
  AlgorithmRun run;
  const QString html = reportOf( layer.get(), dir, context, run );
  ASSERT_TRUE( run.ok ) << run.error.toStdString();
  ASSERT_FALSE( html.isEmpty() ) << "no report written";
  EXPECT_GE( html.count( QRegularExpression( QStringLiteral( "text-anchor='end'>1[3-7]0</text>" ) ) ), 2 )
      << "tick labels such as 140 and 160 on the predicted axis";
}
