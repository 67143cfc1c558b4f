#include "musecl_prediction_report.h"

#include <QColor>
#include <QObject>
#include <QPointF>
#include <QTextStream>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace
{
  // A map beyond this many regions would be a file of tens of megabytes that no browser draws well.
  constexpr std::size_t kMapRegionLimit = 20000;

  struct Evaluated
  {
      std::vector<std::size_t> rows;        // held-out labelled rows
      std::vector<double> truth, predicted; // in the target's units
  };

  Evaluated heldOut( const MuseclReportInput &r )
  {
    Evaluated e;
    for ( std::size_t i = 0; i < r.input->target.size(); ++i )
    {
      const bool evaluated =
          r.options->evaluation == musecl::Evaluation::Split602020 ? r.result->fold[i] == 2 : r.result->fold[i] >= 0;
      if ( !evaluated || std::isnan( r.input->target[i] ) )
        continue;
      e.rows.push_back( i );
      e.truth.push_back( r.input->target[i] );
      e.predicted.push_back( r.result->prediction[i] );
    }
    return e;
  }

  // Tick values for the range [lo, hi] of the plotted scale. Linear: 1-2-5 steps. Logarithmic
  // (log(1 + v) plotted): the target values 0, 1, 2, 5, 10, 20, 50 … that fall in the range, so the
  // ticks read in the target's units.
  std::vector<double> ticks( double lo, double hi, bool logScale )
  {
    std::vector<double> out;
    if ( logScale )
    {
      for ( double decade = 1; decade < 1e15 && std::log1p( decade ) <= hi * 1.0001; decade *= 10 )
        for ( double m : { 1.0, 2.0, 5.0 } )
        {
          const double v = m * decade;
          if ( std::log1p( v ) >= lo && std::log1p( v ) <= hi )
            out.push_back( v );
        }
      if ( lo <= 0 )
        out.insert( out.begin(), 0.0 );
      if ( out.size() > 8 ) // keep 1-10-100… only
        out.erase( std::remove_if( out.begin(), out.end(),
                                   []( double v ) {
                                     return v > 0 &&
                                            std::fabs( std::log10( v ) - std::round( std::log10( v ) ) ) > 1e-9;
                                   } ),
                   out.end() );
      if ( out.size() >= 2 )
        return out;
      // A narrow range (say 120 to 180) holds no 1-2-5 value: linear steps in the target's units.
      out.clear();
      for ( double v : ticks( std::expm1( lo ), std::expm1( hi ), false ) )
        if ( v >= 0 )
          out.push_back( v );
      return out;
    }
    const double raw = ( hi - lo ) / 5;
    const double magnitude = std::pow( 10, std::floor( std::log10( raw ) ) );
    const double step = raw / magnitude < 1.5 ? magnitude : raw / magnitude < 3.5 ? 2 * magnitude : 5 * magnitude;
    for ( double v = std::ceil( lo / step ) * step; v <= hi + 1e-9 * step; v += step )
      out.push_back( std::fabs( v ) < 1e-12 * step ? 0.0 : v );
    return out;
  }

  // Whole numbers in full up to a billion (tick labels such as 10000, RMSE 1446), others to four
  // significant digits.
  QString number( double v )
  {
    if ( std::fabs( v ) >= 1000 && std::fabs( v ) < 1e9 )
      return QString::number( v, 'f', 0 );
    return QString::number( v, 'g', 4 );
  }

  QString scatterSvg( const Evaluated &e, bool logScale )
  {
    const auto plotted = [logScale]( double v ) { return logScale ? std::log1p( std::max( 0.0, v ) ) : v; };
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for ( std::size_t i = 0; i < e.truth.size(); ++i )
    {
      lo = std::min( { lo, plotted( e.truth[i] ), plotted( e.predicted[i] ) } );
      hi = std::max( { hi, plotted( e.truth[i] ), plotted( e.predicted[i] ) } );
    }
    if ( !std::isfinite( lo ) )
      lo = 0, hi = 1;
    if ( !( hi > lo ) )
      hi = lo + 1;
    const double size = 420, left = 70, bottom = 50, top = 15, right = 15;
    const auto x = [&]( double v ) { return left + ( v - lo ) / ( hi - lo ) * ( size - left - right ); };
    const auto y = [&]( double v ) { return size - bottom - ( v - lo ) / ( hi - lo ) * ( size - top - bottom ); };
    QString svg;
    QTextStream s( &svg );
    s << QStringLiteral( "<svg xmlns='http://www.w3.org/2000/svg' width='%1' height='%1' font-size='11'>" ).arg( size );
    s << QStringLiteral( "<rect x='%1' y='%2' width='%3' height='%3' fill='#fff' stroke='#888'/>" )
             .arg( left )
             .arg( top )
             .arg( size - left - right );
    for ( double t : ticks( lo, hi, logScale ) )
    {
      const double p = logScale ? std::log1p( t ) : t;
      s << QStringLiteral( "<line x1='%1' y1='%2' x2='%1' y2='%3' stroke='#eee'/>" )
               .arg( x( p ) )
               .arg( top )
               .arg( size - bottom );
      s << QStringLiteral( "<line x1='%1' y1='%2' x2='%3' y2='%2' stroke='#eee'/>" )
               .arg( left )
               .arg( y( p ) )
               .arg( size - right );
      s << QStringLiteral( "<text x='%1' y='%2' text-anchor='middle'>%3</text>" )
               .arg( x( p ) )
               .arg( size - bottom + 15 )
               .arg( number( t ) );
      s << QStringLiteral( "<text x='%1' y='%2' text-anchor='end'>%3</text>" )
               .arg( left - 5 )
               .arg( y( p ) + 4 )
               .arg( number( t ) );
    }
    s << QStringLiteral( "<line x1='%1' y1='%2' x2='%3' y2='%4' stroke='#999' stroke-dasharray='4,3'/>" )
             .arg( x( lo ) )
             .arg( y( lo ) )
             .arg( x( hi ) )
             .arg( y( hi ) );
    for ( std::size_t i = 0; i < e.truth.size(); ++i )
      s << QStringLiteral( "<circle cx='%1' cy='%2' r='3' fill='#2b7a78' fill-opacity='0.6'/>" )
               .arg( x( plotted( e.truth[i] ) ), 0, 'f', 1 )
               .arg( y( plotted( e.predicted[i] ) ), 0, 'f', 1 );
    const QString axis = logScale ? QObject::tr( " (logarithmic axis)" ) : QString();
    s << QStringLiteral( "<text x='%1' y='%2' text-anchor='middle' font-size='12'>%3</text>" )
             .arg( ( left + size - right ) / 2 )
             .arg( size - 12 )
             .arg( QObject::tr( "true" ) + axis );
    s << QStringLiteral(
             "<text x='14' y='%1' text-anchor='middle' font-size='12' transform='rotate(-90 14 %1)'>%2</text>" )
             .arg( ( top + size - bottom ) / 2 )
             .arg( QObject::tr( "predicted" ) + axis );
    s << "</svg>";
    return svg;
  }
} // namespace

