#include "musecl_region_table_builder.h"

#include "musecl_atomic_sink.h"
#include "musecl_core_call.h"
#include "musecl_enum_parameters.h"
#include "musecl_output_fields.h"
#include "musecl_parameter_names.h"
#include "musecl_region_features.h"
#include "musecl_scene_features.h"
#include "musecl_stage_feedback.h"
#include "musecl_styles.h"

#include "musecl/geo/raster_bands.h"
#include "musecl/geo/zonal_stats.h"
#include "musecl/learn/training.h"
#include "musecl/geo/utm_zone.h"

#include <qgsdistancearea.h>
#include <qgsexception.h>
#include <qgsprocessingutils.h>
#include <qgsprocessingalgorithm.h>
#include <qgsprocessingparameters.h>
#include <qgsrasterlayer.h>
#include <qgsvectorlayer.h>

#include <cmath>
#include <iostream>
#include <set>

QList<QgsProcessingParameterDefinition *> museclDeviceParameters()
{
  auto threads = new QgsProcessingParameterNumber(
      MuseclParameter::THREADS, QObject::tr( "CPU threads (0 = automatic: the cores other programs leave free)" ),
      QgsProcessingParameterNumber::Integer, 0, false, 0, 1024 );
  threads->setFlags( threads->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
  return { MuseclEnum::device().create( QObject::tr( "Device" ) ), threads };
}

namespace
{
  // musecl:train's choice of remote-sensing view and the scene-feature options, all advanced: they
  // mean nothing without a raster.
  QList<QgsProcessingParameterDefinition *> museclSceneFeatureParameters()
  {
    QList<QgsProcessingParameterDefinition *> p;
    QgsProcessingParameterDefinition *mode =
        MuseclEnum::rasterMode().create( QObject::tr( "Imagery: remote-sensing view" ) );
    mode->setFlags( mode->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << mode;
    auto encoder = new QgsProcessingParameterFile(
        MuseclParameter::SCENE_ENCODER,
        QObject::tr( "Scene encoder to reuse (from musecl:imagefeatures; empty = learn from the raster)" ),
        QgsProcessingParameterFile::File, QStringLiteral( "musecl" ), QVariant(), true );
    encoder->setFlags( encoder->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << encoder;
    auto sceneSteps = new QgsProcessingParameterNumber(
        MuseclParameter::SCENE_STEPS, QObject::tr( "Scene-feature training steps" ),
        QgsProcessingParameterNumber::Integer, musecl::SceneFeatureOptions().steps, false, 1, 1000000 );
    sceneSteps->setFlags( sceneSteps->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << sceneSteps;
    QgsProcessingParameterDefinition *scale = MuseclEnum::sceneScale().create( QObject::tr( "Scene features taken" ) );
    scale->setFlags( scale->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << scale;
    auto context = new QgsProcessingParameterNumber(
        MuseclParameter::SCENE_CONTEXT,
        QObject::tr( "Surroundings: distance around each region (m; 0 = half the typical region width)" ),
        QgsProcessingParameterNumber::Double, 0.0, false, 0.0 );
    context->setFlags( context->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << context;
    return p;
  }
} // namespace

QList<QgsProcessingParameterDefinition *> museclModalityParameters( bool withChipSize )
{
  QList<QgsProcessingParameterDefinition *> p;
  p << new QgsProcessingParameterRasterLayer( MuseclParameter::RASTER, QObject::tr( "Remote-sensing raster" ),
                                              QVariant(), true );
  if ( withChipSize )
  {
    auto chip = new QgsProcessingParameterNumber(
        MuseclParameter::CHIP_SIZE,
        QObject::tr( "Remote-sensing chip size (pixels; 0 = from the raster's resolution)" ),
        QgsProcessingParameterNumber::Integer, 0, false, 0, 1024 );
    chip->setFlags( chip->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << chip;
    auto window = new QgsProcessingParameterNumber(
        MuseclParameter::CHIP_WINDOW,
        QObject::tr( "Remote-sensing chip window (metres of ground per chip; 0 = each region's bounding box)" ),
        QgsProcessingParameterNumber::Double, 0, false, 0 );
    window->setFlags( window->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << window;
    auto bands = new QgsProcessingParameterString(
        MuseclParameter::RS_BANDS,
        QObject::tr(
            "Raster bands shown to the encoder as R,G,B (e.g. 4,3,2; one band = grey; empty = the raster's RGB bands, else 1,2,3)" ),
        QVariant(), false, true );
    bands->setFlags( bands->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << bands;
    auto all = new QgsProcessingParameterBoolean(
        MuseclParameter::RS_ALL_BANDS,
        QObject::tr(
            "Feed every band to the encoder (RS_BANDS lists them, empty = all; the first convolution takes N channels)" ),
        false );
    all->setFlags( all->flags() | QgsProcessingParameterDefinition::FlagAdvanced );
    p << all;
    p << museclSceneFeatureParameters();
  }
  p << new QgsProcessingParameterRasterLayer(
      MuseclParameter::EMBEDDING_RASTER,
      QObject::tr( "Embedding raster (continuous bands, e.g. foundation-model embeddings; mean and std per region)" ),
      QVariant(), true );
  p << new QgsProcessingParameterFeatureSource( MuseclParameter::STREETVIEW, QObject::tr( "Street-view image points" ),
                                                QList<int>() << QgsProcessing::TypeVectorPoint, QVariant(), true );
  p << new QgsProcessingParameterField( MuseclParameter::SV_PATH_FIELD, QObject::tr( "Street-view image path field" ),
                                        QVariant(), MuseclParameter::STREETVIEW, QgsProcessingParameterField::String,
                                        false, true );
  p << new QgsProcessingParameterFeatureSource( MuseclParameter::POIS, QObject::tr( "POI points" ),
                                                QList<int>() << QgsProcessing::TypeVectorPoint, QVariant(), true );
  p << new QgsProcessingParameterField( MuseclParameter::CATEGORY_FIELD, QObject::tr( "POI category field" ),
                                        QVariant(), MuseclParameter::POIS, QgsProcessingParameterField::Any, false,
                                        true );
  p << new QgsProcessingParameterField( MuseclParameter::TEXT_FIELDS,
                                        QObject::tr( "POI text fields (names, tags, reviews)" ), QVariant(),
                                        MuseclParameter::POIS, QgsProcessingParameterField::Any, true, true );
  p << new QgsProcessingParameterFeatureSource(
      MuseclParameter::FLOWS, QObject::tr( "Mobility flows (OD lines or trip end points)" ),
      QList<int>() << QgsProcessing::TypeVectorLine << QgsProcessing::TypeVectorPoint, QVariant(), true );
  // Not advanced: the flows cannot be read without knowing which kind they are.
  p << MuseclEnum::flowType().create( QObject::tr( "Flow layer type" ) );
  p << new QgsProcessingParameterField( MuseclParameter::WEIGHT_FIELD,
                                        QObject::tr( "Flow weight field (default: 1 per feature)" ), QVariant(),
                                        MuseclParameter::FLOWS, QgsProcessingParameterField::Numeric, false, true );
  auto role = new QgsProcessingParameterField(
      MuseclParameter::ROLE_FIELD, QObject::tr( "Origin/destination field (trip end points; values O / D)" ),
      QVariant(), MuseclParameter::FLOWS, QgsProcessingParameterField::Any, false, true );
  p << role;
  p << new QgsProcessingParameterField(
      MuseclParameter::ATTRIBUTE_FIELDS,
      QObject::tr( "Region attribute fields (numbers the regions carry: census counts, land-use shares; embedding: "
                   "empty = the model's)" ),
      QVariant(), MuseclParameter::REGIONS, QgsProcessingParameterField::Numeric, true, true );
  return p;
}

bool museclParameterGiven( const QVariantMap &parameters, const QString &name )
{
  const QVariant v = parameters.value( name );
  return v.isValid() && !v.isNull() && !( v.type() == QVariant::String && v.toString().isEmpty() );
}

double museclTypicalRegionSize( const MuseclRegionSet &regions, QgsProcessingContext &context )
{
  QgsDistanceArea da;
  da.setSourceCrs( regions.crs, context.transformContext() );
  da.setEllipsoid( regions.crs.ellipsoidAcronym().isEmpty() ? QStringLiteral( "EPSG:7030" )
                                                            : regions.crs.ellipsoidAcronym() );
  double sum = 0;
  for ( const QgsFeature &f : regions.features )
    sum += da.measureArea( f.geometry() );
  return std::sqrt( sum / std::max( 1, regions.size() ) );
}

namespace
{
  // Region centroids in metres (the regions' CRS if projected, else their UTM zone), for the
  // geographic triplet fallback, and areas in square metres on the ellipsoid, the scale the POI and
  // mobility views divide volumes by.
  void addGeometry( musecl::RegionTable &t, const MuseclRegionSet &regions, QgsProcessingContext &context )
  {
    QgsCoordinateReferenceSystem metric = regions.crs;
    if ( regions.crs.isGeographic() )
    {
      const QgsPointXY c = regions.extent.center();
      metric = QgsCoordinateReferenceSystem::fromEpsgId( musecl::utmEpsgForLonLat( c.x(), c.y() ) );
    }
    const QgsCoordinateTransform toMetric( regions.crs, metric, context.transformContext() );
    for ( const QgsFeature &f : regions.features )
    {
      QgsPointXY c = f.geometry().centroid().asPoint();
      try
      {
        c = toMetric.transform( c );
      }
      catch ( QgsCsException & )
      {
      }
      t.centroidX.push_back( c.x() );
      t.centroidY.push_back( c.y() );
    }

    QgsDistanceArea area;
    area.setSourceCrs( regions.crs, context.transformContext() );
    area.setEllipsoid( regions.crs.ellipsoidAcronym().isEmpty() ? QStringLiteral( "EPSG:7030" )
                                                                : regions.crs.ellipsoidAcronym() );
    for ( const QgsFeature &f : regions.features )
      t.areaSquareMetres.push_back( area.measureArea( f.geometry() ) );
  }

  // The flow summary into the table: volumes, and the OD pairs with a positive weight as the flow
  // graph. Refuses flows whose joined weight is all zero; warns when they join a single pair.
  QString museclAddFlows( musecl::RegionTable &t, const MuseclFlowSummary &s, const MuseclFlowOptions &options,
                          const QString &layer, bool partOfLayer, QgsProcessingFeedback *feedback )
  {
    t.mobility.inflow = s.inflow;
    t.mobility.outflow = s.outflow;
    t.mobility.internal = s.internal;
    for ( const auto &[pair, weight] : s.od )
      if ( weight > 0 )
        t.mobility.flows.push_back( { pair.first, pair.second, weight } );
    if ( s.weightInside <= 0 && !partOfLayer )
      throw QgsProcessingException(
          QObject::tr(
              "Every flow of layer “%1” that joins two regions has weight 0 (field %2): the flows say nothing about mobility; fix the weights or leave FLOWS empty" )
              .arg( layer, options.weightField.isEmpty() ? QObject::tr( "none" ) : options.weightField ) );
    std::set<std::uint32_t> origins;
    for ( const auto &f : t.mobility.flows )
      origins.insert( f.origin );
    if ( !options.tripPoints && t.mobility.flows.size() < 2 && !partOfLayer )
      feedback->pushWarning(
          QObject::tr( "Flow layer “%1” joins only %2 region pair(s): the mobility view learns almost nothing from it" )
              .arg( layer )
              .arg( t.mobility.flows.size() ) );
    return QObject::tr( "mobility (weight %1 inside, %2 origin-destination pairs from %3 origin regions)" )
        .arg( s.weightInside, 0, 'f', 0 )
        .arg( t.mobility.flows.size() )
        .arg( origins.size() );
  }

  // POI counts per region and category, and the regions' words; returns the "Inputs" log entry.
  QString addPois( musecl::RegionTable &t, QgsProcessingFeatureSource &pois, const MuseclPoiOptions &options,
                   const MuseclRegionSet &regions, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
  {
    const MuseclPoiSummary s = museclSummarisePois( regions, pois, options, context, feedback );
    t.poi.categories = s.categories;
    t.poi.counts.assign( t.size(), std::vector<double>( s.categories.size(), 0.0 ) );
    for ( const auto &[region, category] : s.located )
      t.poi.counts[region][category] += 1;
    t.poi.words = s.sentences;
    t.poi.categoryTokens = s.categoryTokens;
    return QObject::tr( "POIs (%1 in regions, %2 categories)" ).arg( s.inside ).arg( s.categories.size() );
  }

  // The radiometry (when asked for) and one chip per region; returns the "Inputs" log entry.
  QString addRasterChips( musecl::RegionTable &t, QgsRasterLayer *raster, const MuseclRegionSet &regions,
                          MuseclChipPlan &chips, const QString &chipFolder, QgsProcessingContext &context,
                          QgsProcessingFeedback *feedback )
  {
    if ( chips.measureRadiometry && raster->providerType() == QLatin1String( "gdal" ) )
    {
      const QString path = museclGdalRasterPath( raster, QObject::tr( "measuring its radiometry" ) );
      t.remoteSensing.radiometry = museclCallCore(
          [&]
          {
            const std::string spec = chips.rsBands.trimmed().toStdString();
            return musecl::measureRadiometry( path.toStdString(),
                                              chips.allBands ? musecl::chooseAllBands( path.toStdString(), spec )
                                                             : musecl::chooseRgbBands( path.toStdString(), spec ) );
          } );
      feedback->pushInfo( QObject::tr( "Raster radiometry of “%1”: %2" )
                              .arg( raster->name(), QString::fromStdString( t.remoteSensing.radiometry.describe() ) ) );
    }
    musecl::ChipOptions options;
    options.size = chips.size;
    options.groundWindow = chips.windowMetres; // metres: museclExtractChips converts to the raster's units
    MuseclStagedFiles files( chipFolder, QObject::tr( "training chips" ) );
    const MuseclChipRun run = museclExtractChips( regions, raster, options, 0, files, context, feedback );
    files.commit();
    chips.size = run.size;
    for ( const QString &path : run.paths )
      t.remoteSensing.chipPaths.push_back( path.toStdString() );
    return QObject::tr( "remote sensing (%1 chips from “%2”)" ).arg( run.written ).arg( raster->name() );
  }

  // The scene encoders' feature rasters, made once (learning the encoders first when none was given).
  void makeFeatureRasters( QgsRasterLayer *raster, const QString &path, MuseclChipPlan &plan,
                           const MuseclCoreErrors &errors, QgsProcessingFeedback *feedback )
  {
    const bool learn = plan.sceneEncoders.empty();
    const int count = learn ? std::max( 1, plan.sceneEncoderCount ) : static_cast<int>( plan.sceneEncoders.size() );
    MuseclStepFeedback steps( 2 * count, feedback );
    for ( int k = 0; k < count; ++k )
    {
      steps.setCurrentStep( 2 * k );
      if ( learn )
      {
        musecl::SceneFeatureOptions options = plan.sceneOptions;
        options.seed = musecl::trainingRunSeed( plan.sceneOptions.seed, k );
        plan.sceneEncoders.push_back( museclLearnSceneEncoder( raster, path, plan.rsBands, options, errors, &steps ) );
      }
      else if ( k == 0 ) // SCENE_ENCODER, or musecl:embed's model: its encoders learned from one scene
        museclWarnOfRadiometryMismatch( plan.sceneEncoders.front(), path, errors, feedback );
      steps.setCurrentStep( 2 * k + 1 );
      plan.featureRasters << QgsProcessingUtils::generateTempFilename( QStringLiteral( "scene_features.tif" ) );
      museclWriteFeatureRaster( plan.sceneEncoders[static_cast<std::size_t>( k )], path, plan.featureRasters.last(),
                                plan.sceneStride, plan.sceneOptions.device, plan.sceneOptions.threads, errors, &steps );
    }
  }

  // The regions' rings at the plan's scales: over each region, its surroundings, or both.
  std::vector<std::vector<musecl::RegionRings>>
  sceneFeatureScales( QgsRasterLayer *raster, const MuseclRegionSet &regions, const MuseclChipPlan &plan,
                      QgsProcessingContext &context, QgsProcessingFeedback *feedback )
  {
    std::vector<std::vector<musecl::RegionRings>> scales;
    if ( plan.sceneScale != musecl::SceneScale::Surroundings )
      scales.push_back( museclRingsInRasterCrs( regions, raster, raster->extent(), context ) );
    if ( plan.sceneScale != musecl::SceneScale::Region )
      scales.push_back(
          museclSurroundingRingsInRasterCrs( regions, raster, plan.sceneContextMetres, context, feedback ) );
    return scales;
  }

  // Zonal statistics of a feature raster at the plan's scales, side by side (then `bands` counts
  // both, and a region needs a valid pixel at each scale).
  musecl::ZonalStatistics sceneFeatureStatistics( const QString &featureRaster,
                                                  const std::vector<std::vector<musecl::RegionRings>> &scales,
                                                  std::size_t regionCount, const MuseclCoreErrors &errors,
                                                  QgsProcessingFeedback *feedback )
  {
    std::vector<musecl::ZonalStatistics> parts;
    for ( std::size_t s = 0; s < scales.size(); ++s )
      parts.push_back( museclCallCore(
          [&]
          {
            return musecl::zonalBandStatistics(
                featureRaster.toStdString(), scales[s],
                [&]( std::size_t done )
                {
                  feedback->setProgress( 100.0 *
                                         ( static_cast<double>( s ) +
                                           static_cast<double>( done ) / std::max<std::size_t>( 1, regionCount ) ) /
                                         static_cast<double>( scales.size() ) );
                  return !feedback->isCanceled();
                } );
          },
          errors ) );
    return parts.size() == 1 ? parts.front() : musecl::sideBySide( parts.front(), parts.back() );
  }

  // The remote-sensing raster as zonal statistics of its scene features; returns the "Inputs" entry.
  QString addSceneFeatures( musecl::RegionTable &t, QgsRasterLayer *raster, const MuseclRegionSet &regions,
                            MuseclChipPlan &plan, QgsProcessingContext &context, QgsProcessingFeedback *feedback )
  {
    const QString path = museclGdalRasterPath( raster, QObject::tr( "scene features" ) );
    const MuseclCoreErrors errors(
        [raster, path]( const QString &reason )
        { return QObject::tr( "Raster “%1” (%2): %3" ).arg( raster->name(), path, reason ); },
        QObject::tr( "Cancelled while making scene features" ), feedback );
    MuseclStepFeedback steps( 2, feedback );
    if ( plan.featureRasters.isEmpty() )
      makeFeatureRasters( raster, path, plan, errors, &steps );
    steps.setCurrentStep( 1 );
    const auto scales = sceneFeatureScales( raster, regions, plan, context, &steps );
    MuseclStepFeedback each( static_cast<int>( plan.featureRasters.size() ), &steps );
    std::size_t withValues = 0;
    for ( int k = 0; k < plan.featureRasters.size(); ++k )
    {
      each.setCurrentStep( k );
      const musecl::ZonalStatistics z =
          sceneFeatureStatistics( plan.featureRasters[k], scales, regions.size(), errors, &each );
      musecl::SceneFeatureColumns &columns = k == 0 ? t.sceneFeatures : t.furtherSceneFeatures.emplace_back();
      columns.stats.assign( t.size(), {} );
      for ( std::size_t r = 0; r < t.size(); ++r )
        if ( z.has[r] )
          columns.stats[r].assign( z.values.begin() + static_cast<std::ptrdiff_t>( r * 2 * z.bands ),
                                   z.values.begin() + static_cast<std::ptrdiff_t>( ( r + 1 ) * 2 * z.bands ) );
      columns.scale = plan.sceneScale;
      columns.contextMetres = plan.sceneContextMetres;
      columns.encoder =
          std::make_shared<const musecl::SceneEncoder>( plan.sceneEncoders[static_cast<std::size_t>( k )] );
      withValues = k == 0 ? z.regionsWithValues() : std::min( withValues, z.regionsWithValues() );
    }
    if ( withValues == 0 && !regions.partOfLayer )
      throw QgsProcessingException(
          QObject::tr(
              "Raster “%1” (%2): no region of “%3” has a valid scene-feature pixel (is the raster all nodata under the regions, or elsewhere?)" )
              .arg( raster->name(), path, regions.layerName ) );
    const QString encoders = plan.sceneEncoders.size() > 1
                                 ? QObject::tr( "; %1 encoders, one per training" ).arg( plan.sceneEncoders.size() )
                                 : QString();
    return QObject::tr( "remote sensing as scene features (%1%2; %3 of %4 regions)" )
        .arg( QString::fromStdString( plan.sceneEncoders.front().info().summary ), encoders )
        .arg( withValues )
        .arg( t.size() );
  }

  // Mean and std of every band per region; returns the "Inputs" log entry.
  QString addEmbeddingRaster( musecl::RegionTable &t, QgsRasterLayer *raster, const MuseclRegionSet &regions,
                              QgsProcessingContext &context, QgsProcessingFeedback *feedback )
  {
    const musecl::ZonalStatistics z = museclSummariseRaster( regions, raster, context, feedback );
    t.embeddingRaster.stats.assign( t.size(), {} );
    QStringList without;
    for ( std::size_t r = 0; r < t.size(); ++r )
    {
      if ( z.has[r] )
        t.embeddingRaster.stats[r].assign( z.values.begin() + static_cast<std::ptrdiff_t>( r * 2 * z.bands ),
                                           z.values.begin() + static_cast<std::ptrdiff_t>( ( r + 1 ) * 2 * z.bands ) );
      else
        without << regions.ids.at( static_cast<int>( r ) );
    }
    if ( !without.isEmpty() )
      feedback->pushWarning(
          QObject::tr( "Embedding raster “%1”: %2 region(s) have no valid pixel in some band and lack this view (%3)" )
              .arg( raster->name() )
              .arg( without.size() )
              .arg( without.mid( 0, 10 ).join( QStringLiteral( ", " ) ) +
                    ( without.size() > 10 ? QStringLiteral( ", …" ) : QString() ) ) );
    return QObject::tr( "embedding raster (mean and std of %1 band(s) of “%2” in %3 of %4 regions)" )
        .arg( z.bands )
        .arg( raster->name() )
        .arg( z.regionsWithValues() )
        .arg( t.size() );
  }
} // namespace

namespace
{
  // The street-view photos of each region (SV_PATH_FIELD of the STREETVIEW points), as the table's
  // street-view columns; returns what the "Inputs:" line says of them.
  QString addStreetView( musecl::RegionTable &t, const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                         const MuseclRegionSet &regions, QgsProcessingContext &context, QgsProcessingFeedback *steps,
                         QgsProcessingFeedback *feedback )
  {
    auto definition = [&]( const QString &name ) { return algorithm->parameterDefinition( name ); };
    std::unique_ptr<QgsProcessingFeatureSource> images(
        QgsProcessingParameters::parameterAsSource( definition( MuseclParameter::STREETVIEW ), parameters, context ) );
    MuseclStreetViewOptions streetView;
    streetView.pathField =
        QgsProcessingParameters::parameterAsString( definition( MuseclParameter::SV_PATH_FIELD ), parameters, context );
    if ( streetView.pathField.isEmpty() )
      throw QgsProcessingException( QObject::tr(
          "Street-view points were given without SV_PATH_FIELD: name the field that holds each image's file path" ) );
    const MuseclStreetViewSummary s =
        museclCollectStreetView( regions, *images,
                                 QgsProcessingParameters::parameterAsVectorLayer(
                                     definition( MuseclParameter::STREETVIEW ), parameters, context ),
                                 streetView, context, steps );
    museclReportStreetView( s, streetView.pathField, regions.size(), feedback );
    t.streetView.paths.resize( t.size() );
    for ( std::size_t r = 0; r < t.size(); ++r )
      for ( const QString &path : s.perRegion[r] )
        t.streetView.paths[r].push_back( path.toStdString() );
    return QObject::tr( "street view (%1 images)" ).arg( s.assigned );
  }
} // namespace

namespace
{
  // The region-attribute view: the named numeric fields of every region. A NULL leaves the region
  // without the view (counted and said); text, NaN or infinity is refused naming the feature.
  QString addAttributes( musecl::RegionTable &t, const QStringList &names, const MuseclRegionSet &regions,
                         QgsProcessingFeedback *feedback )
  {
    QList<int> indexes;
    for ( const QString &name : names )
    {
      const int index = regions.fields.lookupField( name );
      if ( index < 0 )
        throw QgsProcessingException(
            QObject::tr( "Region layer “%1” has no field “%2” (ATTRIBUTE_FIELDS)" ).arg( regions.layerName, name ) );
      indexes << index;
      t.attributes.names.push_back( name.toStdString() );
    }
    long long withNull = 0;
    t.attributes.values.assign( t.size(), {} );
    for ( int i = 0; i < regions.size(); ++i )
    {
      std::vector<double> row;
      for ( int k = 0; k < indexes.size(); ++k )
      {
        const QVariant v = regions.features.at( i ).attribute( indexes.at( k ) );
        if ( v.isNull() )
          break;
        bool ok = false;
        const double value = v.toDouble( &ok );
        if ( !ok || !std::isfinite( value ) )
          throw QgsProcessingException(
              QObject::tr( "Feature %1 of region layer “%2” has “%3” in attribute field %4: attributes must be finite "
                           "numbers, or NULL for a region without them" )
                  .arg( regions.features.at( i ).id() )
                  .arg( regions.layerName, v.toString(), names.at( k ) ) );
        row.push_back( value );
      }
      if ( row.size() == static_cast<std::size_t>( indexes.size() ) )
        t.attributes.values[static_cast<std::size_t>( i )] = std::move( row );
      else
        ++withNull;
    }
    if ( withNull > 0 )
      feedback->pushWarning( QObject::tr( "%1 of %2 regions have a NULL in an attribute field: they have no "
                                          "region-attribute view" )
                                 .arg( withNull )
                                 .arg( regions.size() ) );
    // A table of many fields (say 91 category counts) is named by its first few.
    const QString shown = names.size() <= 6 ? names.join( QStringLiteral( ", " ) )
                                            : QObject::tr( "%1 and %2 more" )
                                                  .arg( names.mid( 0, 5 ).join( QStringLiteral( ", " ) ) )
                                                  .arg( names.size() - 5 );
    return QObject::tr( "region attributes (%1)" ).arg( shown );
  }
} // namespace

musecl::RegionTable museclBuildRegionTable( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                            const MuseclRegionSet &regions, MuseclChipPlan &chips,
                                            const QString &chipFolder, QgsProcessingContext &context,
                                            QgsProcessingFeedback *feedback )
{
  auto definition = [&]( const QString &name ) { return algorithm->parameterDefinition( name ); };
  auto given = [&]( const QString &name ) { return museclParameterGiven( parameters, name ); };
  musecl::RegionTable t;
  for ( const QString &id : regions.ids )
    t.ids.push_back( id.toStdString() );

  addGeometry( t, regions, context );

  // One step per modality, given or not.
  MuseclStepFeedback steps( 5, feedback );
  QStringList used;
  if ( given( MuseclParameter::POIS ) )
  {
    std::unique_ptr<QgsProcessingFeatureSource> pois(
        QgsProcessingParameters::parameterAsSource( definition( MuseclParameter::POIS ), parameters, context ) );
    MuseclPoiOptions poiOptions;
    poiOptions.categoryField = QgsProcessingParameters::parameterAsString(
        definition( MuseclParameter::CATEGORY_FIELD ), parameters, context );
    if ( poiOptions.categoryField.isEmpty() )
      throw QgsProcessingException(
          QObject::tr( "POIs were given without CATEGORY_FIELD: name the field that holds each POI's category" ) );
    poiOptions.textFields =
        QgsProcessingParameters::parameterAsFields( definition( MuseclParameter::TEXT_FIELDS ), parameters, context );
    poiOptions.keepWords = true;
    used << addPois( t, *pois, poiOptions, regions, context, &steps );
  }
  steps.setCurrentStep( 1 );
  if ( given( MuseclParameter::FLOWS ) )
  {
    std::unique_ptr<QgsProcessingFeatureSource> flows(
        QgsProcessingParameters::parameterAsSource( definition( MuseclParameter::FLOWS ), parameters, context ) );
    MuseclFlowOptions options;
    options.tripPoints = MuseclEnum::flowType().read( algorithm, parameters, context ) == MuseclFlowType::TripPoints;
    options.weightField =
        QgsProcessingParameters::parameterAsString( definition( MuseclParameter::WEIGHT_FIELD ), parameters, context );
    options.roleField =
        QgsProcessingParameters::parameterAsString( definition( MuseclParameter::ROLE_FIELD ), parameters, context );
    const MuseclFlowSummary s = museclSummariseFlows( regions, *flows, options, context, &steps );
    used << museclAddFlows( t, s, options, flows->sourceName(), regions.partOfLayer, feedback );
  }
  steps.setCurrentStep( 2 );
  if ( given( MuseclParameter::RASTER ) )
  {
    QgsRasterLayer *raster = museclRasterInput( algorithm, parameters, MuseclParameter::RASTER, context );
    if ( !raster )
      throw QgsProcessingException( QObject::tr( "Could not load the raster given as RASTER" ) );
    MuseclStepFeedback rasterSteps( 2, &steps );
    if ( chips.chips )
      used << addRasterChips( t, raster, regions, chips, chipFolder, context, &rasterSteps );
    rasterSteps.setCurrentStep( 1 );
    if ( chips.sceneFeatures )
      used << addSceneFeatures( t, raster, regions, chips, context, &rasterSteps );
  }
  steps.setCurrentStep( 3 );
  if ( given( MuseclParameter::EMBEDDING_RASTER ) )
  {
    QgsRasterLayer *raster = museclRasterInput( algorithm, parameters, MuseclParameter::EMBEDDING_RASTER, context );
    used << addEmbeddingRaster( t, raster, regions, context, &steps );
  }
  steps.setCurrentStep( 4 );
  if ( given( MuseclParameter::STREETVIEW ) )
  {
    used << addStreetView( t, algorithm, parameters, regions, context, &steps, feedback );
  }
  const QStringList attributeFields = QgsProcessingParameters::parameterAsFields(
      definition( MuseclParameter::ATTRIBUTE_FIELDS ), parameters, context );
  if ( !attributeFields.isEmpty() )
    used << addAttributes( t, attributeFields, regions, feedback );
  if ( used.isEmpty() )
    throw QgsProcessingException(
        QObject::tr( "No input was given besides the regions: give at least one of RASTER, EMBEDDING_RASTER, "
                     "STREETVIEW, POIS, FLOWS or ATTRIBUTE_FIELDS" ) );
  feedback->pushInfo( QObject::tr( "Inputs: %1" ).arg( used.join( QStringLiteral( "; " ) ) ) );
  return t;
}

MuseclEmbeddingWriter::MuseclEmbeddingWriter( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                                              const QString &outputParameter, const MuseclRegionSet &regions,
                                              int dimension, QgsProcessingContext &context )
    : mFields( std::make_unique<MuseclOutputFields>( regions.fields ) ), mDimension( dimension )
{
  for ( int k = 0; k < dimension; ++k )
    mEmbeddingFields << mFields->add( "emb_", std::to_string( k ), QVariant::Double );
  // One weight per view, whatever the model has, so that every MuseCL layer has the same schema.
  for ( int v = 0; v < musecl::kViewCount; ++v )
    mBetaFields << mFields->add( "beta_", musecl::viewKey( v ), QVariant::Double );
  mFields->add( "", "views", QVariant::String );
  mHasEmbeddingField = mFields->add( "", "has_embedding", QVariant::Int );
  mSink = std::make_unique<MuseclAtomicSink>( algorithm, outputParameter, parameters, context, mFields->fields(),
                                              regions.wkbType, regions.crs );
}

MuseclEmbeddingWriter::~MuseclEmbeddingWriter() = default;

void MuseclEmbeddingWriter::add( const MuseclRegionSet &block, const musecl::RegionEmbeddings &e,
                                 QgsProcessingFeedback *feedback )
{
  for ( int v = 0; v < musecl::kViewCount; ++v )
    mModelViews[static_cast<std::size_t>( v )] =
        mModelViews[static_cast<std::size_t>( v )] || e.modelViews[static_cast<std::size_t>( v )];
  for ( int i = 0; i < block.size(); ++i )
  {
    if ( feedback->isCanceled() )
      throw QgsProcessingException( QObject::tr( "Cancelled while writing embeddings; no output was written" ) );
    const auto r = static_cast<std::size_t>( i );
    QgsAttributes added;
    for ( int k = 0; k < mDimension; ++k )
      added << static_cast<double>(
          e.values[r * static_cast<std::size_t>( e.dimension ) + static_cast<std::size_t>( k )] );
    for ( int v = 0; v < musecl::kViewCount; ++v )
    {
      const float beta = e.viewWeight[static_cast<std::size_t>( v )][r];
      added << ( std::isnan( beta ) ? QVariant( QVariant::Double ) : QVariant( static_cast<double>( beta ) ) );
      if ( !std::isnan( beta ) )
      {
        mBetaSum[static_cast<std::size_t>( v )] += beta;
        ++mBetaCount[static_cast<std::size_t>( v )];
      }
    }
    added << QString::fromStdString( e.viewsOf( r ) );
    added << static_cast<int>( e.hasEmbedding[r] );
    // Enough regions to fix the principal axes of any city; a bounded cost for a country.
    if ( e.hasEmbedding[r] && mStyleSample.size() < 20000 )
      mStyleSample.emplace_back( e.values.begin() + static_cast<std::ptrdiff_t>( r * e.dimension ),
                                 e.values.begin() + static_cast<std::ptrdiff_t>( r * e.dimension ) + mDimension );
    mSink->addFeature( mFields->extended( block.features.at( i ), added ) );
  }
}

void MuseclEmbeddingWriter::finish( QgsProcessingFeedback *feedback )
{
  mSink->finish();
  // The city-wide mean attention weight of each view the model has: which data drove the embedding.
  QStringList parts;
  for ( std::size_t v = 0; v < mBetaSum.size(); ++v )
    if ( mModelViews[v] )
      parts << QObject::tr( "%1 %2 (%3 regions)" )
                   .arg( QString::fromLatin1( musecl::viewName( static_cast<int>( v ) ) ) )
                   .arg( mBetaCount[v] ? mBetaSum[v] / static_cast<double>( mBetaCount[v] ) : 0.0, 0, 'f', 3 )
                   .arg( mBetaCount[v] );
  feedback->pushInfo( QObject::tr( "Mean attention weight per view: %1" ).arg( parts.join( QStringLiteral( "; " ) ) ) );
}

QString MuseclEmbeddingWriter::publish( QgsProcessingContext &context )
{
  const QString destination = mSink->publish();
  // By the names the fields were written under: a region layer that already had emb_0 gets emb_0_2.
  QStringList betaFields, names;
  for ( int v = 0; v < musecl::kViewCount; ++v )
    if ( mModelViews[static_cast<std::size_t>( v )] )
    {
      betaFields << mBetaFields.at( v );
      names << QString::fromLatin1( musecl::viewName( v ) );
    }
  QList<MuseclStyle> styles;
  const QString colour = museclEmbeddingColourExpression( mStyleSample, mEmbeddingFields, mHasEmbeddingField );
  if ( !colour.isEmpty() )
    styles << MuseclStyle{ QObject::tr( "Embedding (principal components as colour)" ),
                           [colour]( const QgsVectorLayer *layer )
                           { return museclExpressionColourRenderer( layer, colour ); } };
  styles << MuseclStyle{ QObject::tr( "Dominant view (largest attention weight)" ),
                         [betaFields, names]( const QgsVectorLayer *layer )
                         { return museclDominantViewRenderer( layer, betaFields, names ); } };
  museclStyleOutput( context, destination, styles );
  return destination;
}

std::unique_ptr<MuseclEmbeddingWriter>
museclStageEmbeddings( const QgsProcessingAlgorithm *algorithm, const QVariantMap &parameters,
                       const QString &outputParameter, const MuseclRegionSet &regions,
                       const musecl::RegionEmbeddings &e, QgsProcessingContext &context,
                       QgsProcessingFeedback *feedback )
{
  auto writer =
      std::make_unique<MuseclEmbeddingWriter>( algorithm, parameters, outputParameter, regions, e.dimension, context );
  writer->add( regions, e, feedback );
  writer->finish( feedback );
  return writer;
}

musecl::ProgressCallback museclTrainingProgress( QgsProcessingFeedback *feedback, const QgsFeedback *run )
{
  return [feedback, run, lastEpoch = std::string()]( const musecl::TrainingProgress &p ) mutable
  {
    feedback->setProgress( 100.0 * p.fraction );
    const std::string key = p.stage + '#' + std::to_string( p.epoch );
    // One line per finished training epoch, about ten per stage for long stages (fusion runs 100
    // short epochs; qgis_process prints every progress text); embedding passes ("embedding remote sensing",
    // also within an ensemble's later trainings) have no loss worth showing.
    const int every = std::max( 1, p.epochs / 10 );
    const bool shown = p.epochs <= 20 || p.epoch == 1 || p.epoch == p.epochs || p.epoch % every == 0;
    if ( p.batch == p.batches && p.batches > 0 && key != lastEpoch &&
         p.stage.find( "embedding " ) == std::string::npos )
    {
      lastEpoch = key;
      if ( shown )
        feedback->setProgressText( QObject::tr( "%1: epoch %2/%3, loss %4" )
                                       .arg( QString::fromStdString( p.stage ) )
                                       .arg( p.epoch )
                                       .arg( p.epochs )
                                       .arg( p.loss, 0, 'f', 4 ) );
      // qgis_process writes the log to stdout, block-buffered when piped into a file or another
      // program: without this, a batch log would show a long training's epochs only at its end.
      std::cout.flush();
    }
    return !feedback->isCanceled() && !( run && run->isCanceled() );
  };
}
