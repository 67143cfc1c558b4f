#include "musecl_region_inputs.h"

#include "musecl_parameter_names.h"

#include "musecl/fnv.h"

#include <qgscoordinatetransform.h>
#include <qgsexception.h>
#include <qgsgeometry.h>
#include <qgsprocessingalgorithm.h>
#include <qgsprocessingparameters.h>

#include <qgsrasterlayer.h>

#include <cpl_error.h>
#include <gdal_priv.h>

#include <QFileInfo>
#include <QSet>
#include <algorithm>
#include <cmath>
#include <limits>

namespace
{
  constexpr int kChunk = 8192;

  // FNV-1a over the id's UTF-16: 8 bytes per region however long the ids are.
  quint64 idHash( const QString &id )
  {
    return musecl::fnv1a64( id.utf16(), static_cast<std::size_t>( id.size() ) * sizeof( ushort ) );
  }

  // Regions written by musecl:hexgrid (row/col fields, hexagons of one size in a projected CRS) are
  // located by lattice arithmetic; RegionLocator verifies every geometry before agreeing.
  void tryHexLattice( MuseclRegionSet &set )
  {
    const int rowField = set.fields.lookupField( QStringLiteral( "row" ) );
    const int colField = set.fields.lookupField( QStringLiteral( "col" ) );
    if ( rowField < 0 || colField < 0 || set.crs.isGeographic() || set.features.isEmpty() )
      return;
    double largestArea = 0;
    std::vector<musecl::HexCell> cells;
    cells.reserve( static_cast<std::size_t>( set.features.size() ) );
    for ( const QgsFeature &f : std::as_const( set.features ) )
    {
      bool okRow = false, okCol = false;
      const qlonglong row = f.attribute( rowField ).toLongLong( &okRow );
      const qlonglong col = f.attribute( colField ).toLongLong( &okCol );
      if ( !okRow || !okCol )
        return;
      cells.push_back( { col, row } );
      largestArea = std::max( largestArea, f.geometry().area() );
    }
    // The largest region is an unclipped hexagon in any real grid; RegionLocator then checks every
    // region against the lattice of that side before agreeing to use it.
    const double side = std::sqrt( largestArea / ( 1.5 * std::sqrt( 3.0 ) ) );
    set.locator->useHexLattice( side, cells );
  }
} // namespace

musecl::RegionRings museclRingsOf( const QgsGeometry &geometry )
{
  musecl::RegionRings rings;
  QgsGeometry g = geometry;
  if ( QgsWkbTypes::isCurvedType( g.wkbType() ) )
    g = QgsGeometry( g.constGet()->segmentize() );
  const QgsMultiPolygonXY polygons = g.isMultipart() ? g.asMultiPolygon() : QgsMultiPolygonXY{ g.asPolygon() };
  for ( const QgsPolygonXY &polygon : polygons )
    for ( const QgsPolylineXY &ring : polygon )
    {
      musecl::Ring out;
      out.reserve( static_cast<std::size_t>( ring.size() ) );
      for ( const QgsPointXY &p : ring )
        out.push_back( { p.x(), p.y() } );
      rings.push_back( std::move( out ) );
    }
  return rings;
}

musecl::RegionRings MuseclRegionSet::rings( int i, const QgsCoordinateTransform *transform ) const
{
  QgsGeometry g = features.at( i ).geometry();
  if ( transform )
    g.transform( *transform );
  return museclRingsOf( g );
}

int museclRequireField( const QgsFields &fields, const QString &name, const QString &layerName,
                        const QString &parameterName )
{
  const int index = fields.lookupField( name );
  if ( index < 0 )
    throw QgsProcessingException(
        QObject::tr( "Field “%1” (%2) does not exist in layer “%3”; its fields are: %4" )
            .arg( name, parameterName, layerName, fields.names().join( QStringLiteral( ", " ) ) ) );
  return index;
}