namespace
{
  // ColorBrewer RdBu: red where the prediction is above the truth, blue where below.
  QString residualColour( double r, double limit )
  {
    static const QColor stops[] = {
      { 178, 24, 43 }, { 239, 138, 98 }, { 247, 247, 247 }, { 103, 169, 207 }, { 33, 102, 172 }
    };
    const double t = std::clamp( ( r / limit + 1 ) / 2, 0.0, 1.0 ) * 4;
    const int k = std::min( 3, static_cast<int>( t ) );
    const double f = t - k;
    const QColor &a = stops[k], &b = stops[k + 1];
    return QColor( static_cast<int>( a.red() + f * ( b.red() - a.red() ) ),
                   static_cast<int>( a.green() + f * ( b.green() - a.green() ) ),
                   static_cast<int>( a.blue() + f * ( b.blue() - a.blue() ) ) )
        .name();
  }

  QString svgPath( const QgsGeometry &g, const std::function<QPointF( const QgsPointXY & )> &at )
  {
    QString d;
    const QgsMultiPolygonXY parts = g.isMultipart() ? g.asMultiPolygon() : QgsMultiPolygonXY{ g.asPolygon() };
    for ( const QgsPolygonXY &polygon : parts )
      for ( const QgsPolylineXY &ring : polygon )
        for ( int i = 0; i < ring.size(); ++i )
        {
          const QPointF p = at( ring.at( i ) );
          d += QStringLiteral( "%1%2 %3" ).arg( i == 0 ? 'M' : 'L' ).arg( p.x(), 0, 'f', 1 ).arg( p.y(), 0, 'f', 1 );
          if ( i == ring.size() - 1 )
            d += 'Z';
        }
    return d;
  }

