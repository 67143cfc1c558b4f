// Benchmark: musecl:hexgrid against the QGIS-native way of getting hexagons over a boundary,
// native:creategrid (hexagon) followed by native:extractbylocation (intersects), side by side in
// one process on the same polygon, in two output modes:
//  - memory: every output is a memory layer (measures the algorithms, not the disk);
//  - gpkg: every output, the native route's intermediate grid included, is a GeoPackage, as in a
//    qgis_process run or a graphical model (whose intermediate outputs are temporary files).
// An untimed warm-up run first, so that no method pays for growing the heap alone.
//
// Usage: bench_hexgrid [target hexagon count, default 1000000] [polygon vertices, default 2000] [memory|gpkg|musecl]
// "musecl" / "musecl-gpkg" run only the MuseCL side (for profiling).
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

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace {
struct Timed {
  double seconds = 0;
  long long features = 0;
};

QVariantMap runOrDie(const QString &id, const QVariantMap &parameters, QgsProcessingContext &context) {
  std::unique_ptr<QgsProcessingAlgorithm> alg(QgsApplication::processingRegistry()->createAlgorithmById(id));
  QgsProcessingFeedback feedback;
  bool ok = false;
  const QVariantMap out = alg->run(parameters, context, &feedback, &ok);
  if (!ok) {
    std::fprintf(stderr, "%s failed: %s\n", qPrintable(id), qPrintable(feedback.textLog()));
    std::exit(1);
  }
  return out;
}

long long featureCount(const QVariant &output, QgsProcessingContext &context) {
  auto *layer = qobject_cast<QgsVectorLayer *>(QgsProcessingUtils::mapLayerFromString(output.toString(), context));
  return layer ? layer->featureCount() : -1;
}

// A wobbly disc: large, concave in places, with many vertices, like a real metropolitan boundary.
std::unique_ptr<QgsVectorLayer> boundaryLayer(double radius, int vertices) {
  QgsPolylineXY ring;
  for (int i = 0; i < vertices; ++i) {
    const double t = 2 * M_PI * i / vertices;
    const double r = radius * (1.0 + 0.08 * std::sin(7 * t) + 0.03 * std::sin(31 * t));
    ring << QgsPointXY(500000 + r * std::cos(t), 4500000 + r * std::sin(t));
  }
  ring << ring.front();
  auto layer = std::make_unique<QgsVectorLayer>(QStringLiteral("Polygon?crs=EPSG:32618"), QStringLiteral("boundary"),
                                                QStringLiteral("memory"));
  QgsFeature f;
  f.setGeometry(QgsGeometry::fromPolygonXY({ring}));
  layer->dataProvider()->addFeature(f);
  layer->updateExtents();
  return layer;
}

QString gOutputDir;  // empty: memory outputs

QString destination(const QString &name) {
  return gOutputDir.isEmpty() ? QStringLiteral("memory:") : gOutputDir + '/' + name + QStringLiteral(".gpkg");
}

Timed runMusecl(QgsVectorLayer *boundary, double side, int coverage) {
  QgsProcessingContext context;
  QElapsedTimer timer;
  timer.start();
  const QVariantMap out = runOrDie(QStringLiteral("musecl:hexgrid"),
                                   {{QStringLiteral("INPUT"), QVariant::fromValue(boundary)},
                                    {QStringLiteral("HEX_SIZE"), side},
                                    {QStringLiteral("COVERAGE"), coverage},
                                    {QStringLiteral("OUTPUT"), destination(QStringLiteral("musecl_%1").arg(coverage))}},
                                   context);
  Timed t;
  t.seconds = timer.nsecsElapsed() / 1e9;
  t.features = featureCount(out.value(QStringLiteral("OUTPUT")), context);
  return t;
}

Timed runNative(QgsVectorLayer *boundary, double side, Timed *gridOnly) {
  QgsProcessingContext context;
  QElapsedTimer timer;
  timer.start();
  const QgsRectangle e = boundary->extent();
  // native:creategrid's hexagons are flat-topped with VSPACING = flat-to-flat width = sqrt(3)*side
  // and HSPACING = column spacing = 1.5*side: the same cells as musecl:hexgrid's.
  const QVariantMap grid = runOrDie(QStringLiteral("native:creategrid"),
                                    {{QStringLiteral("TYPE"), 4},
                                     {QStringLiteral("EXTENT"), QStringLiteral("%1,%2,%3,%4 [EPSG:32618]")
                                                                    .arg(e.xMinimum(), 0, 'f', 3)
                                                                    .arg(e.xMaximum(), 0, 'f', 3)
                                                                    .arg(e.yMinimum(), 0, 'f', 3)
                                                                    .arg(e.yMaximum(), 0, 'f', 3)},
                                     {QStringLiteral("HSPACING"), 1.5 * side},
                                     {QStringLiteral("VSPACING"), std::sqrt(3.0) * side},
                                     {QStringLiteral("HOVERLAY"), 0},
                                     {QStringLiteral("VOVERLAY"), 0},
                                     {QStringLiteral("CRS"), QStringLiteral("EPSG:32618")},
                                     {QStringLiteral("OUTPUT"), destination(QStringLiteral("native_grid"))}},
                                    context);
  gridOnly->seconds = timer.nsecsElapsed() / 1e9;
  gridOnly->features = featureCount(grid.value(QStringLiteral("OUTPUT")), context);
  const QVariantMap extracted = runOrDie(QStringLiteral("native:extractbylocation"),
                                         {{QStringLiteral("INPUT"), grid.value(QStringLiteral("OUTPUT"))},
                                          {QStringLiteral("PREDICATE"), QVariantList{0}},
                                          {QStringLiteral("INTERSECT"), QVariant::fromValue(boundary)},
                                          {QStringLiteral("OUTPUT"), destination(QStringLiteral("native_extract"))}},
                                         context);
  Timed t;
  t.seconds = timer.nsecsElapsed() / 1e9;
  t.features = featureCount(extracted.value(QStringLiteral("OUTPUT")), context);
  return t;
}
}  // namespace

