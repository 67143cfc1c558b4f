// musecl:hexgrid. Lattice arithmetic (core/musecl/geo/hex_cover.h) decides which cells a boundary
// covers and the coverage rule (core/musecl/geo/hex_selection.h) which of them to keep; GEOS is
// only asked about the cells the boundary actually crosses, and hexagons are streamed into the
// sink column by column.
#include "musecl_hexgrid_algorithm.h"

#include "musecl_atomic_sink.h"
#include "musecl_enum_parameters.h"
#include "musecl_parameter_names.h"
#include "musecl_provider.h"
#include "musecl_region_inputs.h"
#include "musecl_styles.h"

#include "musecl/geo/hex_cover.h"
#include "musecl/geo/hex_lattice.h"
#include "musecl/geo/hex_selection.h"
#include "musecl/geo/utm_zone.h"

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

  QString formatCount( double value ) { return QLocale().toString( static_cast<qlonglong>( std::llround( value ) ) ); }

  // The boundary polygons as read (invalid ones repaired) and their extent, in the layer's CRS.
  struct BoundaryParts
  {
      QVector<QgsGeometry> parts;
      QgsRectangle extent;
  };

  BoundaryParts readBoundaryParts( QgsProcessingFeatureSource &source, const QString &layerName,
                                   QgsProcessingFeedback *feedback )
  {
    BoundaryParts boundary;
    QgsFeatureIterator it = source.getFeatures( QgsFeatureRequest().setNoAttributes() );
    QgsFeature feature;
    long long featureCount = 0;
    while ( it.nextFeature( feature ) )
    {
      if ( feedback && feedback->isCanceled() )
        throw QgsProcessingException(
            QObject::tr( "Cancelled while reading boundary layer “%1”; no output was written" ).arg( layerName ) );
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
        feedback->pushWarning(
            QObject::tr(
                "Boundary feature %1 of layer “%2” is an invalid polygon%3; it was repaired with makeValid (as “Fix geometries” does) before the grid was built" )
                .arg( feature.id() )
                .arg( layerName, reason.isEmpty() ? QString() : QStringLiteral( " (%1)" ).arg( reason ) ) );
        if ( geometry.isEmpty() )
          continue;
      }
      boundary.parts << geometry;
      boundary.extent.combineExtentWith( geometry.boundingBox() );
    }
    if ( featureCount == 0 )
      throw QgsProcessingException( QObject::tr( "Boundary layer “%1” has no features" ).arg( layerName ) );
    if ( boundary.parts.isEmpty() )
      throw QgsProcessingException(
          QObject::tr( "Boundary layer “%1” has %n feature(s) but none has a geometry", nullptr, featureCount )
              .arg( layerName ) );
    return boundary;
  }

  struct OutputCrs
  {
      QgsCoordinateReferenceSystem crs;
      double unitsPerMetre = 1;
  };

  // Output CRS: explicit (`requested` valid), else the boundary's own if projected, else the UTM
  // zone of its centre. Refuses a geographic CRS and one without a distance unit; says which and why.
  OutputCrs chooseOutputCrs( const QgsCoordinateReferenceSystem &requested,
                             const QgsCoordinateReferenceSystem &sourceCrs, const QgsRectangle &sourceExtent,
                             const QString &layerName, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
  {
    QgsCoordinateReferenceSystem outputCrs = requested;
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
        const QgsCoordinateTransform toWgs84( sourceCrs, QgsCoordinateReferenceSystem( QStringLiteral( "EPSG:4326" ) ),
                                              context.transformContext() );
        QgsPointXY centre;
        try
        {
          centre = toWgs84.transform( sourceExtent.center() );
        }
        catch ( QgsCsException &e )
        {
          throw QgsProcessingException(
              QObject::tr( "Could not find the position of boundary layer “%1” in WGS 84: %2" )
                  .arg( layerName, e.what() ) );
        }
        outputCrs = QgsCoordinateReferenceSystem::fromEpsgId( musecl::utmEpsgForLonLat( centre.x(), centre.y() ) );
        crsReason = QObject::tr( "the UTM zone of the boundary's centre (%1, %2), because %3 is geographic" )
                        .arg( centre.x(), 0, 'f', 4 )
                        .arg( centre.y(), 0, 'f', 4 )
                        .arg( sourceCrs.authid() );
      }
    }
    if ( outputCrs.isGeographic() )
      throw QgsProcessingException(
          QObject::tr( "Output CRS %1 is geographic (degrees), but hexagon sizes are in metres; choose a projected CRS "
                       "(e.g. the local UTM zone) or leave TARGET_CRS empty to pick one automatically" )
              .arg( outputCrs.authid() ) );
    const double unitsPerMetre =
        QgsUnitTypes::fromUnitToUnitFactor( QgsUnitTypes::DistanceMeters, outputCrs.mapUnits() );
    if ( outputCrs.mapUnits() == QgsUnitTypes::DistanceUnknownUnit || !( unitsPerMetre > 0 ) )
      throw QgsProcessingException(
          QObject::tr( "Output CRS %1 has no known distance unit, so a size in metres cannot be laid out in it" )
              .arg( outputCrs.authid() ) );
    feedback->pushInfo(
        QObject::tr( "Output CRS: %1 (%2), %3" ).arg( outputCrs.authid(), outputCrs.description(), crsReason ) );
    return { outputCrs, unitsPerMetre };
  }

  // The boundary in the output CRS, dissolved so that overlapping features count once.
  QgsGeometry dissolvedBoundary( QVector<QgsGeometry> &parts, const QgsCoordinateReferenceSystem &sourceCrs,
                                 const QgsCoordinateReferenceSystem &outputCrs, const QString &layerName,
                                 QgsProcessingContext &context )
  {
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
                                        .arg( layerName, boundary.lastError().isEmpty()
                                                             ? QString()
                                                             : QStringLiteral( ": " ) + boundary.lastError() ) );
    return boundary;
  }

  // Refuses a grid estimated over MAX_HEXAGONS, and says what the hexagons will be.
  void checkGridSize( const musecl::HexLattice &lattice, const QgsGeometry &boundary, double sizeMetres,
                      double metresPerUnit, double maxHexagons, const QString &layerName,
                      QgsProcessingFeedback *feedback )
  {
    const double estimate = musecl::HexCover::estimateCellCount( lattice, boundary.area(), boundary.length() );
    if ( estimate > maxHexagons )
      throw QgsProcessingException(
          QObject::tr(
              "A hexagon side of %1 m over boundary layer “%2” (%3 km²) gives about %4 hexagons, more than the "
              "limit of %5 (MAX_HEXAGONS); use a larger HEX_SIZE or raise MAX_HEXAGONS" )
              .arg( sizeMetres )
              .arg( layerName )
              .arg( boundary.area() * metresPerUnit * metresPerUnit / 1e6, 0, 'f', 1 )
              .arg( formatCount( estimate ), formatCount( maxHexagons ) ) );
    // The cap uses the upper bound (every hexagon the boundary touches); the log gives the count
    // the boundary's area holds too, which is what the centre rule writes.
    feedback->pushInfo(
        QObject::tr( "Hexagon side %1 m: flat-to-flat width %2 m, area %3 m²; the boundary's area holds "
                     "about %4 hexagons, and at most %5 touch it" )
            .arg( sizeMetres )
            .arg( sizeMetres * std::sqrt( 3.0 ), 0, 'f', 2 )
            .arg( lattice.area() * metresPerUnit * metresPerUnit, 0, 'f', 1 )
            .arg( formatCount( std::round( boundary.area() / lattice.area() ) ) )
            .arg( formatCount( estimate ) ) );
  }

  QgsFields hexagonFields()
  {
    QgsFields fields;
    fields.append( QgsField( QStringLiteral( "region_id" ), QVariant::String ) );
    fields.append( QgsField( QStringLiteral( "row" ), QVariant::LongLong ) );
    fields.append( QgsField( QStringLiteral( "col" ), QVariant::LongLong ) );
    fields.append( QgsField( QStringLiteral( "area_m2" ), QVariant::Double ) );
    fields.append( QgsField( QStringLiteral( "centroid_lon" ), QVariant::Double ) );
    fields.append( QgsField( QStringLiteral( "centroid_lat" ), QVariant::Double ) );
    return fields;
  }

  // GEOS's answers to the coverage rule's questions about one hexagon the boundary crosses; the
  // intersection is made at most once, and reused when the hexagon is clipped.
  class GeosHexagonQuestions : public musecl::HexBoundaryQuestions
  {
    public:
      GeosHexagonQuestions( const QgsGeometryEngine &engine, const QgsGeometry &hexagon )
          : mEngine( engine ), mHexagon( hexagon )
      {
      }

      bool interiorsMeet() override
      {
        // The prepared intersects is cheap; touches (a full relate) only runs when it says yes, to
        // drop hexagons that merely share an edge or vertex with the boundary.
        return mEngine.intersects( mHexagon.constGet() ) && !mEngine.touches( mHexagon.constGet() );
      }

      std::optional<double> overlapArea() override
      {
        const QgsGeometry &part = intersection();
        if ( part.isNull() )
          return std::nullopt;
        return part.area();
      }

      const QgsGeometry &intersection()
      {
        if ( !mIntersected )
        {
          mIntersection = QgsGeometry( mEngine.intersection( mHexagon.constGet() ) );
          mIntersected = true;
        }
        return mIntersection;
      }

    private:
      const QgsGeometryEngine &mEngine;
      const QgsGeometry mHexagon;
      QgsGeometry mIntersection;
      bool mIntersected = false;
  };

  // Writes the kept hexagons one lattice column at a time: decides which cells to keep, then
  // converts all their centroids to WGS 84 in one PROJ call (a call per feature costs more than
  // building the hexagon).
  class HexColumnWriter
  {
    public:
      HexColumnWriter( const musecl::HexLattice &lattice, const musecl::HexSelection &selection,
                       const QgsGeometryEngine &engine, const QgsCoordinateTransform &toWgs84, const QgsFields &fields,
                       double metresPerUnit )
          : mLattice( lattice ), mSelection( selection ), mEngine( engine ), mToWgs84( toWgs84 ),
            mMetresPerUnit( metresPerUnit ), mOut( fields )
      {
      }

      // The kept cells of column `col` into `output`; false when the column keeps none.
      bool writeColumn( const musecl::HexCover &cover, std::int64_t col, MuseclAtomicSink &output )
      {
        mKept.clear();
        mLon.clear();
        mLat.clear();
        for ( const musecl::CoverCell &cell : cover.column( col ) )
          consider( cell );
        if ( mKept.empty() )
          return false;
        transformCentroids( col );
        for ( std::size_t k = 0; k < mKept.size(); ++k )
        {
          mOut.setGeometry( std::move( mKept[k].geometry ) );
          mOut.setAttributes( QgsAttributes()
                              << QString::fromStdString( musecl::HexLattice::regionId( mKept[k].cell ) )
                              << static_cast<qlonglong>( mKept[k].cell.row )
                              << static_cast<qlonglong>( mKept[k].cell.col )
                              << mKept[k].areaUnits * mMetresPerUnit * mMetresPerUnit << mLon[k] << mLat[k] );
          output.addFeature( mOut );
          ++mWritten;
          if ( mKept[k].onBoundary )
            ++mWrittenOnBoundary;
        }
        return true;
      }

      long long written() const { return mWritten; }
      long long writtenOnBoundary() const { return mWrittenOnBoundary; }

    private:
      // Keeps the cell's hexagon, clipped if the rule says so, with its centroid in the output CRS.
      void consider( const musecl::CoverCell &cell )
      {
        QgsGeometry geometry = hexagonGeometry( mLattice, cell.cell );
        GeosHexagonQuestions questions( mEngine, geometry );
        const musecl::HexKeep keep = mSelection.decide( mLattice, cell, questions );
        if ( keep == musecl::HexKeep::Drop )
          return;
        const bool clipped = keep == musecl::HexKeep::Clipped;
        if ( clipped )
        {
          geometry = questions.intersection();
          if ( QgsWkbTypes::flatType( geometry.wkbType() ) == QgsWkbTypes::GeometryCollection )
            geometry.convertGeometryCollectionToSubclass( QgsWkbTypes::PolygonGeometry );
          if ( geometry.isNull() || geometry.isEmpty() || !( geometry.area() > 0 ) )
            return;
        }
        if ( mSelection.clip )
          geometry.convertToMultiType();
        if ( clipped )
        {
          const QgsPointXY c = geometry.centroid().asPoint();
          mLon.push_back( c.x() );
          mLat.push_back( c.y() );
        }
        else
        {
          const musecl::XY c = mLattice.centre( cell.cell );
          mLon.push_back( c.x );
          mLat.push_back( c.y );
        }
        const double areaUnits = clipped ? geometry.area() : mLattice.area();
        mKept.push_back( { cell.cell, std::move( geometry ), areaUnits, cell.touchesBoundary } );
      }

      void transformCentroids( std::int64_t col )
      {
        mZ.assign( mLon.size(), 0.0 );
        try
        {
          mToWgs84.transformCoords( static_cast<int>( mLon.size() ), mLon.data(), mLat.data(), mZ.data() );
        }
        catch ( QgsCsException &e )
        {
          throw QgsProcessingException( QObject::tr( "Could not compute WGS 84 centroids for hexagon column %1: %2" )
                                            .arg( col )
                                            .arg( e.what() ) );
        }
      }

      struct Kept
      {
          musecl::HexCell cell;
          QgsGeometry geometry;
          double areaUnits;
          bool onBoundary;
      };
      const musecl::HexLattice &mLattice;
      const musecl::HexSelection &mSelection;
      const QgsGeometryEngine &mEngine;
      const QgsCoordinateTransform &mToWgs84;
      const double mMetresPerUnit;
      QgsFeature mOut;
      std::vector<Kept> mKept;
      std::vector<double> mLon;
      std::vector<double> mLat;
      std::vector<double> mZ;
      long long mWritten = 0;
      long long mWrittenOnBoundary = 0;
  };
} // namespace