  // Held-out residuals on the modelling scale (true − predicted, of log(1 + v) for a log target),
  // coloured from −limit to +limit with limit their 98th absolute percentile; other regions grey.
  QString residualMapSvg( const MuseclReportInput &r, const Evaluated &e )
  {
    if ( r.geometries.size() > kMapRegionLimit )
      return QStringLiteral( "<p>%1</p>" )
          .arg( QObject::tr( "No map: %1 regions, more than a report can draw (%2); "
                             "map the residual field of the output layer instead." )
                    .arg( r.geometries.size() )
                    .arg( kMapRegionLimit ) );
    QgsRectangle extent;
    for ( const QgsGeometry &g : r.geometries )
      if ( !g.isNull() && g.type() == QgsWkbTypes::PolygonGeometry )
        extent.combineExtentWith( g.boundingBox() );
    if ( extent.isEmpty() )
      return QStringLiteral( "<p>%1</p>" ).arg( QObject::tr( "No map: the regions have no polygon geometry." ) );
    const auto modelled = [&r]( double v ) { return r.options->logTarget ? std::log1p( std::max( 0.0, v ) ) : v; };
    std::vector<double> residual( r.geometries.size(), std::numeric_limits<double>::quiet_NaN() );
    std::vector<double> magnitudes;
    for ( std::size_t k = 0; k < e.rows.size(); ++k )
    {
      residual[e.rows[k]] = modelled( e.truth[k] ) - modelled( e.predicted[k] );
      magnitudes.push_back( std::fabs( residual[e.rows[k]] ) );
    }
    std::sort( magnitudes.begin(), magnitudes.end() );
    const double limit =
        magnitudes.empty()
            ? 1
            : std::max( 1e-12, magnitudes[std::min( magnitudes.size() - 1, magnitudes.size() * 98 / 100 )] );
    const double width = 520, scale = width / std::max( extent.width(), extent.height() );
    const double height = extent.height() * scale;
    const auto at = [&]( const QgsPointXY &p )
    { return QPointF( ( p.x() - extent.xMinimum() ) * scale, ( extent.yMaximum() - p.y() ) * scale ); };
    QString svg;
    QTextStream s( &svg );
    s << QStringLiteral( "<svg xmlns='http://www.w3.org/2000/svg' width='%1' height='%2' viewBox='-2 -2 %3 %4'>" )
             .arg( width + 4 )
             .arg( height + 4 )
             .arg( width + 4 )
             .arg( height + 4 );
    for ( std::size_t i = 0; i < r.geometries.size(); ++i )
      if ( !r.geometries[i].isNull() && r.geometries[i].type() == QgsWkbTypes::PolygonGeometry )
        s << QStringLiteral( "<path d='%1' fill='%2' stroke='#fff' stroke-width='0.4'/>" )
                 .arg( svgPath( r.geometries[i], at ),
                       std::isnan( residual[i] ) ? QStringLiteral( "#d9d9d9" ) : residualColour( residual[i], limit ) );
    s << "</svg>";
    const QString unit =
        r.options->logTarget ? QObject::tr( "log(1 + true) − log(1 + predicted)" ) : QObject::tr( "true − predicted" );
    s << "<p>"
      << QObject::tr( "Colour: %1, from %2 (red: predicted too high) to %3 (blue: predicted too low); grey: "
                      "regions not held out or without a target." )
             .arg( unit, number( -limit ), number( limit ) )
      << "</p>";
    return svg;
  }

