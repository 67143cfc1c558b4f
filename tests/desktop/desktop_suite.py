"""The MuseCL desktop suite, run inside the real QGIS application (qgis --code, under Xvfb).

Started by run_desktop_suite.py, which installs the built plugin into a throw-away profile. Every
algorithm runs from its own dialog (AlgorithmDialog, the toolbox's dialog), with every optional
output set through the dialog's widgets; the example models open in the modeler, validate, and the
short one runs from its dialog. Outputs are opened as a user opens them (Layer > Add Vector Layer,
iface.addVectorLayer) and must come as one layer, with no "Select Items to Add" prompt, styled with
the expected renderer. Screenshots of the dialogs, the styled outputs and the modeler are written to
MUSECL_DESKTOP_OUT; results.json lists every check. QGIS exits with the number of failed checks.
"""
import json
import os
import time
import traceback

from qgis.core import (QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsProcessingModelAlgorithm,
                       QgsProject, QgsProviderRegistry, QgsVectorLayer)
from qgis.PyQt.QtCore import QCoreApplication, QSize, Qt, QTimer
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import QApplication, QTextEdit
from qgis.utils import iface

OUT = os.environ["MUSECL_DESKTOP_OUT"]
DATA = os.environ["MUSECL_DESKTOP_DATA"]
MODELS = os.environ["MUSECL_DESKTOP_MODELS"]
results = []
unexpected_dialogs = []
running = []  # the display name of the algorithm a dialog is running: its progress dialog is expected


def check(name, ok, detail=""):
    results.append({"check": name, "ok": bool(ok), "detail": str(detail)})


def out(name):
    return os.path.join(OUT, name)


def wait(predicate, seconds):
    end = time.time() + seconds
    while not predicate() and time.time() < end:
        QCoreApplication.processEvents()
        time.sleep(0.05)
    return predicate()


def close_unexpected_dialogs():
    """A modal dialog nobody asked for (a sublayer prompt, an error box) would block the suite: note
    its title and text, then close it."""
    modal = QApplication.activeModalWidget()
    if modal is not None and not getattr(modal, "_musecl_expected", False) and modal.windowTitle() not in running:
        text = getattr(modal, "text", lambda: "")()
        unexpected_dialogs.append("%s: %s" % (modal.windowTitle(), text))
        modal.reject()


def render(layer, file_name):
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    settings.setOutputSize(QSize(640, 640))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(out(file_name))


def run_dialog(alg, parameters, shot):
    """Fills the algorithm's dialog, screenshots it, runs it as the Run button does and waits."""
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    dialog = AlgorithmDialog(alg, parent=iface.mainWindow())
    dialog._musecl_expected = True  # the dialog under test, not a prompt
    dialog.setParameters(parameters)
    dialog.show()
    wait(lambda: False, 0.3)
    dialog.grab().save(out("dialog_%s.png" % shot))
    finished = []
    dialog.algorithmFinished.connect(lambda ok, res: finished.append((ok, res)))
    running.append(alg.displayName())
    prompts = len(unexpected_dialogs)
    dialog.runAlgorithm()
    # A run that never finishes (refused parameters, results that fail to load) emits nothing: stop
    # waiting when a prompt came up instead, or when no task is left running.
    tasks = QgsApplication.taskManager()
    wait(lambda: finished or len(unexpected_dialogs) > prompts or tasks.countActiveTasks() == 0, 900)
    wait(lambda: finished, 2)
    running.pop()
    log = "\n".join(browser.toPlainText() for browser in dialog.findChildren(QTextEdit))
    with open(out("log_%s.txt" % shot), "w") as f:
        f.write(log)
    check("%s: the dialog's log names no staging file" % shot, ".musecl-partial" not in log,
          [line for line in log.splitlines() if ".musecl-partial" in line])
    dialog.close()
    return finished[0] if finished else (False, {})


def loaded_layers(path):
    return [layer for layer in QgsProject.instance().mapLayers().values()
            if layer.source().split("|")[0] == path]


