// musecl:hexgrid. Lattice arithmetic (core/musecl/hex_cover.h) decides which cells a boundary
// covers; GEOS is only asked about the cells the boundary actually crosses, and hexagons are
// streamed into the sink column by column.
#include "musecl_hexgrid_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_provider.h"
#include "musecl_region_inputs.h"

#include "musecl/hex_cover.h"
#include "musecl/hex_lattice.h"
#include "musecl/utm_zone.h"

#include <qgsexception.h>
#include <qgsgeometryengine.h>
#include <qgslinestring.h>
#include <qgspolygon.h>
#include <qgsunittypes.h>

#include <QIcon>
#include <QLocale>
#include <cmath>

namespace
{
  const QString kInput = QStringLiteral( "INPUT" );
  const QString kHexSize = QStringLiteral( "HEX_SIZE" );
  const QString kTargetCrs = QStringLiteral( "TARGET_CRS" );
  const QString kCoverage = QStringLiteral( "COVERAGE" );
  const QString kMinOverlap = QStringLiteral( "MIN_OVERLAP" );
  const QString kClip = QStringLiteral( "CLIP" );
  const QString kMaxHexagons = QStringLiteral( "MAX_HEXAGONS" );
  const QString kOutput = QStringLiteral( "OUTPUT" );
  const QString kHexCount = QStringLiteral( "HEX_COUNT" );
  const QString kOutputCrs = QStringLiteral( "OUTPUT_CRS" );

  constexpr double kDefaultMaxHexagons = 10'000'000;

  QgsGeometry hexagonGeometry( const musecl::HexLattice &lattice, const musecl::HexCell &cell )
  {
    const std::array<musecl::XY, 6> v = lattice.vertices( cell );
    QVector<double> x( 7 );
    QVector<double> y( 7 );
    for ( int k = 0; k < 7; ++k )
    {
      x[k] = v[k % 6].x;
      y[k] = v[k % 6].y;
    }
    auto polygon = std::make_unique<QgsPolygon>();
    polygon->setExteriorRing( new QgsLineString( x, y ) );
    return QgsGeometry( std::move( polygon ) );
  }

  QString formatCount( double value )
  {
    return QLocale().toString( static_cast<qlonglong>( std::llround( value ) ) );
  }
}

QString MuseclHexGridAlgorithm::name() const
{
  return QStringLiteral( "hexgrid" );
}

QString MuseclHexGridAlgorithm::displayName() const
{
  return QObject::tr( "Create hexagonal region grid" );
}

QStringList MuseclHexGridAlgorithm::tags() const
{
  return QObject::tr( "hexagon,hex,grid,tessellation,regions,lattice,musecl,polyfill,utm" ).split( ',' );
}

QString MuseclHexGridAlgorithm::group() const
{
  return QObject::tr( "Regions" );
}

QString MuseclHexGridAlgorithm::groupId() const
{
  return QStringLiteral( "regions" );
}

QString MuseclHexGridAlgorithm::shortDescription() const
{
  return QObject::tr( "Covers a boundary with flat-topped hexagons of a given side length in metres, with ids that are stable across runs and extents." );
}


QString MuseclHexGridAlgorithm::shortHelpString() const
{
  return QObject::tr(
           "Builds the hexagonal regions that MuseCL learns embeddings for, covering the polygons of a boundary layer.\n\n"
           "<b>Hexagon size</b> is the <i>side length</i> in metres, which for a regular hexagon is also its circumradius "
           "(centre to vertex). A side of s gives a flat-to-flat width of 1.732·s, a vertex-to-vertex width of 2·s and an area of "
           "2.598·s². Hexagons are flat-topped; adjacent hexagons share edges exactly, with no gaps or overlaps.\n\n"
           "<b>Output CRS</b>: hexagons are regular in a projected CRS. If none is given, the boundary layer's CRS is used when it is "
           "projected, otherwise the WGS 84 / UTM zone of the boundary's centre (for example EPSG:32618 for New York). "
           "Geographic CRSs are refused. CRSs in feet are handled: the size stays in metres.\n\n"
           "<b>Coverage rule</b>: keep hexagons whose centre is inside the boundary (a tiling whose area matches the boundary's), "
           "hexagons whose interior intersects it (covers every part of the boundary), or hexagons whose overlap with the boundary "
           "is at least the minimum overlap fraction. <b>Clip</b> cuts the edge hexagons to the boundary.\n\n"
           "<b>Fields</b>: region_id (\"r&lt;row&gt;_c&lt;col&gt;\", derived from the lattice position; the lattice is anchored at the CRS "
           "origin, so re-runs and neighbouring extents give the same id to the same hexagon), row, col, area_m2 (planar area in the "
           "output CRS, after clipping), centroid_lon and centroid_lat (WGS 84).\n\n"
           "MAX_HEXAGONS guards against a size that would produce an unusably large grid; the estimate is given in the error.\n\n"
           "Region units for: Yong, X. and Zhou, X. (2024), MuseCL: Predicting Urban Socioeconomic Indicators via Multi-Semantic "
           "Contrastive Learning, IJCAI 2024." );
}