MuseclRegionReader::MuseclRegionReader( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                        const QString &regionsParam, const QString &idFieldParam,
                                        QgsProcessingContext &context )
{
  mSource.reset( QgsProcessingParameters::parameterAsSource( algorithm->parameterDefinition( regionsParam ), parameters,
                                                             context ) );
  if ( !mSource )
    throw QgsProcessingException( QObject::tr( "Could not load the region layer (%1)" ).arg( regionsParam ) );
  mLayerName = mSource->sourceName();
  if ( !mSource->sourceCrs().isValid() )
    throw QgsProcessingException( QObject::tr( "Region layer “%1” has no CRS; set its CRS first" ).arg( mLayerName ) );
  mIdField = idFieldParam.isEmpty() ? QString()
                                    : QgsProcessingParameters::parameterAsString(
                                          algorithm->parameterDefinition( idFieldParam ), parameters, context );
  if ( !mIdField.isEmpty() )
    mIdIndex = museclRequireField( mSource->fields(), mIdField, mLayerName, idFieldParam );
  else if ( ( mIdIndex = mSource->fields().lookupField( QStringLiteral( "region_id" ) ) ) >= 0 )
    mIdField = QStringLiteral( "region_id" );
  mTotal = mSource->featureCount();
  mIterator = mSource->getFeatures();
}

QString MuseclRegionReader::idOf( const QgsFeature &f ) const
{
  if ( mIdIndex < 0 )
    return QString::number( f.id() );
  const QVariant v = f.attribute( mIdIndex );
  if ( v.isNull() || v.toString().isEmpty() )
    throw QgsProcessingException(
        QObject::tr( "Region %1 of layer “%2” has a null %3; region ids must be set and unique" )
            .arg( f.id() )
            .arg( mLayerName, mIdField ) );
  return v.toString();
}

QgsProcessingException MuseclRegionReader::duplicateId( const QString &id ) const
{
  return QgsProcessingException(
      QObject::tr( "Region id “%1” appears twice in field %2 of layer “%3”; region ids must be unique" )
          .arg( id, mIdField.isEmpty() ? QObject::tr( "(feature id)" ) : mIdField, mLayerName ) );
}