int main(int argc, char **argv) {
  const double target = argc > 1 ? std::atof(argv[1]) : 1e6;
  const int vertices = argc > 2 ? std::atoi(argv[2]) : 2000;
  const QString mode = argc > 3 ? QString(argv[3]) : QStringLiteral("memory");
  const MuseclHeadlessQgis qgis(argc, argv);

  // A 100 m side over a disc of radius R gives pi*R^2 / (2.598*100^2) hexagons.
  const double side = 100.0;
  const double radius = std::sqrt(target * 2.598076211 * side * side / M_PI);
  auto boundary = boundaryLayer(radius, vertices);
  std::printf("boundary: %d vertices, radius %.1f km, %.0f km^2; hexagon side %.0f m; target %.0f hexagons\n", vertices,
              radius / 1000, boundary->getFeature(1).geometry().area() / 1e6, side, target);
  std::printf("%s\n", qPrintable(MuseclProvider::runtimeDescription()));

  QTemporaryDir outputDir;
  if (mode.endsWith(QLatin1String("gpkg"))) gOutputDir = outputDir.path();
  std::printf("output mode: %s\n", qPrintable(mode.endsWith(QLatin1String("gpkg")) ? QStringLiteral("GeoPackage files")
                                                                                   : QStringLiteral("memory layers")));

  runMusecl(boundary.get(), side, 1);  // warm-up, untimed
  const Timed centroid = runMusecl(boundary.get(), side, 0);
  const Timed intersects = runMusecl(boundary.get(), side, 1);
  if (mode.startsWith(QLatin1String("musecl"))) {
    std::printf("musecl:hexgrid centroid %lld hexagons %.2f s, intersects %lld hexagons %.2f s\n", centroid.features,
                centroid.seconds, intersects.features, intersects.seconds);
    return 0;
  }
  Timed gridOnly;
  const Timed native = runNative(boundary.get(), side, &gridOnly);

  std::printf("\n| method | hexagons | seconds | speed-up vs QGIS native |\n|---|---:|---:|---:|\n");
  std::printf("| native:creategrid + native:extractbylocation (intersects) | %lld | %.2f | 1.00x |\n", native.features,
              native.seconds);
  std::printf("| (of which native:creategrid alone, %lld cells over the extent) | | %.2f | |\n", gridOnly.features,
              gridOnly.seconds);
  std::printf("| musecl:hexgrid, intersects rule | %lld | %.2f | %.1fx |\n", intersects.features, intersects.seconds,
              native.seconds / intersects.seconds);
  std::printf("| musecl:hexgrid, centroid rule | %lld | %.2f | %.1fx |\n", centroid.features, centroid.seconds,
              native.seconds / centroid.seconds);
  return 0;
}