QIcon MuseclHexGridAlgorithm::icon() const
{
  return QIcon( svgIconPath() );
}

QString MuseclHexGridAlgorithm::svgIconPath() const
{
  return QStringLiteral( ":/musecl/icons/hexgrid.svg" );
}

MuseclHexGridAlgorithm *MuseclHexGridAlgorithm::createInstance() const
{
  return new MuseclHexGridAlgorithm();
}

void MuseclHexGridAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( kInput, QObject::tr( "Boundary layer" ), QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  // A plain number, not a Distance parameter: the size is always metres, whatever the layer's units.
  // No minimum is declared so that a bad size reaches processAlgorithm and gets a specific message.
  auto size = std::make_unique<QgsProcessingParameterNumber>( kHexSize, QObject::tr( "Hexagon side length (metres; = circumradius)" ),
              QgsProcessingParameterNumber::Double, 500.0 );
  size->setMetadata( { { QStringLiteral( "widget_wrapper" ), QVariantMap { { QStringLiteral( "decimals" ), 1 } } } } );
  addParameter( size.release() );
  addParameter( new QgsProcessingParameterCrs( kTargetCrs, QObject::tr( "Output CRS (empty: automatic projected CRS)" ),
                QVariant(), true ) );
  addParameter( new QgsProcessingParameterEnum( kCoverage, QObject::tr( "Keep hexagons" ),
                QStringList() << QObject::tr( "Whose centre is inside the boundary" )
                << QObject::tr( "Whose interior intersects the boundary" )
                << QObject::tr( "Whose overlap with the boundary is at least the minimum fraction" ),
                false, CentroidInside ) );
  addParameter( new QgsProcessingParameterNumber( kMinOverlap, QObject::tr( "Minimum overlap fraction (for the overlap rule)" ),
                QgsProcessingParameterNumber::Double, 0.5, false, 0.0, 1.0 ) );
  addParameter( new QgsProcessingParameterBoolean( kClip, QObject::tr( "Clip edge hexagons to the boundary" ), false ) );
  auto cap = std::make_unique<QgsProcessingParameterNumber>( kMaxHexagons, QObject::tr( "Maximum number of hexagons" ),
             QgsProcessingParameterNumber::Integer, kDefaultMaxHexagons, false, 1 );
  cap->setFlags( cap->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( cap.release() );
  addParameter( new QgsProcessingParameterFeatureSink( kOutput, QObject::tr( "Hexagonal regions" ), QgsProcessing::TypeVectorPolygon ) );
  addOutput( new QgsProcessingOutputNumber( kHexCount, QObject::tr( "Number of hexagons" ) ) );
  addOutput( new QgsProcessingOutputString( kOutputCrs, QObject::tr( "Output CRS" ) ) );
}


QVariantMap MuseclHexGridAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  std::unique_ptr<QgsProcessingFeatureSource> source( parameterAsSource( parameters, kInput, context ) );
  if ( !source )
    throw QgsProcessingException( invalidSourceError( parameters, kInput ) );
  const QString layerName = source->sourceName();

  const double sizeMetres = parameterAsDouble( parameters, kHexSize, context );
  if ( !std::isfinite( sizeMetres ) || sizeMetres <= 0 )
    throw QgsProcessingException( QObject::tr( "Hexagon side length (HEX_SIZE) must be greater than 0 metres, got %1" ).arg( sizeMetres ) );
  const Coverage coverage = static_cast<Coverage>( parameterAsEnum( parameters, kCoverage, context ) );
  const double minOverlap = parameterAsDouble( parameters, kMinOverlap, context );
  if ( coverage == MinimumOverlap && ( !( minOverlap > 0 ) || minOverlap > 1 ) )
    throw QgsProcessingException( QObject::tr( "Minimum overlap fraction (MIN_OVERLAP) must be in (0, 1] for the overlap rule, got %1" ).arg( minOverlap ) );
  const bool clip = parameterAsBoolean( parameters, kClip, context );
  const double maxHexagons = parameterAsDouble( parameters, kMaxHexagons, context );

  const QgsCoordinateReferenceSystem sourceCrs = source->sourceCrs();
  if ( !sourceCrs.isValid() )
    throw QgsProcessingException( QObject::tr( "Boundary layer “%1” has no CRS; set its CRS before building a grid" ).arg( layerName ) );

  // Read the boundary polygons.
  QVector<QgsGeometry> parts;
  QgsRectangle sourceExtent;
  QgsFeatureIterator it = source->getFeatures( QgsFeatureRequest().setNoAttributes() );
  QgsFeature feature;
  long long featureCount = 0;
  while ( it.nextFeature( feature ) )
  {
    if ( feedback && feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled while reading boundary layer “%1”; no output was written" ).arg( layerName ) );
    ++featureCount;
    if ( !feature.hasGeometry() || feature.geometry().isEmpty() )
      continue;
    QgsGeometry geometry = feature.geometry();
    // An invalid polygon (a bow tie, a ring crossing itself) makes GEOS coverage tests unreliable:
    // repair it the way QGIS's "Fix geometries" does, and say which feature it was.
    if ( !geometry.isGeosValid() )
    {
      const QString reason = geometry.lastError();
      geometry = geometry.makeValid();
      feedback->pushWarning( QObject::tr( "Boundary feature %1 of layer “%2” is an invalid polygon%3; it was repaired with makeValid (as “Fix geometries” does) before the grid was built" )
                             .arg( feature.id() ).arg( layerName, reason.isEmpty() ? QString() : QStringLiteral( " (%1)" ).arg( reason ) ) );
      if ( geometry.isEmpty() )
        continue;
    }
    parts << geometry;
    sourceExtent.combineExtentWith( geometry.boundingBox() );
  }
  if ( featureCount == 0 )
    throw QgsProcessingException( QObject::tr( "Boundary layer “%1” has no features" ).arg( layerName ) );
  if ( parts.isEmpty() )
    throw QgsProcessingException( QObject::tr( "Boundary layer “%1” has %n feature(s) but none has a geometry", nullptr, featureCount ).arg( layerName ) );

  // Output CRS: explicit, else the boundary's own if projected, else the UTM zone of its centre.
  QgsCoordinateReferenceSystem outputCrs = parameterAsCrs( parameters, kTargetCrs, context );
  QString crsReason = QObject::tr( "as requested" );
  if ( !outputCrs.isValid() )
  {
    if ( !sourceCrs.isGeographic() )
    {
      outputCrs = sourceCrs;
      crsReason = QObject::tr( "the boundary layer's own projected CRS" );
    }
    else
    {
      const QgsCoordinateTransform toWgs84( sourceCrs, QgsCoordinateReferenceSystem( QStringLiteral( "EPSG:4326" ) ), context.transformContext() );
      QgsPointXY centre;
      try
      {
        centre = toWgs84.transform( sourceExtent.center() );
      }
      catch ( QgsCsException &e )
      {
        throw QgsProcessingException( QObject::tr( "Could not find the position of boundary layer “%1” in WGS 84: %2" ).arg( layerName, e.what() ) );
      }
      outputCrs = QgsCoordinateReferenceSystem::fromEpsgId( musecl::utmEpsgForLonLat( centre.x(), centre.y() ) );
      crsReason = QObject::tr( "the UTM zone of the boundary's centre (%1, %2), because %3 is geographic" )
                  .arg( centre.x(), 0, 'f', 4 ).arg( centre.y(), 0, 'f', 4 ).arg( sourceCrs.authid() );
    }
  }
  if ( outputCrs.isGeographic() )
    throw QgsProcessingException( QObject::tr( "Output CRS %1 is geographic (degrees), but hexagon sizes are in metres; choose a projected CRS "
                                  "(e.g. the local UTM zone) or leave TARGET_CRS empty to pick one automatically" ).arg( outputCrs.authid() ) );
  const double unitsPerMetre = QgsUnitTypes::fromUnitToUnitFactor( QgsUnitTypes::DistanceMeters, outputCrs.mapUnits() );
  if ( outputCrs.mapUnits() == QgsUnitTypes::DistanceUnknownUnit || !( unitsPerMetre > 0 ) )
    throw QgsProcessingException( QObject::tr( "Output CRS %1 has no known distance unit, so a size in metres cannot be laid out in it" ).arg( outputCrs.authid() ) );
  feedback->pushInfo( QObject::tr( "Output CRS: %1 (%2), %3" ).arg( outputCrs.authid(), outputCrs.description(), crsReason ) );

  // Boundary in the output CRS, dissolved so that overlapping features count once.
  const QgsCoordinateTransform toOutput( sourceCrs, outputCrs, context.transformContext() );
  for ( QgsGeometry &part : parts )
  {
    try
    {
      part.transform( toOutput );
    }
    catch ( QgsCsException &e )
    {
      throw QgsProcessingException( QObject::tr( "Could not transform boundary layer “%1” from %2 to %3: %4" )
                                    .arg( layerName, sourceCrs.authid(), outputCrs.authid(), e.what() ) );
    }
    if ( QgsWkbTypes::isCurvedType( part.wkbType() ) )
      part = QgsGeometry( part.constGet()->segmentize() );
    if ( !part.isGeosValid() )
      part = part.makeValid();
  }
  QgsGeometry boundary = QgsGeometry::unaryUnion( parts );
  if ( !boundary.isNull() && boundary.wkbType() == QgsWkbTypes::GeometryCollection )
    boundary.convertGeometryCollectionToSubclass( QgsWkbTypes::PolygonGeometry );
  if ( boundary.isNull() || boundary.isEmpty() || boundary.type() != QgsWkbTypes::PolygonGeometry )
    throw QgsProcessingException( QObject::tr( "Boundary layer “%1” has no polygon area to cover%2" )
                                  .arg( layerName, boundary.lastError().isEmpty() ? QString() : QStringLiteral( ": " ) + boundary.lastError() ) );

  const musecl::HexLattice lattice( sizeMetres * unitsPerMetre );
  const double metresPerUnit = 1.0 / unitsPerMetre;
  const double estimate = musecl::HexCover::estimateCellCount( lattice, boundary.area(), boundary.length() );
  if ( estimate > maxHexagons )
    throw QgsProcessingException( QObject::tr( "A hexagon side of %1 m over boundary layer “%2” (%3 km²) gives about %4 hexagons, more than the "
                                  "limit of %5 (MAX_HEXAGONS); use a larger HEX_SIZE or raise MAX_HEXAGONS" )
                                  .arg( sizeMetres ).arg( layerName ).arg( boundary.area() * metresPerUnit * metresPerUnit / 1e6, 0, 'f', 1 )
                                  .arg( formatCount( estimate ), formatCount( maxHexagons ) ) );
  feedback->pushInfo( QObject::tr( "Hexagon side %1 m: flat-to-flat width %2 m, area %3 m²; about %4 hexagons" )
                      .arg( sizeMetres ).arg( sizeMetres * std::sqrt( 3.0 ), 0, 'f', 2 )
                      .arg( lattice.area() * metresPerUnit * metresPerUnit, 0, 'f', 1 ).arg( formatCount( estimate ) ) );

  const musecl::HexCover cover( lattice, museclRingsOf( boundary ) );
  std::unique_ptr<QgsGeometryEngine> engine( QgsGeometry::createGeometryEngine( boundary.constGet() ) );
  engine->prepareGeometry();

  QgsFields fields;
  fields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
  fields.append( QgsField( QStringLiteral( "row" ), QVariant::LongLong ) );
  fields.append( QgsField( QStringLiteral( "col" ), QVariant::LongLong ) );
  fields.append( QgsField( QStringLiteral( "area_m2" ), QVariant::Double ) );
  fields.append( QgsField( QStringLiteral( "centroid_lon" ), QVariant::Double ) );
  fields.append( QgsField( QStringLiteral( "centroid_lat" ), QVariant::Double ) );
  MuseclAtomicSink output( this, kOutput, parameters, context, fields, clip ? QgsWkbTypes::MultiPolygon : QgsWkbTypes::Polygon, outputCrs );

  const QgsCoordinateTransform toWgs84( outputCrs, QgsCoordinateReferenceSystem( QStringLiteral( "EPSG:4326" ) ), context.transformContext() );
  const double hexArea = lattice.area();
  const std::int64_t columns = cover.lastColumn() - cover.firstColumn() + 1;
  long long written = 0;
  long long writtenOnBoundary = 0;
  QgsFeature out( fields );

  // One column at a time: decide which cells to keep, then convert all their centroids to WGS 84 in
  // one PROJ call (a call per feature costs more than building the hexagon).
  struct Kept
  {
    musecl::HexCell cell;
    QgsGeometry geometry;
    double areaUnits;
    bool onBoundary;
  };
  std::vector<Kept> kept;
  std::vector<double> lon;
  std::vector<double> lat;
  std::vector<double> z;
  for ( std::int64_t col = cover.firstColumn(); col <= cover.lastColumn(); ++col )
  {
    if ( feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled after %1 hexagons; no output was written" ).arg( written ) );
    kept.clear();
    lon.clear();
    lat.clear();
    for ( const musecl::CoverCell &cell : cover.column( col ) )
    {
      QgsGeometry geometry = hexagonGeometry( lattice, cell.cell );
      bool keep = cell.centreInside;  // a cell the boundary does not cross is wholly inside here
      bool clipped = false;
      if ( cell.touchesBoundary )
      {
        switch ( coverage )
        {
          case CentroidInside:
            break;
          case Intersects:
            // A centre inside a valid polygon means polygon area around it, so the interiors meet.
            // Otherwise: the prepared intersects is cheap; touches (a full relate) only runs when
            // it says yes, to drop hexagons that merely share an edge or vertex with the boundary.
            if ( !keep )
              keep = engine->intersects( geometry.constGet() ) && !engine->touches( geometry.constGet() );
            break;
          case MinimumOverlap:
          {
            QgsGeometry part( engine->intersection( geometry.constGet() ) );
            keep = !part.isNull() && part.area() / hexArea >= minOverlap;
            if ( keep && clip )
            {
              geometry = part;
              clipped = true;
            }
            break;
          }
        }
        if ( keep && clip && !clipped )
        {
          geometry = QgsGeometry( engine->intersection( geometry.constGet() ) );
          clipped = true;
        }
        if ( clipped )
        {
          if ( QgsWkbTypes::flatType( geometry.wkbType() ) == QgsWkbTypes::GeometryCollection )
            geometry.convertGeometryCollectionToSubclass( QgsWkbTypes::PolygonGeometry );
          keep = keep && !geometry.isNull() && !geometry.isEmpty() && geometry.area() > 0;
        }
      }
      if ( !keep )
        continue;
      if ( clip )
        geometry.convertToMultiType();
      if ( clipped )
      {
        const QgsPointXY c = geometry.centroid().asPoint();
        lon.push_back( c.x() );
        lat.push_back( c.y() );
      }
      else
      {
        const musecl::XY c = lattice.centre( cell.cell );
        lon.push_back( c.x );
        lat.push_back( c.y );
      }
      const double areaUnits = clipped ? geometry.area() : hexArea;
      kept.push_back( { cell.cell, std::move( geometry ), areaUnits, cell.touchesBoundary } );
    }
    if ( kept.empty() )
      continue;

    z.assign( lon.size(), 0.0 );
    try
    {
      toWgs84.transformCoords( static_cast<int>( lon.size() ), lon.data(), lat.data(), z.data() );
    }
    catch ( QgsCsException &e )
    {
      throw QgsProcessingException( QObject::tr( "Could not compute WGS 84 centroids for hexagon column %1: %2" ).arg( col ).arg( e.what() ) );
    }
    for ( std::size_t k = 0; k < kept.size(); ++k )
    {
      out.setGeometry( std::move( kept[k].geometry ) );
      out.setAttributes( QgsAttributes()
                         << QString::fromStdString( musecl::HexLattice::regionId( kept[k].cell ) )
                         << static_cast<qlonglong>( kept[k].cell.row )
                         << static_cast<qlonglong>( kept[k].cell.col )
                         << kept[k].areaUnits * metresPerUnit * metresPerUnit
                         << lon[k] << lat[k] );
      output.addFeature( out );
      ++written;
      if ( kept[k].onBoundary )
        ++writtenOnBoundary;
    }
    feedback->setProgress( 100.0 * static_cast<double>( col - cover.firstColumn() + 1 ) / static_cast<double>( columns ) );
  }

  if ( written == 0 )
    throw QgsProcessingException( QObject::tr( "No hexagon of side %1 m satisfies the coverage rule over boundary layer “%2”: the boundary is "
                                  "smaller than one hexagon; use a smaller HEX_SIZE or the intersects rule" ).arg( sizeMetres ).arg( layerName ) );

  QVariantMap outputs;
  outputs.insert( kOutput, output.commit() );
  outputs.insert( kHexCount, written );
  outputs.insert( kOutputCrs, outputCrs.authid() );
  feedback->pushInfo( QObject::tr( "Wrote %1 hexagons (%2 crossed by the boundary) in %3" ).arg( written ).arg( writtenOnBoundary ).arg( outputCrs.authid() ) );
  return outputs;
}

QString MuseclHexGridAlgorithm::helpUrl() const
{
  return MuseclProvider::helpUrl( QStringLiteral( "create-hexagonal-region-grid-museclhexgrid" ) );
}