void MuseclRegionReader::checkIdsUniqueAcrossBlocks( QgsProcessingFeedback *feedback )
{
  if ( mBlocks < 2 )
    return; // one block was checked exactly
  std::sort( mIdHashes.begin(), mIdHashes.end() );
  std::vector<quint64> repeated;
  for ( std::size_t i = 1; i < mIdHashes.size(); ++i )
    if ( mIdHashes[i] == mIdHashes[i - 1] && ( repeated.empty() || repeated.back() != mIdHashes[i] ) )
      repeated.push_back( mIdHashes[i] );
  if ( repeated.empty() )
    return;
  // Confirm with the ids themselves: a 64-bit hash may collide (about once in 10^8 layers of a million regions).
  QHash<quint64, QSet<QString>> seen;
  QgsFeatureRequest request;
  request.setFlags( QgsFeatureRequest::NoGeometry );
  if ( mIdIndex >= 0 )
    request.setSubsetOfAttributes( QgsAttributeList() << mIdIndex );
  else
    request.setNoAttributes();
  QgsFeatureIterator it = mSource->getFeatures( request );
  QgsFeature f;
  while ( it.nextFeature( f ) )
  {
    if ( feedback && feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled while checking the region ids; no output was written" ) );
    const QString id = idOf( f );
    const quint64 h = idHash( id );
    if ( !std::binary_search( repeated.begin(), repeated.end(), h ) )
      continue;
    QSet<QString> &ids = seen[h];
    if ( ids.contains( id ) )
      throw duplicateId( id );
    ids.insert( id );
  }
}

bool MuseclRegionReader::next( MuseclRegionSet &set, long long maxRegions, QgsProcessingFeedback *feedback )
{
  QSet<QString> seenInBlock;
  set = MuseclRegionSet();
  set.layerName = mLayerName;
  set.crs = mSource->sourceCrs();
  set.fields = mSource->fields();
  set.wkbType = mSource->wkbType();
  set.idField = mIdField;
  QgsFeature f;
  while ( set.features.size() < maxRegions && mIterator.nextFeature( f ) )
  {
    if ( feedback && feedback->isCanceled() )
      throw QgsProcessingException(
          QObject::tr( "Cancelled while reading region layer “%1”; no output was written" ).arg( mLayerName ) );
    if ( !f.hasGeometry() || f.geometry().isEmpty() || f.geometry().type() != QgsWkbTypes::PolygonGeometry )
    {
      if ( feedback )
        feedback->pushWarning(
            QObject::tr(
                "Region %1 of layer “%2” has no polygon geometry and is skipped (counted in REGIONS_WITHOUT_GEOMETRY)" )
                .arg( f.id() )
                .arg( mLayerName ) );
      ++mWithoutGeometry;
      ++set.withoutGeometry;
      continue;
    }
    const QString id = idOf( f );
    if ( seenInBlock.contains( id ) )
      throw duplicateId( id );
    seenInBlock.insert( id );
    mIdHashes.push_back( idHash( id ) );
    set.ids << id;
    set.extent.combineExtentWith( f.geometry().boundingBox() );
    set.features << f;
    ++mRead;
    if ( feedback && mTotal > 0 && mRead % 4096 == 0 && maxRegions >= mTotal )
      feedback->setProgress( 100.0 * mRead / mTotal );
  }
  if ( set.features.isEmpty() )
    return false;
  ++mBlocks;
  std::vector<musecl::RegionRings> rings;
  rings.reserve( static_cast<std::size_t>( set.features.size() ) );
  for ( int i = 0; i < set.features.size(); ++i )
    rings.push_back( set.rings( i ) );
  set.locator = std::make_unique<musecl::RegionLocator>( std::move( rings ) );
  tryHexLattice( set );
  return true;
}

MuseclRegionSet museclReadRegions( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                   const QString &regionsParam, const QString &idFieldParam,
                                   QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  MuseclRegionReader reader( algorithm, parameters, regionsParam, idFieldParam, context );
  MuseclRegionSet set;
  if ( !reader.next( set, std::numeric_limits<long long>::max(), feedback ) )
    throw QgsProcessingException(
        QObject::tr( "Region layer “%1” has no polygon features" ).arg( reader.layerName() ) );
  feedback->pushInfo( QObject::tr( "%1 regions from “%2” (ids from %3; points located by %4)" )
                          .arg( set.features.size() )
                          .arg( set.layerName, set.idField.isEmpty() ? QObject::tr( "feature ids" ) : set.idField,
                                set.locator->usesHexLattice() ? QObject::tr( "hexagon lattice arithmetic" )
                                                              : QObject::tr( "a bucket grid index" ) ) );
  return set;
}

namespace
{
  using LocateVisit = std::function<void( const QgsFeature &, std::int64_t, std::int64_t )>;

  // Features waiting to be located, with the coordinates of their chosen vertices (one per feature,
  // or two for a flow line), transformed into the regions' CRS together in one PROJ call.
  class LocateChunk
  {
    public:
      LocateChunk( const QgsCoordinateTransform &transform, const MuseclRegionSet &regions, bool both )
          : mTransform( transform ), mRegions( regions ), mBoth( both )
      {
        mFeatures.reserve( kChunk );
      }

      int size() const { return mFeatures.size(); }

      // Keeps `f`, which has a geometry, with its first vertex and, for both ends, its last one.
      void add( const QgsFeature &f )
      {
        const QgsAbstractGeometry *g = f.geometry().constGet();
        const QgsPoint p0 = g->vertexAt( QgsVertexId( 0, 0, 0 ) );
        mX.push_back( p0.x() );
        mY.push_back( p0.y() );
        if ( mBoth )
        {
          // The last vertex of the last part: the destination of an OD line.
          QgsPoint last = p0;
          QgsVertexId id;
          QgsPoint vertex;
          while ( g->nextVertex( id, vertex ) )
            last = vertex;
          mX.push_back( last.x() );
          mY.push_back( last.y() );
        }
        mFeatures << f;
      }

      // Transforms and locates the kept features, calls visit for each in the order kept, and empties
      // the chunk. A feature whose vertices cannot be transformed is counted and is in no region.
      void flush( MuseclLocateStats &stats, const LocateVisit &visit )
      {
        if ( mFeatures.isEmpty() )
          return;
        mZ.assign( mX.size(), 0.0 );
        bool transformed = true;
        try
        {
          mTransform.transformCoords( static_cast<int>( mX.size() ), mX.data(), mY.data(), mZ.data() );
        }
        catch ( QgsCsException & )
        {
          transformed = false; // retry point by point below, so one bad point does not lose the chunk
        }
        const std::size_t step = mBoth ? 2 : 1;
        for ( int i = 0; i < mFeatures.size(); ++i )
        {
          std::int64_t first = -1, last = -1;
          const std::size_t k = static_cast<std::size_t>( i ) * step;
          if ( !transformed && !transformEach( k, step ) )
          {
            ++stats.transformFailed;
            mX[k] = mY[k] = std::numeric_limits<double>::quiet_NaN();
            if ( mBoth )
              mX[k + 1] = mY[k + 1] = std::numeric_limits<double>::quiet_NaN();
          }
          first = mRegions.locator->locate( { mX[k], mY[k] } );
          last = mBoth ? mRegions.locator->locate( { mX[k + 1], mY[k + 1] } ) : first;
          visit( mFeatures.at( i ), first, last );
        }
        mFeatures.clear();
        mX.clear();
        mY.clear();
      }

    private:
      // Vertices k .. k + step - 1 one by one, after the chunk's transform failed; false if any fails.
      bool transformEach( std::size_t k, std::size_t step )
      {
        bool ok = true;
        for ( std::size_t j = k; j < k + step; ++j )
        {
          try
          {
            double zz = 0;
            mTransform.transformInPlace( mX[j], mY[j], zz );
          }
          catch ( QgsCsException & )
          {
            ok = false;
          }
        }
        return ok;
      }

      const QgsCoordinateTransform &mTransform;
      const MuseclRegionSet &mRegions;
      const bool mBoth;
      QVector<QgsFeature> mFeatures;
      std::vector<double> mX, mY, mZ;
  };

  // A block of a larger layer reads only what can fall in it. Points outside the extent are in no
  // region of the block; a line whose box misses it has neither end in it.
  QgsFeatureRequest blockRequest( const QgsFeatureRequest &request, QgsProcessingFeatureSource &source,
                                  const MuseclRegionSet &regions, QgsProcessingContext &context )
  {
    QgsFeatureRequest blockRequest( request );
    if ( regions.partOfLayer && !regions.extent.isNull() )
    {
      try
      {
        QgsCoordinateTransform back( regions.crs, source.sourceCrs(), context.transformContext() );
        QgsRectangle box = back.transformBoundingBox( regions.extent );
        box.grow( std::max( box.width(), box.height() ) * 1e-6 );
        blockRequest.setFilterRect( box );
      }
      catch ( QgsCsException & )
      {
        // No box in the source's CRS: read everything, as for a whole layer.
      }
    }
    return blockRequest;
  }
} // namespace

MuseclLocateStats
museclLocateFeatures( QgsProcessingFeatureSource &source, const MuseclLocateOptions &options,
                      const MuseclRegionSet &regions, QgsProcessingContext &context, QgsProcessingFeedback *feedback,
                      const std::function<void( const QgsFeature &, std::int64_t, std::int64_t )> &visit )
{
  MuseclLocateStats stats;
  const QgsCoordinateTransform transform( source.sourceCrs(), regions.crs, context.transformContext() );
  const bool both = options.vertices == MuseclLocateVertices::FirstAndLast;
  const long long total = std::max<long long>( 1, source.featureCount() );

  LocateChunk chunk( transform, regions, both );
  QgsFeature f;
  QgsFeatureIterator it = source.getFeatures( blockRequest( options.request, source, regions, context ) );
  while ( it.nextFeature( f ) )
  {
    ++stats.features;
    if ( !f.hasGeometry() || f.geometry().isEmpty() )
    {
      ++stats.withoutGeometry;
      continue;
    }
    chunk.add( f );
    if ( chunk.size() == kChunk )
    {
      if ( feedback->isCanceled() )
        throw QgsProcessingException(
            QObject::tr( "Cancelled while reading %1; no output was written" ).arg( options.what ) );
      chunk.flush( stats, visit );
      feedback->setProgress( 100.0 * std::min( 1.0, static_cast<double>( stats.features ) / total ) );
    }
  }
  if ( feedback->isCanceled() )
    throw QgsProcessingException(
        QObject::tr( "Cancelled while reading %1; no output was written" ).arg( options.what ) );
  chunk.flush( stats, visit );
  feedback->setProgress( 100.0 );
  return stats;
}

void museclOpenVectorInputs( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                             QgsProcessingContext &context )
{
  for ( const QgsProcessingParameterDefinition *definition : algorithm->parameterDefinitions() )
  {
    if ( definition->type() != QgsProcessingParameterFeatureSource::typeName() &&
         definition->type() != QgsProcessingParameterVectorLayer::typeName() )
      continue;
    const QVariant value = parameters.value( definition->name() );
    if ( !value.isValid() || value.isNull() || value.value<QgsMapLayer *>() ||
         ( value.type() == QVariant::String && value.toString().isEmpty() ) )
      continue;
    // Loads the layer (main thread) and keeps it in the context's temporary store; a bad value is
    // left for processAlgorithm to report with its usual message.
    QgsProcessingParameters::parameterAsVectorLayer( definition, parameters, context );
  }
}

QString museclRasterProblem( const QVariantMap &parameters, const QString &parameterName )
{
  const QVariant raw = parameters.value( parameterName );
  if ( raw.type() != QVariant::String || raw.toString().isEmpty() )
    return QString();
  const QString path = raw.toString().section( '|', 0, 0 );
  if ( !QFileInfo::exists( path ) )
    return QObject::tr( "Raster “%1” (%2) does not exist and is not a layer of the project" )
        .arg( raw.toString(), parameterName );
  QString reason;
  {
    CPLErrorReset();
    const CPLErrorHandlerPusher quiet( CPLQuietErrorHandler );
    const GDALDatasetUniquePtr probe( GDALDataset::FromHandle( GDALOpen( path.toUtf8().constData(), GA_ReadOnly ) ) );
    if ( probe )
      return QString();
    reason = QString::fromUtf8( CPLGetLastErrorMsg() );
  }
  return QObject::tr( "Raster file “%1” (%2) exists, but GDAL cannot read it as a raster%3" )
      .arg( path, parameterName, reason.isEmpty() ? QString() : QStringLiteral( ": " ) + reason );
}

bool museclCheckParameters( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                            QgsProcessingContext &context, QString *message )
{
  // A dialog's "[Save to temporary file]": the trained model would be deleted when QGIS closes, and
  // it is the one output that cannot be made again without training again.
  if ( algorithm->parameterDefinition( MuseclParameter::OUTPUT_MODEL ) &&
       parameters.value( MuseclParameter::OUTPUT_MODEL ).toString() == QgsProcessing::TEMPORARY_OUTPUT )
  {
    if ( message )
      *message = QObject::tr( "Choose where to save the trained model (Model file, OUTPUT_MODEL): a temporary file is "
                              "deleted when QGIS closes, and the model is what embeds further regions" );
    return false;
  }
  QString base;
  if ( algorithm->QgsProcessingAlgorithm::checkParameterValues( parameters, context, &base ) )
    return true;
  QString raster = museclRasterProblem( parameters, MuseclParameter::RASTER );
  if ( raster.isEmpty() )
    raster = museclRasterProblem( parameters, MuseclParameter::EMBEDDING_RASTER );
  if ( message )
    *message = raster.isEmpty() ? base : raster;
  return false;
}

QgsRasterLayer *museclRasterInput( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                   const QString &parameterName, QgsProcessingContext &context )
{
  if ( QgsRasterLayer *raster = QgsProcessingParameters::parameterAsRasterLayer(
           algorithm->parameterDefinition( parameterName ), parameters, context ) )
    return raster;
  const QString problem = museclRasterProblem( parameters, parameterName );
  throw QgsProcessingException(
      problem.isEmpty() ? QObject::tr( "The value of %1 is not a raster layer" ).arg( parameterName ) : problem );
}
