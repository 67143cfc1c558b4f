#include "musecl_region_features.h"

#include "musecl/geo/photo_io.h"

#include "musecl_atomic_sink.h"
#include "musecl_core_call.h"
#include "musecl_enum_parameters.h"
#include "musecl_parameter_names.h"

#include "musecl/geo/field_names.h"
#include "musecl/geo/text_tokens.h"
#include "musecl/geo/utm_zone.h"

#include <qgsexception.h>
#include <qgsfeedback.h>
#include <qgsproviderregistry.h>
#include <qgsrasterlayer.h>
#include <qgsunittypes.h>
#include <qgsvectorlayer.h>

#include <QDir>
#include <QFileInfo>
#include <QThread>
#include <atomic>
#include <cmath>
#include <future>
#include <mutex>
#include <unordered_map>

namespace
{
  QString overlapHint( const QString &what, QgsProcessingFeatureSource &layer, const MuseclRegionSet &regions )
  {
    return QObject::
        tr( "No %1 of layer “%2” falls inside a region of “%3”: do the layers overlap? Layer extent %4 (%5), region extent %6 (%7)" )
            .arg( what, layer.sourceName(), regions.layerName, layer.sourceExtent().toString( 4 ),
                  layer.sourceCrs().authid(), regions.extent.toString( 4 ), regions.crs.authid() );
  }

  QString listSome( const QStringList &items )
  {
    return QStringList( items.mid( 0, 10 ) ).join( QStringLiteral( ", " ) ) +
           ( items.size() > 10 ? QStringLiteral( ", …" ) : QString() );
  }

  // The fields museclSummariseFlows reads from a flow layer, and the role values trimmed.
  struct FlowFields
  {
      int weightIndex = -1;
      int roleIndex = -1;
      QString originValue;
      QString destinationValue;
  };

  // Refuses an empty layer, geometries that do not match FLOW_TYPE, missing fields and equal role values.
  FlowFields checkFlowLayer( QgsProcessingFeatureSource &flows, const MuseclFlowOptions &options, const QString &layer )
  {
    if ( flows.featureCount() == 0 )
      throw QgsProcessingException( QObject::tr( "Flow layer “%1” has no features" ).arg( layer ) );
    const QgsWkbTypes::GeometryType geometryType = QgsWkbTypes::geometryType( flows.wkbType() );
    if ( !options.tripPoints && geometryType != QgsWkbTypes::LineGeometry )
      throw QgsProcessingException(
          QObject::tr(
              "Flow layer “%1” has %2 geometries, but FLOW_TYPE is OD lines; use trip end points (FLOW_TYPE=%3) for point layers" )
              .arg( layer, QgsWkbTypes::geometryDisplayString( geometryType ),
                    QString::number( MuseclEnum::flowType().index( MuseclFlowType::TripPoints ) ) ) );
    if ( options.tripPoints && geometryType != QgsWkbTypes::PointGeometry )
      throw QgsProcessingException( QObject::tr( "Flow layer “%1” has %2 geometries, but FLOW_TYPE is trip end points" )
                                        .arg( layer, QgsWkbTypes::geometryDisplayString( geometryType ) ) );
    FlowFields read;
    read.weightIndex = options.weightField.isEmpty() ? -1
                                                     : museclRequireField( flows.fields(), options.weightField, layer,
                                                                           MuseclParameter::WEIGHT_FIELD );
    read.originValue = options.originValue.trimmed();
    read.destinationValue = options.destinationValue.trimmed();
    if ( options.tripPoints )
    {
      if ( options.roleField.isEmpty() )
        throw QgsProcessingException(
            QObject::tr(
                "Trip end points need ROLE_FIELD: the field of layer “%1” that says whether a point is an origin or a destination" )
                .arg( layer ) );
      read.roleIndex = museclRequireField( flows.fields(), options.roleField, layer, MuseclParameter::ROLE_FIELD );
      if ( read.originValue.compare( read.destinationValue, Qt::CaseInsensitive ) == 0 )
        throw QgsProcessingException(
            QObject::tr( "ORIGIN_VALUE and DESTINATION_VALUE are both “%1”" ).arg( read.originValue ) );
    }
    return read;
  }

