// Benchmarks of the region-feature algorithms, side by side with QGIS where QGIS has an equivalent.
//
//  poi:   1,000,000 random POIs into 100,000 hexagons: musecl:poifeatures (hexagon-lattice path,
//         and the general polygon path on the same hexagons without their row/col fields) against
//         native:countpointsinpolygon, with a check that every region's count is identical.
//  chips: 10,000 chips of 256 px from a 20,000 x 20,000 px, 3-band raster (tiled, DEFLATE), with
//         the process's peak resident memory before and after.
//
// Usage: bench_features poi|make-raster|chips [scale, default 1.0: multiplies the POI, region and raster sizes]
// (chips reads the raster that make-raster wrote into the temporary folder)
#include "musecl_headless_qgis.h"
#include "musecl_provider.h"

#include <qgsapplication.h>
#include <qgsnativealgorithms.h>
#include <qgsprocessingalgorithm.h>
#include <qgsprocessingcontext.h>
#include <qgsprocessingfeedback.h>
#include <qgsprocessingregistry.h>
#include <qgsprocessingutils.h>
#include <qgsvectorlayer.h>

#include <gdal_priv.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>
#include <cmath>
#include <cstdio>
#include <random>
#include <sys/resource.h>

namespace {
QVariantMap runOrDie(const QString &id, const QVariantMap &parameters, QgsProcessingContext &context, double *seconds) {
  std::unique_ptr<QgsProcessingAlgorithm> alg(QgsApplication::processingRegistry()->createAlgorithmById(id));
  QgsProcessingFeedback feedback;
  bool ok = false;
  QElapsedTimer timer;
  timer.start();
  const QVariantMap out = alg->run(parameters, context, &feedback, &ok);
  *seconds = timer.nsecsElapsed() / 1e9;
  if (!ok) {
    std::fprintf(stderr, "%s failed: %s\n", qPrintable(id), qPrintable(feedback.textLog()));
    std::exit(1);
  }
  return out;
}

QgsVectorLayer *layerOf(const QVariantMap &out, const QString &name, QgsProcessingContext &context) {
  return qobject_cast<QgsVectorLayer *>(QgsProcessingUtils::mapLayerFromString(out.value(name).toString(), context));
}

double peakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

void benchPois(double scale) {
  const long long poiCount = static_cast<long long>(1'000'000 * scale);
  const double side = 100.0;
  // 100,000 hexagons of 100 m side cover 100,000 * 25,981 m^2: a square of 50.97 km side.
  const double width = std::sqrt(100'000 * scale * 2.598076211 * side * side);
  QgsProcessingContext context;
  auto square = std::make_unique<QgsVectorLayer>(QStringLiteral("Polygon?crs=EPSG:32618"), QStringLiteral("square"),
                                                 QStringLiteral("memory"));
  QgsFeature f;
  f.setGeometry(QgsGeometry::fromRect(QgsRectangle(500000, 4400000, 500000 + width, 4400000 + width)));
  square->dataProvider()->addFeature(f);
  double seconds = 0;
  const QVariantMap grid = runOrDie(
      QStringLiteral("musecl:hexgrid"),
      {{"INPUT", QVariant::fromValue(square.get())}, {"HEX_SIZE", side}, {"OUTPUT", "memory:"}}, context, &seconds);
  QgsVectorLayer *hexes = layerOf(grid, "OUTPUT", context);
  // The same polygons without row/col: musecl takes its general bucket-grid path.
  const QVariantMap plain =
      runOrDie(QStringLiteral("native:deletecolumn"),
               {{"INPUT", QVariant::fromValue(hexes)}, {"COLUMN", QStringList{"row", "col"}}, {"OUTPUT", "memory:"}},
               context, &seconds);
  QgsVectorLayer *plainHexes = layerOf(plain, "OUTPUT", context);

  auto pois = std::make_unique<QgsVectorLayer>(QStringLiteral("Point?crs=EPSG:32618&field=fclass:string"),
                                               QStringLiteral("pois"), QStringLiteral("memory"));
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> ux(500000 - 0.02 * width, 500000 + 1.02 * width),
      uy(4400000 - 0.02 * width, 4400000 + 1.02 * width);
  const char *categories[] = {"restaurant", "cafe", "school", "bank", "shop", "park", "office", "hotel"};
  QgsFeatureList batch;
  for (long long i = 0; i < poiCount; ++i) {
    QgsFeature p(pois->fields());
    p.setGeometry(QgsGeometry::fromPointXY(QgsPointXY(ux(rng), uy(rng))));
    p.setAttributes(QgsAttributes() << categories[i % 8]);
    batch << p;
    if (batch.size() == 100000) {
      pois->dataProvider()->addFeatures(batch);
      batch.clear();
    }
  }
  pois->dataProvider()->addFeatures(batch);
  // Give QGIS its best case: without a spatial index on the points, countpointsinpolygon scans
  // every point for every polygon (hours at this size).
  pois->dataProvider()->createSpatialIndex();

  std::printf("\n## POI aggregation: %lld POIs into %lld hexagons (100 m side), memory layers\n", poiCount,
              hexes->featureCount());
  double tLattice = 0, tGrid = 0, tNative = 0;
  const QVariantMap lattice = runOrDie(QStringLiteral("musecl:poifeatures"),
                                       {{"REGIONS", QVariant::fromValue(hexes)},
                                        {"POIS", QVariant::fromValue(pois.get())},
                                        {"CATEGORY_FIELD", "fclass"},
                                        {"OUTPUT", "memory:"}},
                                       context, &tLattice);
  const QVariantMap general = runOrDie(QStringLiteral("musecl:poifeatures"),
                                       {{"REGIONS", QVariant::fromValue(plainHexes)},
                                        {"POIS", QVariant::fromValue(pois.get())},
                                        {"CATEGORY_FIELD", "fclass"},
                                        {"OUTPUT", "memory:"}},
                                       context, &tGrid);
  const QVariantMap native = runOrDie(QStringLiteral("native:countpointsinpolygon"),
                                      {{"POLYGONS", QVariant::fromValue(hexes)},
                                       {"POINTS", QVariant::fromValue(pois.get())},
                                       {"FIELD", "NUMPOINTS"},
                                       {"OUTPUT", "memory:"}},
                                      context, &tNative);

  // Identical counts, region by region.
  QHash<QString, double> nativeCounts;
  QgsFeature r;
  QgsFeatureIterator it = layerOf(native, "OUTPUT", context)->getFeatures();
  while (it.nextFeature(r))
    nativeCounts.insert(r.attribute("region_id").toString(), r.attribute("NUMPOINTS").toDouble());
  long long mismatches = 0;
  double total = 0;
  for (const QVariantMap &ours : {lattice, general}) {
    it = layerOf(ours, "OUTPUT", context)->getFeatures();
    while (it.nextFeature(r)) {
      mismatches +=
          r.attribute("poi_total").toDouble() != nativeCounts.value(r.attribute("region_id").toString()) ? 1 : 0;
      total += r.attribute("poi_total").toDouble();
    }
  }
  std::printf("| method | seconds | speed-up vs QGIS native |\n|---|---:|---:|\n");
  std::printf("| native:countpointsinpolygon (points spatially indexed) | %.2f | 1.0x |\n", tNative);
  std::printf("| musecl:poifeatures, general polygons (bucket grid) | %.2f | %.1fx |\n", tGrid, tNative / tGrid);
  std::printf("| musecl:poifeatures, musecl:hexgrid regions (lattice) | %.2f | %.1fx |\n", tLattice,
              tNative / tLattice);
  std::printf("POIs inside regions: %.0f per run; regions whose count differs from QGIS: %lld\n", total / 2,
              mismatches);
}

QString rasterPath(int size) {
  return QDir::temp().absoluteFilePath(QStringLiteral("musecl_bench_raster_%1.tif").arg(size));
}

// Written by its own process ("make-raster"): writing fills GDAL's block cache, which must not be
// counted in the chip extraction's peak memory.
void makeRaster(double scale) {
  const int size = static_cast<int>(20000 * std::sqrt(scale));
  const QString raster = rasterPath(size);
  GDALAllRegister();
  QElapsedTimer timer;
  timer.start();
  {
    char **options = nullptr;
    options = CSLSetNameValue(options, "TILED", "YES");
    options = CSLSetNameValue(options, "COMPRESS", "DEFLATE");
    options = CSLSetNameValue(options, "ZLEVEL", "1");
    options = CSLSetNameValue(options, "BIGTIFF", "YES");
    GDALDataset *ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(raster.toUtf8().constData(), size, size,
                                                                               3, GDT_Byte, options);
    CSLDestroy(options);
    double gt[6] = {500000, 1.0, 0, 4400000.0 + size, 0, -1.0};
    ds->SetGeoTransform(gt);
    OGRSpatialReference srs;
    srs.importFromEPSG(32618);
    ds->SetSpatialRef(&srs);
    std::vector<unsigned char> rows(static_cast<std::size_t>(size) * 256);
    for (int y0 = 0; y0 < size; y0 += 256) {
      const int h = std::min(256, size - y0);
      for (int b = 1; b <= 3; ++b) {
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < size; ++x)
            rows[static_cast<std::size_t>(y) * size + x] =
                static_cast<unsigned char>(((x + y0 + y) / 37 * b + (x / 101) * (y0 / 256)) & 0xff);
        if (ds->GetRasterBand(b)->RasterIO(GF_Write, 0, y0, size, h, rows.data(), size, h, GDT_Byte, 0, 0) != CE_None)
          throw std::runtime_error(std::string("writing the benchmark raster failed: ") + CPLGetLastErrorMsg());
      }
    }
    GDALClose(ds);
  }
  std::printf("raster %s: %d x %d px, 3 bands Byte, tiled DEFLATE, written in %.1f s\n", qPrintable(raster), size, size,
              timer.nsecsElapsed() / 1e9);
}

void benchChips(double scale) {
  const int size = static_cast<int>(20000 * std::sqrt(scale));
  const QString raster = rasterPath(size);
  if (!QFileInfo::exists(raster)) {
    std::fprintf(stderr, "run 'bench_features make-raster %g' first\n", scale);
    std::exit(1);
  }
  QTemporaryDir dir;
  std::printf("\n## Image chips: %d x %d px raster (%s), 3 bands Byte\n", size, size, qPrintable(raster));

  QgsProcessingContext context;
  auto square = std::make_unique<QgsVectorLayer>(QStringLiteral("Polygon?crs=EPSG:32618"), QStringLiteral("square"),
                                                 QStringLiteral("memory"));
  QgsFeature f;
  f.setGeometry(QgsGeometry::fromRect(QgsRectangle(500000, 4400000, 500000 + size, 4400000 + size)));
  square->dataProvider()->addFeature(f);
  // 10,000 hexagons over 20 km x 20 km: side sqrt(4e8 / 10,000 / 2.598) = 124 m.
  const double side = std::sqrt(double(size) * size / (10000 * scale) / 2.598076211);
  double seconds = 0;
  const QVariantMap grid = runOrDie(
      QStringLiteral("musecl:hexgrid"),
      {{"INPUT", QVariant::fromValue(square.get())}, {"HEX_SIZE", side}, {"OUTPUT", "memory:"}}, context, &seconds);
  QgsVectorLayer *hexes = layerOf(grid, "OUTPUT", context);
  const double rssBefore = peakRssMiB();
  std::printf("GDAL block cache limit: %lld MiB; peak RSS before chips: %.0f MiB\n",
              static_cast<long long>(GDALGetCacheMax64() / 1048576), rssBefore);
  std::printf(
      "| threads | regions | chips | seconds | chips/s | peak RSS after (MiB) |\n|---:|---:|---:|---:|---:|---:|\n");
  for (int threads : {1, 2}) {
    const QVariantMap out = runOrDie(QStringLiteral("musecl:imagechips"),
                                     {{"REGIONS", QVariant::fromValue(hexes)},
                                      {"RASTER", raster},
                                      {"CHIP_SIZE", 256},
                                      {"THREADS", threads},
                                      {"OUTPUT_FOLDER", dir.filePath(QStringLiteral("chips%1").arg(threads))},
                                      {"OUTPUT_INDEX", "memory:"}},
                                     context, &seconds);
    const double chips = out.value("CHIP_COUNT").toDouble();
    std::printf("| %d | %lld | %.0f | %.1f | %.0f | %.0f |\n", threads, hexes->featureCount(), chips, seconds,
                chips / seconds, peakRssMiB());
  }
}
}  // namespace

int main(int argc, char **argv) {
  const QString what = argc > 1 ? QString(argv[1]) : QStringLiteral("all");
  const double scale = argc > 2 ? std::atof(argv[2]) : 1.0;
  const MuseclHeadlessQgis qgis(argc, argv);
  std::printf("%s\n", qPrintable(MuseclProvider::runtimeDescription()));
  if (what == QLatin1String("poi") || what == QLatin1String("all")) benchPois(scale);
  if (what == QLatin1String("make-raster")) makeRaster(scale);
  if (what == QLatin1String("chips")) benchChips(scale);
  return 0;
}