  QString metricsRow( const QString &name, const musecl::Metrics &m )
  {
    return QStringLiteral( "<tr><th>%1</th><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>" )
        .arg( name )
        .arg( m.r2, 0, 'f', 3 )
        .arg( number( m.rmse ) )
        .arg( number( m.mae ) )
        .arg( m.n );
  }

  // Overall and per-fold scores; `units`: recomputed in the target's units from the held-out rows.
  QString metricsTable( const MuseclReportInput &r, const Evaluated &e, bool units )
  {
    QString html = QStringLiteral( "<table><tr><th></th><th>R&sup2;</th><th>RMSE</th><th>MAE</th><th>n</th></tr>" );
    html += metricsRow( QObject::tr( "overall" ),
                        units ? musecl::computeMetrics( e.truth, e.predicted ) : r.result->overall );
    if ( r.options->evaluation != musecl::Evaluation::Split602020 )
      for ( std::size_t k = 0; k < r.result->perFold.size(); ++k )
      {
        if ( !units )
        {
          html += metricsRow( QObject::tr( "fold %1" ).arg( k ), r.result->perFold[k] );
          continue;
        }
        std::vector<double> truth, predicted;
        for ( std::size_t j = 0; j < e.rows.size(); ++j )
          if ( r.result->fold[e.rows[j]] == static_cast<int>( k ) )
            truth.push_back( e.truth[j] ), predicted.push_back( e.predicted[j] );
        html += metricsRow( QObject::tr( "fold %1" ).arg( k ), musecl::computeMetrics( truth, predicted ) );
      }
    return html + QStringLiteral( "</table>" );
  }
} // namespace

QString museclPredictionReport( const MuseclReportInput &r )
{
  const Evaluated e = heldOut( r );
  const musecl::PredictOptions &o = *r.options;
  const QString target = r.targetName.toHtmlEscaped();
  QString html;
  QTextStream s( &html );
  s << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>MuseCL prediction report</title>"
    << "<style>body{font-family:sans-serif;margin:2em;color:#17252a;max-width:60em}table{border-collapse:collapse;margin-bottom:1em}"
       "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}.plots{display:flex;flex-wrap:wrap;gap:2em}</style></head><body>"
    << "<h1>" << QObject::tr( "Prediction of %1" ).arg( target ) << "</h1><p>" << QObject::tr( "Layer" ) << " <b>"
    << r.layer.toHtmlEscaped() << "</b>, " << r.featureCount << " " << QObject::tr( "features" ) << ", "
    << ( o.kind == musecl::PredictorKind::Mlp ? QObject::tr( "MLP 512-256-128-64" )
                                              : QObject::tr( "ridge regression" ) )
    << ", "
    << QString::fromStdString( r.result->notes.empty() ? std::string() : r.result->notes.front() ).toHtmlEscaped()
    << ", seed " << o.seed
    << ( o.logTarget ? QObject::tr( ", target modelled as log(1 + %1)" ).arg( target ) : QString() ) << ".</p>";
  // Markup literals go through QTextStream as Latin-1 in Qt 5, so they stay ASCII (R&sup2;, not R²).
  s << "<h2>" << QObject::tr( "Scores in the units of %1" ).arg( target ) << "</h2>" << metricsTable( r, e, true );
  if ( o.logTarget )
    s << "<h2>" << QObject::tr( "Scores on the modelling scale, log(1 + %1)" ).arg( target ) << "</h2>"
      << metricsTable( r, e, false ) << "<p>"
      << QObject::tr( "The model was fitted on the logarithmic scale, where large and small regions weigh "
                      "alike; in the target's units, the largest values dominate RMSE and R&sup2;." )
      << "</p>";
  s << "<div class='plots'><div><h2>" << QObject::tr( "Predicted against true (held-out regions)" ) << "</h2>"
    << scatterSvg( e, o.logTarget ) << "</div><div><h2>" << QObject::tr( "Residuals (held-out regions)" ) << "</h2>"
    << residualMapSvg( r, e ) << "</div></div>";
  s << "<p>"
    << QObject::tr( "MuseCL: Yong, X. and Zhou, X. (2024), Predicting Urban Socioeconomic Indicators via "
                    "Multi-Semantic Contrastive Learning, IJCAI." )
    << "</p></body></html>";
  return html;
}