def check_vector_output(step, path, renderer=None, styles=None):
    """Written, loaded into the project by the dialog (once), one table, opens with its style."""
    check("%s: %s written" % (step, os.path.basename(path)), os.path.exists(path))
    by_dialog = loaded_layers(path)
    check("%s: %s loaded by the dialog" % (step, os.path.basename(path)), len(by_dialog) == 1,
          [layer.source() for layer in by_dialog])
    sublayers = QgsProviderRegistry.instance().querySublayers(path)
    check("%s: %s is one layer (no sublayer prompt)" % (step, os.path.basename(path)), len(sublayers) == 1,
          [s.name() for s in sublayers])
    before = len(unexpected_dialogs)
    opened = iface.addVectorLayer(path, os.path.basename(path), "ogr")
    wait(lambda: False, 0.3)
    check("%s: %s opens from Add Vector Layer without a prompt" % (step, os.path.basename(path)),
          opened is not None and len(unexpected_dialogs) == before, unexpected_dialogs[before:])
    if opened is not None and renderer:
        check("%s: %s opens styled (%s)" % (step, os.path.basename(path), renderer),
              opened.renderer().type() == renderer, opened.renderer().type())
        render(opened, "map_%s.png" % step)
    if styles:
        names = sorted(by_dialog[0].styleManager().styles()) if by_dialog else []
        check("%s: the loaded layer has the styles %s" % (step, styles), names == sorted(styles), names)


def algorithm(alg_id):
    return QgsApplication.processingRegistry().createAlgorithmById(alg_id)


def provider_checks():
    provider = QgsApplication.processingRegistry().providerById("musecl")
    check("the provider is in the toolbox", provider is not None)
    for alg in provider.algorithms():
        url = alg.helpUrl()
        check("%s: Help opens its page in the plugin folder" % alg.id(),
              url.startswith("file://") and os.path.exists(url[len("file://"):]), url)
    groups = sorted({alg.group() for alg in provider.algorithms()})
    check("groups sort in workflow order", groups == ["1. Regions", "2. Region features", "3. Region embeddings",
                                                     "4. Prediction"], groups)


def feature_steps():
    city = lambda name: os.path.join(DATA, name)
    ok, _ = run_dialog(algorithm("musecl:hexgrid"), {"INPUT": city("boundary.geojson"), "HEX_SIZE": 500,
                                                     "OUTPUT": out("hexagons.gpkg")}, "hexgrid")
    check("hexgrid runs from its dialog", ok)
    check_vector_output("hexgrid", out("hexagons.gpkg"), "singleSymbol")
    ok, _ = run_dialog(algorithm("musecl:poifeatures"),
                       {"REGIONS": out("hexagons.gpkg"), "POIS": city("pois.gpkg"), "CATEGORY_FIELD": "category",
                        "TEXT_FIELDS": ["name"], "OUTPUT": out("poi.gpkg"), "OUTPUT_TABLE": out("poi_table.gpkg")},
                       "poifeatures")
    check("poifeatures runs from its dialog", ok)
    check_vector_output("poifeatures", out("poi_table.gpkg"))
    ok, _ = run_dialog(algorithm("musecl:mobilityfeatures"),
                       {"REGIONS": out("hexagons.gpkg"), "FLOWS": city("flows.gpkg"), "WEIGHT_FIELD": "trips",
                        "OUTPUT": out("mobility.gpkg"), "OUTPUT_OD": out("od_table.gpkg")}, "mobilityfeatures")
    check("mobilityfeatures runs from its dialog", ok)
    check_vector_output("mobilityfeatures", out("od_table.gpkg"))
    ok, _ = run_dialog(algorithm("musecl:streetview"),
                       {"REGIONS": out("hexagons.gpkg"), "IMAGES": city("streetview.gpkg"), "PATH_FIELD": "photo",
                        "OUTPUT": out("streetview.gpkg"), "OUTPUT_INDEX": out("streetview_index.gpkg")},
                       "streetview")
    check("streetview runs from its dialog", ok)
    check_vector_output("streetview", out("streetview_index.gpkg"))
    ok, _ = run_dialog(algorithm("musecl:imagechips"),
                       {"REGIONS": out("hexagons.gpkg"), "RASTER": city("satellite_rgb.tif"), "CHIP_SIZE": 64,
                        "OUTPUT_FOLDER": out("chips"), "OUTPUT_INDEX": out("chips_index.gpkg")}, "imagechips")
    check("imagechips runs from its dialog", ok and len(os.listdir(out("chips"))) > 0)
    ok, _ = run_dialog(algorithm("musecl:imagefeatures"),
                       {"RASTER": city("satellite_rgb.tif"), "STEPS": 20, "OUTPUT": out("features.tif"),
                        "OUTPUT_ENCODER": out("scene.musecl")}, "imagefeatures")
    check("imagefeatures runs from its dialog", ok and os.path.exists(out("features.tif"))
          and os.path.exists(out("scene.musecl")))