MuseclHexGridAlgorithm::MuseclHexGridAlgorithm()
    : MuseclAlgorithmOf<MuseclHexGridAlgorithm>(
          { "hexgrid", QT_TRANSLATE_NOOP( "QObject", "Create hexagonal region grid" ),
            QT_TRANSLATE_NOOP( "QObject", "hexagon,hex,grid,tessellation,regions,lattice,musecl,polyfill,utm" ),
            QT_TRANSLATE_NOOP( "QObject", "1. Regions" ), "regions", ":/musecl/icons/hexgrid.svg",
            QT_TRANSLATE_NOOP( "QObject",
                               "Covers a boundary with flat-topped hexagons of a given side length in metres, with "
                               "ids that are stable across runs and extents." ) } )
{
}


void MuseclHexGridAlgorithm::initAlgorithm( const QVariantMap & )
{
  addParameter( new QgsProcessingParameterFeatureSource( MuseclParameter::INPUT, QObject::tr( "Boundary layer" ),
                                                         QList<int>() << QgsProcessing::TypeVectorPolygon ) );
  // A plain number, not a Distance parameter: the size is always metres, whatever the layer's units.
  // No minimum is declared so that a bad size reaches processAlgorithm and gets a specific message.
  auto size = std::make_unique<QgsProcessingParameterNumber>(
      MuseclParameter::HEX_SIZE, QObject::tr( "Hexagon side length (metres; = circumradius)" ),
      QgsProcessingParameterNumber::Double, 500.0 );
  size->setMetadata( { { QStringLiteral( "widget_wrapper" ), QVariantMap{ { QStringLiteral( "decimals" ), 1 } } } } );
  addParameter( size.release() );
  addParameter( new QgsProcessingParameterCrs(
      MuseclParameter::TARGET_CRS, QObject::tr( "Output CRS (empty: automatic projected CRS)" ), QVariant(), true ) );
  addParameter( MuseclEnum::hexCoverage().create( QObject::tr( "Keep hexagons" ) ) );
  addParameter( new QgsProcessingParameterNumber( MuseclParameter::MIN_OVERLAP,
                                                  QObject::tr( "Minimum overlap fraction (for the overlap rule)" ),
                                                  QgsProcessingParameterNumber::Double, 0.5, false, 0.0, 1.0 ) );
  addParameter( new QgsProcessingParameterBoolean( MuseclParameter::CLIP,
                                                   QObject::tr( "Clip edge hexagons to the boundary" ), false ) );
  auto cap = std::make_unique<QgsProcessingParameterNumber>(
      MuseclParameter::MAX_HEXAGONS, QObject::tr( "Maximum number of hexagons" ), QgsProcessingParameterNumber::Integer,
      kDefaultMaxHexagons, false, 1 );
  cap->setFlags( cap->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  addParameter( cap.release() );
  addParameter( new QgsProcessingParameterFeatureSink( MuseclParameter::OUTPUT, QObject::tr( "Hexagonal regions" ),
                                                       QgsProcessing::TypeVectorPolygon ) );
  addOutput( new QgsProcessingOutputNumber( MuseclOutput::HEX_COUNT, QObject::tr( "Number of hexagons" ) ) );
  addOutput( new QgsProcessingOutputString( MuseclOutput::OUTPUT_CRS, QObject::tr( "Output CRS" ) ) );
}


namespace
{
  QString publishOutlined( MuseclAtomicSink &output, QgsProcessingContext &context )
  {
    const QString destination = output.commit();
    museclStyleOutput( context, destination, { { QObject::tr( "Region outlines" ), []( const QgsVectorLayer *layer ) {
                                                  return museclOutlineRenderer( layer );
                                                } } } );
    return destination;
  }
} // namespace

QVariantMap MuseclHexGridAlgorithm::processAlgorithm( const QVariantMap &parameters, QgsProcessingContext &context,
                                                      QgsProcessingFeedback *feedback )
{
  std::unique_ptr<QgsProcessingFeatureSource> source(
      parameterAsSource( parameters, MuseclParameter::INPUT, context ) );
  if ( !source )
    throw QgsProcessingException( invalidSourceError( parameters, MuseclParameter::INPUT ) );
  const QString layerName = source->sourceName();

  const double sizeMetres = parameterAsDouble( parameters, MuseclParameter::HEX_SIZE, context );
  if ( !std::isfinite( sizeMetres ) || sizeMetres <= 0 )
    throw QgsProcessingException(
        QObject::tr( "Hexagon side length (HEX_SIZE) must be greater than 0 metres, got %1" ).arg( sizeMetres ) );
  const musecl::HexCoverage coverage = MuseclEnum::hexCoverage().read( this, parameters, context );
  const double minOverlap = parameterAsDouble( parameters, MuseclParameter::MIN_OVERLAP, context );
  if ( coverage == musecl::HexCoverage::MinimumOverlap && ( !( minOverlap > 0 ) || minOverlap > 1 ) )
    throw QgsProcessingException(
        QObject::tr( "Minimum overlap fraction (MIN_OVERLAP) must be in (0, 1] for the overlap rule, got %1" )
            .arg( minOverlap ) );
  const bool clip = parameterAsBoolean( parameters, MuseclParameter::CLIP, context );
  const double maxHexagons = parameterAsDouble( parameters, MuseclParameter::MAX_HEXAGONS, context );

  const QgsCoordinateReferenceSystem sourceCrs = source->sourceCrs();
  if ( !sourceCrs.isValid() )
    throw QgsProcessingException(
        QObject::tr( "Boundary layer “%1” has no CRS; set its CRS before building a grid" ).arg( layerName ) );

  BoundaryParts parts = readBoundaryParts( *source, layerName, feedback );
  const OutputCrs chosen = chooseOutputCrs( parameterAsCrs( parameters, MuseclParameter::TARGET_CRS, context ),
                                            sourceCrs, parts.extent, layerName, context, feedback );
  const QgsCoordinateReferenceSystem &outputCrs = chosen.crs;
  const QgsGeometry boundary = dissolvedBoundary( parts.parts, sourceCrs, outputCrs, layerName, context );

  const musecl::HexLattice lattice( sizeMetres * chosen.unitsPerMetre );
  const double metresPerUnit = 1.0 / chosen.unitsPerMetre;
  checkGridSize( lattice, boundary, sizeMetres, metresPerUnit, maxHexagons, layerName, feedback );

  const musecl::HexCover cover( lattice, museclRingsOf( boundary ) );
  std::unique_ptr<QgsGeometryEngine> engine( QgsGeometry::createGeometryEngine( boundary.constGet() ) );
  engine->prepareGeometry();

  const QgsFields fields = hexagonFields();
  MuseclAtomicSink output( this, MuseclParameter::OUTPUT, parameters, context, fields,
                           clip ? QgsWkbTypes::MultiPolygon : QgsWkbTypes::Polygon, outputCrs );

  const QgsCoordinateTransform toWgs84( outputCrs, QgsCoordinateReferenceSystem( QStringLiteral( "EPSG:4326" ) ),
                                        context.transformContext() );
  musecl::HexSelection selection;
  selection.coverage = coverage;
  selection.minOverlap = minOverlap;
  selection.clip = clip;
  HexColumnWriter writer( lattice, selection, *engine, toWgs84, fields, metresPerUnit );
  const std::int64_t columns = cover.lastColumn() - cover.firstColumn() + 1;
  for ( std::int64_t col = cover.firstColumn(); col <= cover.lastColumn(); ++col )
  {
    if ( feedback->isCanceled() )
      throw QgsProcessingException(
          QObject::tr( "Cancelled after %1 hexagons; no output was written" ).arg( writer.written() ) );
    if ( writer.writeColumn( cover, col, output ) )
      feedback->setProgress( 100.0 * static_cast<double>( col - cover.firstColumn() + 1 ) /
                             static_cast<double>( columns ) );
  }

  if ( writer.written() == 0 )
    throw QgsProcessingException(
        QObject::tr( "No hexagon of side %1 m satisfies the coverage rule over boundary layer “%2”: the boundary is "
                     "smaller than one hexagon; use a smaller HEX_SIZE or the intersects rule" )
            .arg( sizeMetres )
            .arg( layerName ) );

  QVariantMap outputs;
  outputs.insert( MuseclParameter::OUTPUT, publishOutlined( output, context ) );
  outputs.insert( MuseclOutput::HEX_COUNT, writer.written() );
  outputs.insert( MuseclOutput::OUTPUT_CRS, outputCrs.authid() );
  feedback->pushInfo( QObject::tr( "Wrote %1 hexagons (%2 crossed by the boundary) in %3" )
                          .arg( writer.written() )
                          .arg( writer.writtenOnBoundary() )
                          .arg( outputCrs.authid() ) );
  return outputs;
}