  // A flow's weight: 1 without a weight field, 0 for NULL (counted in s.nullWeights); anything but
  // a number ≥ 0 is refused.
  double flowWeight( const QgsFeature &f, const FlowFields &read, const MuseclFlowOptions &options,
                     const QString &layer, MuseclFlowSummary &s )
  {
    if ( read.weightIndex < 0 )
      return 1.0;
    const QVariant v = f.attribute( read.weightIndex );
    bool ok = false;
    const double weight = v.isNull() ? 0.0 : v.toDouble( &ok );
    if ( v.isNull() )
      ++s.nullWeights;
    else if ( !ok || !std::isfinite( weight ) || weight < 0 )
      throw QgsProcessingException(
          QObject::tr( "Flow %1 of layer “%2” has weight “%3” in field %4; weights must be numbers ≥ 0" )
              .arg( f.id() )
              .arg( layer, v.toString(), options.weightField ) );
    return weight;
  }

  void reportFlows( const MuseclFlowSummary &s, const MuseclFlowOptions &options, const FlowFields &read,
                    const MuseclRegionSet &regions, QgsProcessingFeedback *feedback )
  {
    feedback->pushInfo(
        QObject::tr(
            "Weight %1 in flows with both ends in regions; %2 flows (weight %3) have an end outside every region; %4 features without geometry" )
            .arg( s.weightInside, 0, 'f', 2 )
            .arg( s.flowsOutside )
            .arg( s.weightOutside, 0, 'f', 2 )
            .arg( s.stats.withoutGeometry ) );
    if ( s.nullWeights )
      feedback->pushWarning(
          QObject::tr( "%1 flows have a null %2 and count as 0" ).arg( s.nullWeights ).arg( options.weightField ) );
    if ( s.unknownRole )
      feedback->pushWarning(
          QObject::tr( "%1 points are neither “%2” nor “%3” in the origin/destination field and are ignored" )
              .arg( s.unknownRole )
              .arg( read.originValue, read.destinationValue ) );
    if ( s.stats.transformFailed )
      feedback->pushWarning( QObject::tr( "%1 flows could not be transformed to %2 and count as outside" )
                                 .arg( s.stats.transformFailed )
                                 .arg( regions.crs.authid() ) );
  }
  // Zero counts for `n` regions, with room for their words when they are kept.
  MuseclPoiSummary emptyPoiSummary( std::size_t n, bool keepWords )
  {
    MuseclPoiSummary s;
    s.total.assign( n, 0.0 );
    s.words.assign( n, 0.0 );
    if ( keepWords )
    {
      s.sentences.resize( n );
      s.categoryTokens.resize( n );
    }
    return s;
  }
} // namespace

MuseclPoiSummary museclSummarisePois( const MuseclRegionSet &regions, QgsProcessingFeatureSource &pois,
                                      const MuseclPoiOptions &options, QgsProcessingContext &context,
                                      QgsProcessingFeedback *feedback )
{
  const QString layer = pois.sourceName();
  if ( pois.featureCount() == 0 )
    throw QgsProcessingException( QObject::tr( "POI layer “%1” has no features" ).arg( layer ) );
  const int categoryIndex =
      museclRequireField( pois.fields(), options.categoryField, layer, MuseclParameter::CATEGORY_FIELD );
  QList<int> textIndexes;
  for ( const QString &name : options.textFields )
    textIndexes << museclRequireField( pois.fields(), name, layer, MuseclParameter::TEXT_FIELDS );
  const bool keepWords = options.keepWords;

  MuseclPoiSummary s = emptyPoiSummary( static_cast<std::size_t>( regions.size() ), keepWords );
  std::unordered_map<std::string, std::uint32_t> indexByName;
  QgsAttributeList attributes{ categoryIndex };
  attributes << textIndexes;
  std::vector<std::string> tokens;
  MuseclLocateOptions locate;
  locate.request.setSubsetOfAttributes( attributes );
  locate.what = QObject::tr( "POI layer “%1”" ).arg( layer );
  s.stats = museclLocateFeatures(
      pois, locate, regions, context, feedback,
      [&]( const QgsFeature &f, std::int64_t region, std::int64_t )
      {
        if ( region < 0 )
        {
          ++s.outside;
          return;
        }
        const auto r = static_cast<std::size_t>( region );
        s.total[r] += 1;
        const QVariant category = f.attribute( categoryIndex );
        const std::string name = category.isNull() ? std::string() : category.toString().trimmed().toStdString();
        if ( name.empty() )
          ++s.uncategorised;
        else
        {
          auto it = indexByName.find( name );
          if ( it == indexByName.end() )
          {
            it = indexByName.emplace( name, static_cast<std::uint32_t>( s.categories.size() ) ).first;
            s.categories.push_back( name );
          }
          s.located.emplace_back( static_cast<std::uint32_t>( r ), it->second );
          s.words[r] += 1;
          if ( keepWords )
          {
            const std::string token = musecl::categoryToken( name );
            s.categoryTokens[r].push_back( token );
            s.sentences[r].push_back( token );
          }
        }
        for ( int index : textIndexes )
        {
          const QVariant text = f.attribute( index );
          if ( text.isNull() )
            continue;
          tokens.clear();
          musecl::appendTokens( text.toString().toStdString(), tokens );
          s.words[r] += static_cast<double>( tokens.size() );
          if ( keepWords )
            s.sentences[r].insert( s.sentences[r].end(), tokens.begin(), tokens.end() );
        }
      } );
  s.inside = s.stats.features - s.stats.withoutGeometry - s.outside;
  if ( s.inside == 0 && !regions.partOfLayer )
    throw QgsProcessingException( overlapHint( QObject::tr( "POI" ), pois, regions ) );
  std::sort( s.located.begin(), s.located.end() );
  if ( s.stats.transformFailed )
    feedback->pushWarning( QObject::tr( "%1 POIs could not be transformed to %2 and count as outside" )
                               .arg( s.stats.transformFailed )
                               .arg( regions.crs.authid() ) );
  return s;
}