def learning_steps():
    city = lambda name: os.path.join(DATA, name)
    views = {"REGIONS": out("hexagons.gpkg"), "POIS": city("pois.gpkg"), "CATEGORY_FIELD": "category",
             "TEXT_FIELDS": ["name"], "FLOWS": city("flows.gpkg"), "WEIGHT_FIELD": "trips"}
    ok, _ = run_dialog(algorithm("musecl:train"),
                       dict(views, EMBEDDING_SIZE=16, FUSION_EPOCHS=20, MOBILITY_EPOCHS=50, SEED=42,
                            OUTPUT_MODEL=out("city.musecl"), OUTPUT=out("embeddings.gpkg"),
                            OUTPUT_LOG=out("training_log.gpkg")), "train")
    check("train runs from its dialog", ok)
    check_vector_output("train", out("embeddings.gpkg"), "singleSymbol",
                        ["Dominant view (largest attention weight)", "Embedding (principal components as colour)"])
    check_vector_output("train log", out("training_log.gpkg"))
    ok, _ = run_dialog(algorithm("musecl:embed"), dict(views, MODEL=out("city.musecl"), OUTPUT=out("embedded.gpkg")),
                       "embed")
    check("embed runs from its dialog", ok)
    check_vector_output("embed", out("embedded.gpkg"), "singleSymbol")
    import processing
    processing.run("native:zonalstatisticsfb", {"INPUT": out("embeddings.gpkg"), "INPUT_RASTER":
                   city("population_density.tif"), "RASTER_BAND": 1, "COLUMN_PREFIX": "pop_", "STATISTICS": [2],
                   "OUTPUT": out("with_target.gpkg")})
    ok, _ = run_dialog(algorithm("musecl:predict"),
                       {"INPUT": out("with_target.gpkg"), "TARGET": "pop_mean", "EVALUATION": 2,
                        "OUTPUT": out("predictions.gpkg"), "OUTPUT_REPORT": out("report.html")}, "predict")
    check("predict runs from its dialog", ok and os.path.exists(out("report.html")))
    check_vector_output("predict", out("predictions.gpkg"), "graduatedSymbol",
                        ["Predicted pop_mean", "Residuals (true \u2212 predicted)"])
    ok, _ = run_dialog(algorithm("musecl:cluster"), {"INPUT": out("embeddings.gpkg"), "CLUSTERS": 4,
                                                     "OUTPUT": out("clusters.gpkg")}, "cluster")
    check("cluster runs from its dialog", ok)
    check_vector_output("cluster", out("clusters.gpkg"), "categorizedSymbol")


def modeler_steps():
    from processing.modeler.ModelerDialog import ModelerDialog
    for name in sorted(f for f in os.listdir(MODELS) if f.endswith(".model3")):
        model = QgsProcessingModelAlgorithm()
        check("modeler: %s loads" % name, model.fromFile(os.path.join(MODELS, name)))
        dialog = ModelerDialog.create(model)
        dialog._musecl_expected = True
        dialog.resize(1580, 980)
        dialog.show()
        wait(lambda: False, 0.5)
        view = dialog.view()
        view.fitInView(view.scene().itemsBoundingRect(), Qt.KeepAspectRatio)
        wait(lambda: False, 0.3)
        ok, issues = dialog.model().validate()
        check("modeler: %s validates" % name, ok, issues)
        dialog.grab().save(out("modeler_%s.png" % name[:-len(".model3")]))
        dialog.close()
    # Run as an analyst runs a model they were given: from the toolbox's Models, where the driver
    # put the example files (the profile's processing/models folder).
    model = algorithm("model:From a boundary to a prediction report")
    check("modeler: the example models are in the toolbox", model is not None)
    ok, results_ = run_dialog(model,
                              {"boundary": os.path.join(DATA, "boundary.geojson"), "hexagon_side_m": 500,
                               "pois": os.path.join(DATA, "pois.gpkg"),
                               "target_raster": os.path.join(DATA, "population_density.tif"),
                               "train:model": out("model_run.musecl"), "predict:predictions":
                               out("model_predictions.gpkg"), "predict:report": out("model_report.html")},
                              "model_boundary_to_report")
    check("modeler: boundary_to_report runs from its dialog", ok and os.path.exists(out("model_report.html")),
          results_)


def main():
    watchdog = QTimer()
    watchdog.timeout.connect(close_unexpected_dialogs)
    watchdog.start(250)
    for stage in (provider_checks, feature_steps, learning_steps, modeler_steps):
        try:
            stage()
        except Exception:  # a stage that breaks is a failed check, and the others still run
            check("%s completes" % stage.__name__, False, traceback.format_exc())
        with open(out("results.json"), "w") as f:  # kept even if a later stage crashes QGIS
            json.dump(results, f, indent=1)
    check("no unexpected dialog appeared", not unexpected_dialogs, unexpected_dialogs)
    iface.mainWindow().grab().save(out("main_window.png"))
    with open(out("results.json"), "w") as f:
        json.dump(results, f, indent=1)
    QgsApplication.exit(sum(1 for r in results if not r["ok"]))


QTimer.singleShot(1000, main)
