// The four modalities of MuseCL read from ordinary layers, region by region. Each summariser is
// used both by its own "Region features" algorithm and by musecl:train / musecl:embed, so a layer
// means the same thing everywhere.
#pragma once

#include "musecl_region_inputs.h"

#include "musecl/geo/chip_extractor.h"
#include "musecl/geo/flow_totals.h"
#include "musecl/geo/zonal_stats.h"

#include <QList>
#include <QStringList>
#include <string>
#include <vector>

class QgsRasterLayer;
class QgsFeedback;
class MuseclStagedFiles;

struct MuseclPoiSummary
{
    std::vector<std::string> categories;                          // first-seen order
    std::vector<std::pair<std::uint32_t, std::uint32_t>> located; // (region, category), sorted
    std::vector<double> total;                                    // per region, categorised or not
    std::vector<double> words;                                    // per region: category + text tokens
    std::vector<std::vector<std::string>> sentences;              // per region, when kept
    std::vector<std::vector<std::string>> categoryTokens;         // per region, when kept
    long long inside = 0;
    long long outside = 0;
    long long uncategorised = 0;
    MuseclLocateStats stats;
};

struct MuseclPoiOptions
{
    QString categoryField;
    QStringList textFields; // names, tags, reviews: tokenised into the region's words
    bool keepWords = false; // keep the sentences and category tokens (for skip-gram)
};

// Refuses an empty layer, a missing field, and POIs that miss every region. Progress 0-100 on `feedback`.
MuseclPoiSummary museclSummarisePois( const MuseclRegionSet &regions, QgsProcessingFeatureSource &pois,
                                      const MuseclPoiOptions &options, QgsProcessingContext &context,
                                      QgsProcessingFeedback *feedback );

struct MuseclFlowOptions
{
    bool tripPoints = false; // false: OD lines
    QString weightField;     // empty: 1 per feature
    QString roleField;       // trip points only
    QString originValue = QStringLiteral( "O" );
    QString destinationValue = QStringLiteral( "D" );
};

// The sums (inflow, outflow, internal, od, weights inside and outside) are musecl::FlowTotals;
// the rest is what reading the layer found.
struct MuseclFlowSummary : public musecl::FlowTotals
{
    explicit MuseclFlowSummary( std::size_t regions = 0 ) : musecl::FlowTotals( regions ) {}
    long long nullWeights = 0;
    long long unknownRole = 0;
    MuseclLocateStats stats;
};

// Refuses an empty layer, geometries that do not match the flow type, missing fields and flows
// that miss every region. Progress 0-100 on `feedback`.
MuseclFlowSummary museclSummariseFlows( const MuseclRegionSet &regions, QgsProcessingFeatureSource &flows,
                                        const MuseclFlowOptions &options, QgsProcessingContext &context,
                                        QgsProcessingFeedback *feedback );

struct MuseclChipRun
{
    std::vector<musecl::ChipResult> results;
    QStringList paths; // final path per region (empty where no chip was written)
    QStringList regionsWithoutChip;
    long long written = 0;
    int size = 0; // chip side in pixels actually used (resolved when the options asked for 0, automatic)
};

// The regions' rings in the raster's CRS; refuses regions that do not overlap `rasterExtent` (in
// the raster's CRS), naming both extents, and rings that cannot be transformed.
std::vector<musecl::RegionRings> museclRingsInRasterCrs( const MuseclRegionSet &regions, QgsRasterLayer *raster,
                                                         const QgsRectangle &rasterExtent,
                                                         QgsProcessingContext &context );
// The regions' surroundings in the raster's CRS: each region buffered by `metres` on the ground
// (in the UTM zone of its own centre), itself included. Cancel is honoured every 1024 regions.
std::vector<musecl::RegionRings> museclSurroundingRingsInRasterCrs( const MuseclRegionSet &regions,
                                                                    QgsRasterLayer *raster, double metres,
                                                                    QgsProcessingContext &context,
                                                                    QgsFeedback *feedback );
// The file behind a GDAL raster layer; refuses other providers, saying what `role` needs the file.
QString museclGdalRasterPath( QgsRasterLayer *raster, const QString &role );

// Mean and standard deviation of every band per region (musecl::zonalBandStatistics), regions
// transformed to the raster's CRS; progress (0-100) and cancel per region. Refuses a raster without
// any valid pixel under the regions.
musecl::ZonalStatistics museclSummariseRaster( const MuseclRegionSet &regions, QgsRasterLayer *raster,
                                               QgsProcessingContext &context, QgsProcessingFeedback *feedback );

// Extracts one chip per region into `files` (staged; the caller commits). `options.size` 0 chooses
// the size from the raster's resolution (musecl::automaticChipSize). Progress 0-100 on `feedback`.
// Refuses a non-GDAL raster, no overlap (naming both extents) and a raster without any valid pixel
// under the regions.
MuseclChipRun museclExtractChips( const MuseclRegionSet &regions, QgsRasterLayer *raster,
                                  const musecl::ChipOptions &options, int threads, MuseclStagedFiles &files,
                                  QgsProcessingContext &context, QgsProcessingFeedback *feedback );

struct MuseclStreetViewSummary
{
    std::vector<std::vector<QString>> perRegion; // absolute paths of usable images
    QStringList missing, unreadable, outside;
    long long withoutPath = 0;
    long long assigned = 0;
    long long regionsWithImages = 0;
    MuseclLocateStats stats;
};

struct MuseclStreetViewOptions
{
    QString pathField;
    QString baseFolder;        // for relative paths; empty: the folder of the image layer's file
    bool checkReadable = true; // open every image (decode photos) before accepting it
};

// Refuses layers whose images are all unusable. Progress 0-100 on `feedback`.
MuseclStreetViewSummary museclCollectStreetView( const MuseclRegionSet &regions, QgsProcessingFeatureSource &images,
                                                 QgsMapLayer *imageLayer, const MuseclStreetViewOptions &options,
                                                 QgsProcessingContext &context, QgsProcessingFeedback *feedback );

// Warnings that name the unusable images (shared by every algorithm that reads street view).
void museclReportStreetView( const MuseclStreetViewSummary &summary, const QString &pathField, int regionCount,
                             QgsProcessingFeedback *feedback );