MuseclFlowSummary museclSummariseFlows( const MuseclRegionSet &regions, QgsProcessingFeatureSource &flows,
                                        const MuseclFlowOptions &options, QgsProcessingContext &context,
                                        QgsProcessingFeedback *feedback )
{
  const QString layer = flows.sourceName();
  const FlowFields read = checkFlowLayer( flows, options, layer );

  MuseclFlowSummary s( static_cast<std::size_t>( regions.size() ) );
  QgsAttributeList attributes;
  if ( read.weightIndex >= 0 )
    attributes << read.weightIndex;
  if ( read.roleIndex >= 0 )
    attributes << read.roleIndex;
  MuseclLocateOptions locate;
  locate.request.setSubsetOfAttributes( attributes );
  locate.vertices = options.tripPoints ? MuseclLocateVertices::First : MuseclLocateVertices::FirstAndLast;
  locate.what = QObject::tr( "flow layer “%1”" ).arg( layer );
  s.stats = museclLocateFeatures(
      flows, locate, regions, context, feedback,
      [&]( const QgsFeature &f, std::int64_t origin, std::int64_t destination )
      {
        const double weight = flowWeight( f, read, options, layer, s );
        if ( !options.tripPoints )
        {
          s.addLine( origin, destination, weight );
          return;
        }
        const QString role = f.attribute( read.roleIndex ).toString().trimmed();
        const bool isOrigin = role.compare( read.originValue, Qt::CaseInsensitive ) == 0;
        const bool isDestination = role.compare( read.destinationValue, Qt::CaseInsensitive ) == 0;
        if ( !isOrigin && !isDestination )
        {
          ++s.unknownRole;
          return;
        }
        s.addTripEnd( origin, isOrigin ? musecl::TripEnd::Origin : musecl::TripEnd::Destination, weight );
      } );
  if ( s.weightInside == 0 && s.flowsOutside == s.stats.features - s.stats.withoutGeometry && !regions.partOfLayer )
    throw QgsProcessingException( overlapHint( QObject::tr( "flow" ), flows, regions ) );
  reportFlows( s, options, read, regions, feedback );
  return s;
}

std::vector<musecl::RegionRings> museclRingsInRasterCrs( const MuseclRegionSet &regions, QgsRasterLayer *raster,
                                                         const QgsRectangle &rasterExtent,
                                                         QgsProcessingContext &context )
{
  const QgsCoordinateTransform toRaster( regions.crs, raster->crs(), context.transformContext() );
  QgsRectangle regionExtentInRaster;
  try
  {
    regionExtentInRaster = toRaster.transformBoundingBox( regions.extent );
  }
  catch ( QgsCsException &e )
  {
    throw QgsProcessingException(
        QObject::tr( "Could not transform regions of “%1” to the CRS of raster “%2” (%3): %4" )
            .arg( regions.layerName, raster->name(), raster->crs().authid(), e.what() ) );
  }
  if ( !regionExtentInRaster.intersects( rasterExtent ) && !regions.partOfLayer )
    throw QgsProcessingException(
        QObject::tr(
            "Raster “%1” does not overlap the regions of “%2”: raster extent %3, region extent %4 (both in %5)" )
            .arg( raster->name(), regions.layerName, rasterExtent.toString( 2 ), regionExtentInRaster.toString( 2 ),
                  raster->crs().authid() ) );
  std::vector<musecl::RegionRings> rings;
  rings.reserve( static_cast<std::size_t>( regions.size() ) );
  for ( int i = 0; i < regions.size(); ++i )
  {
    try
    {
      rings.push_back( regions.rings( i, &toRaster ) );
    }
    catch ( QgsCsException &e )
    {
      throw QgsProcessingException( QObject::tr( "Could not transform region “%1” to %2: %3" )
                                        .arg( regions.ids.at( i ), raster->crs().authid(), e.what() ) );
    }
  }
  return rings;
}

namespace
{
  // Transforms to and from the UTM zone of each region's centroid, made once per zone: a region is
  // buffered in its own zone, so the buffer is in ground metres whatever the layer's CRS (degrees,
  // or Web Mercator's stretched metres) and the same whichever block of a layer it is read in.
  class UtmBuffer
  {
    public:
      UtmBuffer( const QgsCoordinateReferenceSystem &regions, const QgsCoordinateReferenceSystem &raster,
                 QgsProcessingContext &context )
          : mRegions( regions ), mRaster( raster ), mContext( context ),
            mToLonLat( regions, QgsCoordinateReferenceSystem::fromEpsgId( 4326 ), context.transformContext() )
      {
      }
      // `g` (in the regions' CRS) buffered by `metres`, in the raster's CRS.
      QgsGeometry buffered( const QgsGeometry &g, double metres )
      {
        const QgsPointXY c = mToLonLat.transform( g.boundingBox().center() );
        const int epsg = musecl::utmEpsgForLonLat( c.x(), c.y() );
        auto it = mZones.find( epsg );
        if ( it == mZones.end() )
        {
          const QgsCoordinateReferenceSystem utm = QgsCoordinateReferenceSystem::fromEpsgId( epsg );
          it = mZones
                   .emplace( epsg,
                             std::make_pair( QgsCoordinateTransform( mRegions, utm, mContext.transformContext() ),
                                             QgsCoordinateTransform( utm, mRaster, mContext.transformContext() ) ) )
                   .first;
        }
        QgsGeometry out = g;
        out.transform( it->second.first );
        out = out.buffer( metres, 8 );
        out.transform( it->second.second );
        return out;
      }

    private:
      QgsCoordinateReferenceSystem mRegions, mRaster;
      QgsProcessingContext &mContext;
      QgsCoordinateTransform mToLonLat;
      std::unordered_map<int, std::pair<QgsCoordinateTransform, QgsCoordinateTransform>> mZones;
  };
} // namespace

std::vector<musecl::RegionRings> museclSurroundingRingsInRasterCrs( const MuseclRegionSet &regions,
                                                                    QgsRasterLayer *raster, double metres,
                                                                    QgsProcessingContext &context,
                                                                    QgsFeedback *feedback )
{
  UtmBuffer utm( regions.crs, raster->crs(), context );
  std::vector<musecl::RegionRings> rings;
  rings.reserve( static_cast<std::size_t>( regions.size() ) );
  for ( int i = 0; i < regions.size(); ++i )
  {
    if ( i % 1024 == 0 && feedback && feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled while buffering the regions' surroundings" ) );
    try
    {
      rings.push_back( museclRingsOf( utm.buffered( regions.features.at( i ).geometry(), metres ) ) );
    }
    catch ( QgsCsException &e )
    {
      throw QgsProcessingException( QObject::tr( "Could not transform the surroundings of region “%1” to %2: %3" )
                                        .arg( regions.ids.at( i ), raster->crs().authid(), e.what() ) );
    }
  }
  return rings;
}

QString museclGdalRasterPath( QgsRasterLayer *raster, const QString &role )
{
  if ( raster->providerType() != QLatin1String( "gdal" ) )
    throw QgsProcessingException( QObject::tr( "Raster “%1” comes from the %2 provider; %3 needs a file GDAL can read" )
                                      .arg( raster->name(), raster->providerType(), role ) );
  return QgsProviderRegistry::instance()
      ->decodeUri( QStringLiteral( "gdal" ), raster->source() )
      .value( QStringLiteral( "path" ) )
      .toString();
}

musecl::ZonalStatistics museclSummariseRaster( const MuseclRegionSet &regions, QgsRasterLayer *raster,
                                               QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const QString path = museclGdalRasterPath( raster, QObject::tr( "an embedding raster" ) );
  const QgsRectangle extent = raster->extent();
  const std::vector<musecl::RegionRings> rings = museclRingsInRasterCrs( regions, raster, extent, context );
  if ( regions.crs != raster->crs() )
    feedback->pushInfo(
        QObject::tr( "Embedding raster “%1” is in %2, the regions in %3: regions are transformed to the raster's CRS" )
            .arg( raster->name(), raster->crs().authid(), regions.crs.authid() ) );
  const MuseclCoreErrors errors( [raster]( const QString &reason )
                                 { return QObject::tr( "Embedding raster “%1”: %2" ).arg( raster->name(), reason ); },
                                 QObject::tr( "Cancelled while summarising the embedding raster" ), feedback );
  const musecl::ZonalStatistics z = museclCallCore(
      [&]
      {
        return musecl::zonalBandStatistics( path.toStdString(), rings,
                                            [&]( std::size_t done )
                                            {
                                              feedback->setProgress( 100.0 * static_cast<double>( done ) /
                                                                     std::max<std::size_t>( 1, rings.size() ) );
                                              return !feedback->isCanceled();
                                            } );
      },
      errors );
  if ( z.regionsWithValues() == 0 && !regions.partOfLayer )
  {
    QStringList empty;
    for ( int k = 0; k < z.bands; ++k )
      if ( z.validPixels[static_cast<std::size_t>( k )] == 0 )
        empty << QString::number( k + 1 );
    throw QgsProcessingException(
        empty.isEmpty()
            ? QObject::tr( "Embedding raster “%1” (%2): no region of “%3” has a valid pixel in every band" )
                  .arg( raster->name(), path, regions.layerName )
            : QObject::tr( "Embedding raster “%1” (%2): band(s) %3 have no valid pixel under the regions of “%4”" )
                  .arg( raster->name(), path, empty.join( QStringLiteral( ", " ) ), regions.layerName ) );
  }
  return z;
}

namespace
{
  // The options the extractor opens with. CHIP_SIZE 0 means automatic: the probe opens with a
  // provisional size, and the real one is chosen once the regions are in the raster's CRS. The
  // window is given in metres; the extractor works in the raster's CRS units.
  musecl::ChipOptions provisionalChipOptions( const musecl::ChipOptions &options, QgsRasterLayer *raster )
  {
    musecl::ChipOptions chosen = options;
    if ( chosen.size == 0 )
      chosen.size = 256;
    if ( chosen.groundWindow > 0 )
    {
      if ( raster->crs().isGeographic() )
        throw QgsProcessingException(
            QObject::tr(
                "A chip window in metres (CHIP_WINDOW %1) needs a raster in a projected CRS; “%2” is in %3 (degrees): warp it first (e.g. gdalwarp -t_srs to its UTM zone)" )
                .arg( options.groundWindow )
                .arg( raster->name(), raster->crs().authid() ) );
      chosen.groundWindow *=
          QgsUnitTypes::fromUnitToUnitFactor( QgsUnitTypes::DistanceMeters, raster->crs().mapUnits() );
    }
    return chosen;
  }

  // One file name per region: "chip_<id>", sanitised and unique, with the format's extension.
  QStringList chipFileNames( const MuseclRegionSet &regions, musecl::ChipFormat format )
  {
    const QString extension = format == musecl::ChipFormat::Png ? QStringLiteral( ".png" ) : QStringLiteral( ".tif" );
    std::set<std::string> takenNames;
    QStringList fileNames;
    for ( const QString &id : regions.ids )
      fileNames << QString::fromStdString( musecl::uniqueFieldName( "chip_", id.toStdString(), takenNames ) ) +
                       extension;
    return fileNames;
  }

  // The chips to cut: chip i of `rings` into the staged file fileNames[i] of `files`, from the
  // raster at `rasterPath` (the layer `raster`) with the options `chosen`, on `threads` workers.
  struct ChipJob
  {
      QgsRasterLayer *raster = nullptr;
      QString rasterPath;
      musecl::ChipOptions chosen;
      std::vector<musecl::RegionRings> rings;
      QStringList fileNames;
      MuseclStagedFiles *files = nullptr;
      int threads = 1;
  };

  // Cuts the chips of `job`, each worker with its own extractor (the first reuses `probe`);
  // progress (0-100) and cancel are checked every 100 ms. Throws QgsProcessingException with the
  // first worker's error, or on cancel.
  std::vector<musecl::ChipResult> cutChips( const ChipJob &job, std::unique_ptr<musecl::ChipExtractor> probe,
                                            QgsProcessingFeedback *feedback )
  {
    const std::vector<musecl::RegionRings> &rings = job.rings;
    std::vector<musecl::ChipResult> results( rings.size() );
    std::atomic<std::size_t> next{ 0 };
    std::atomic<std::size_t> done{ 0 };
    std::atomic<bool> stop{ false };
    std::mutex errorMutex;
    QString firstError;
    auto worker = [&]( std::unique_ptr<musecl::ChipExtractor> extractor )
    {
      try
      {
        if ( !extractor )
          extractor = std::make_unique<musecl::ChipExtractor>( job.rasterPath.toStdString(), job.chosen );
        for ( std::size_t i = next++; i < rings.size() && !stop; i = next++ )
        {
          results[i] = extractor->extract(
              rings[i], job.files->stagingPath( job.fileNames.at( static_cast<int>( i ) ) ).toStdString() );
          ++done;
        }
      }
      catch ( const std::exception &e )
      {
        std::lock_guard<std::mutex> lock( errorMutex );
        if ( firstError.isEmpty() )
          firstError = QString::fromStdString( e.what() );
        stop = true;
      }
    };
    std::vector<std::future<void>> pool;
    pool.push_back( std::async( std::launch::async, worker, std::move( probe ) ) );
    for ( int t = 1; t < job.threads; ++t )
      pool.push_back( std::async( std::launch::async, worker, nullptr ) );
    for ( std::future<void> &f : pool )
    {
      while ( f.wait_for( std::chrono::milliseconds( 100 ) ) != std::future_status::ready )
      {
        if ( feedback->isCanceled() )
          stop = true;
        feedback->setProgress( 100.0 * static_cast<double>( done ) / static_cast<double>( rings.size() ) );
      }
    }
    if ( !firstError.isEmpty() )
      throw QgsProcessingException(
          QObject::tr( "Chip extraction from raster “%1” failed: %2" ).arg( job.raster->name(), firstError ) );
    if ( feedback->isCanceled() )
      throw QgsProcessingException(
          QObject::tr( "Cancelled after %1 of %2 chips; no chip was kept" ).arg( done.load() ).arg( rings.size() ) );
    return results;
  }

  // The final path of each written chip, and the regions left without one (warned about; refused
  // when that is every region of a whole layer).
  void collectChipPaths( MuseclChipRun &run, const MuseclRegionSet &regions, QgsRasterLayer *raster,
                         const QStringList &fileNames, MuseclStagedFiles &files, QgsProcessingFeedback *feedback )
  {
    for ( std::size_t i = 0; i < run.results.size(); ++i )
    {
      const bool ok = run.results[i].written;
      run.paths << ( ok ? files.finalPath( fileNames.at( static_cast<int>( i ) ) ) : QString() );
      if ( ok )
        ++run.written;
      else
        run.regionsWithoutChip << regions.ids.at( static_cast<int>( i ) );
    }
    if ( run.written == 0 && !regions.partOfLayer )
      throw QgsProcessingException(
          QObject::tr( "No region of “%1” has a valid pixel in raster “%2” (all nodata or outside it)" )
              .arg( regions.layerName, raster->name() ) );
    if ( !run.regionsWithoutChip.isEmpty() )
      feedback->pushWarning(
          QObject::tr( "%n region(s) have no valid pixel and get no chip: %1", nullptr, run.regionsWithoutChip.size() )
              .arg( QStringList( run.regionsWithoutChip.mid( 0, 20 ) ).join( QStringLiteral( ", " ) ) +
                    ( run.regionsWithoutChip.size() > 20 ? QStringLiteral( ", …" ) : QString() ) ) );
  }
} // namespace

MuseclChipRun museclExtractChips( const MuseclRegionSet &regions, QgsRasterLayer *raster,
                                  const musecl::ChipOptions &options, int threads, MuseclStagedFiles &files,
                                  QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const QString rasterPath = museclGdalRasterPath( raster, QObject::tr( "cutting chips" ) );
  if ( threads <= 0 )
    threads = std::max( 1, QThread::idealThreadCount() );
  threads = std::max( 1, std::min( threads, regions.size() ) );

  musecl::ChipOptions chosen = provisionalChipOptions( options, raster );
  const MuseclCoreErrors errors( [raster]( const QString &reason )
                                 { return QObject::tr( "Raster “%1”: %2" ).arg( raster->name(), reason ); } );
  std::unique_ptr<musecl::ChipExtractor> probe = museclCallCore(
      [&] { return std::make_unique<musecl::ChipExtractor>( rasterPath.toStdString(), chosen ); }, errors );
  const musecl::RasterInfo info = probe->info();

  std::vector<musecl::RegionRings> rings =
      museclRingsInRasterCrs( regions, raster, QgsRectangle( info.minX, info.minY, info.maxX, info.maxY ), context );
  MuseclChipRun run;

  QString sizeRule;
  if ( options.size == 0 )
  {
    chosen.size = musecl::automaticChipSize( rings, info.geoTransform, chosen.groundWindow );
    probe = std::make_unique<musecl::ChipExtractor>( rasterPath.toStdString(), chosen );
    sizeRule =
        chosen.groundWindow > 0
            ? QObject::tr(
                  " (automatic: twice the window's side in raster pixels, rounded up to a multiple of 32 within 64–256)" )
            : QObject::tr(
                  " (automatic: twice the median region's longer side in raster pixels, rounded up to a multiple of 32 within 64–256)" );
  }
  const QString windowRule =
      options.groundWindow > 0
          ? QObject::tr(
                "each covering a fixed %1 m square centred on its region (small regions keep their context, large ones are cut to their centre)" )
                .arg( options.groundWindow )
          : QObject::tr( "each covering the square around its region's bounding box (aspect kept)" );
  run.size = chosen.size;

  const QStringList fileNames = chipFileNames( regions, options.format );
  feedback->pushInfo(
      QObject::tr( "Raster “%1”: %2 × %3 pixels, %4 band(s) of %5, %6; %7 chips of %8 px%9, %10, with %11 thread(s)" )
          .arg( raster->name() )
          .arg( info.width )
          .arg( info.height )
          .arg( info.bands )
          .arg( QString::fromStdString( info.dataType ), raster->crs().authid() )
          .arg( regions.size() )
          .arg( chosen.size )
          .arg( sizeRule, windowRule )
          .arg( threads ) );

  const ChipJob job{ raster, rasterPath, chosen, std::move( rings ), fileNames, &files, threads };
  run.results = cutChips( job, std::move( probe ), feedback );
  collectChipPaths( run, regions, raster, fileNames, files, feedback );
  return run;
}

MuseclStreetViewSummary museclCollectStreetView( const MuseclRegionSet &regions, QgsProcessingFeatureSource &images,
                                                 QgsMapLayer *imageLayer, const MuseclStreetViewOptions &options,
                                                 QgsProcessingContext &context, QgsProcessingFeedback *feedback )
{
  const QString layer = images.sourceName();
  if ( images.featureCount() == 0 )
    throw QgsProcessingException( QObject::tr( "Street-view layer “%1” has no features" ).arg( layer ) );
  const int pathIndex = museclRequireField( images.fields(), options.pathField, layer, MuseclParameter::PATH_FIELD );
  const bool checkReadable = options.checkReadable;
  QString baseFolder = options.baseFolder;
  if ( baseFolder.isEmpty() && imageLayer )
  {
    const QString path = QgsProviderRegistry::instance()
                             ->decodeUri( imageLayer->providerType(), imageLayer->source() )
                             .value( QStringLiteral( "path" ) )
                             .toString();
    if ( !path.isEmpty() )
      baseFolder = QFileInfo( path ).absolutePath();
  }
  if ( baseFolder.isEmpty() )
  {
    baseFolder = QDir::currentPath();
    feedback->pushWarning(
        QObject::tr(
            "Layer “%1” is not a file, so relative image paths are resolved against the current folder %2; set BASE_FOLDER to choose" )
            .arg( layer, baseFolder ) );
  }
  const QDir base( baseFolder );

  MuseclStreetViewSummary s;
  s.perRegion.resize( static_cast<std::size_t>( regions.size() ) );
  MuseclLocateOptions locate;
  locate.request.setSubsetOfAttributes( QgsAttributeList{ pathIndex } );
  locate.what = QObject::tr( "street-view layer “%1”" ).arg( layer );
  s.stats = museclLocateFeatures(
      images, locate, regions, context, feedback,
      [&]( const QgsFeature &f, std::int64_t region, std::int64_t )
      {
        const QVariant value = f.attribute( pathIndex );
        if ( value.isNull() || value.toString().trimmed().isEmpty() )
        {
          ++s.withoutPath;
          return;
        }
        const QString path = QDir::cleanPath( base.absoluteFilePath( value.toString().trimmed() ) );
        if ( region < 0 )
        {
          if ( !regions.partOfLayer ) // in a block, the point may be in another block's region
            s.outside << value.toString();
        }
        else if ( !QFileInfo( path ).isFile() )
          s.missing << path;
        // A full decode (OpenCV for photos), not just a header: a truncated photo is reported here,
        // where the analyst sees which file it is, instead of stopping a training run later.
        else if ( checkReadable &&
                  !( musecl::isPhotoPath( path.toStdString() ) ? musecl::photoIsDecodable( path.toStdString() )
                                                               : musecl::imageIsReadable( path.toStdString() ) ) )
          s.unreadable << path;
        else
          s.perRegion[static_cast<std::size_t>( region )].push_back( path );
      } );
  for ( const auto &paths : s.perRegion )
  {
    s.assigned += static_cast<long long>( paths.size() );
    s.regionsWithImages += paths.empty() ? 0 : 1;
  }
  if ( s.assigned == 0 && !regions.partOfLayer )
    throw QgsProcessingException(
        QObject::tr(
            "No usable street-view image of layer “%1” lies in a region of “%2”: %3 missing, %4 unreadable, %5 without path, %6 outside every region "
            "(layer extent %7 in %8, regions %9 in %10)" )
            .arg( layer, regions.layerName )
            .arg( s.missing.size() )
            .arg( s.unreadable.size() )
            .arg( s.withoutPath )
            .arg( s.outside.size() )
            .arg( images.sourceExtent().toString( 4 ), images.sourceCrs().authid(), regions.extent.toString( 4 ),
                  regions.crs.authid() ) );
  return s;
}

void museclReportStreetView( const MuseclStreetViewSummary &s, const QString &pathField, int regionCount,
                             QgsProcessingFeedback *feedback )
{
  feedback->pushInfo( QObject::tr( "%1 street-view images assigned to %2 of %3 regions" )
                          .arg( s.assigned )
                          .arg( s.regionsWithImages )
                          .arg( regionCount ) );
  if ( !s.missing.isEmpty() )
    feedback->pushWarning(
        QObject::tr( "%1 image files do not exist: %2" ).arg( s.missing.size() ).arg( listSome( s.missing ) ) );
  if ( !s.unreadable.isEmpty() )
    feedback->pushWarning( QObject::tr( "%1 image files cannot be read as images: %2" )
                               .arg( s.unreadable.size() )
                               .arg( listSome( s.unreadable ) ) );
  if ( !s.outside.isEmpty() )
    feedback->pushWarning(
        QObject::tr( "%1 images lie outside every region: %2" ).arg( s.outside.size() ).arg( listSome( s.outside ) ) );
  if ( s.withoutPath )
    feedback->pushWarning( QObject::tr( "%1 points have no path in field %2" ).arg( s.withoutPath ).arg( pathField ) );
  if ( s.stats.withoutGeometry )
    feedback->pushWarning( QObject::tr( "%1 points have no geometry" ).arg( s.stats.withoutGeometry ) );
  if ( s.regionsWithImages < regionCount )
    feedback->pushInfo(
        QObject::tr( "%1 regions have no street-view image; training falls back to the other modalities for them" )
            .arg( regionCount - s.regionsWithImages ) );
}
