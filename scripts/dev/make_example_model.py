"""Regenerates the example models in examples/models/ (a developer tool, not part of the plugin).

Usage: /usr/bin/python3 scripts/dev/make_example_model.py build/python/plugins/musecl/libmusecl_provider.so examples/models

Every parameter of every step gets a value (its default unless the model sets it), so that the
modeler's "Validate" passes, and every component has its own place on the canvas: inputs in a
column on the left, steps from left to right in the order they run, outputs under their step.
tests/processing/test_example_models.cpp checks both against the installed algorithms.
"""
import ctypes
import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import (QgsApplication, QgsProcessing, QgsProcessingDestinationParameter,
                       QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm,
                       QgsProcessingModelChildParameterSource as S, QgsProcessingModelOutput,
                       QgsProcessingModelParameter, QgsProcessingParameterDefinition,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterLayer,
                       QgsProcessingParameterVectorLayer)
from qgis.analysis import QgsNativeAlgorithms
from qgis.PyQt.QtCore import QPointF, QSizeF

app = QgsApplication([], False)
app.setPrefixPath("/usr", True)
app.initQgis()
registry = QgsApplication.processingRegistry()
registry.addProvider(QgsNativeAlgorithms(registry))
lib = ctypes.CDLL(sys.argv[1], os.RTLD_LOCAL)
assert lib.musecl_register_provider() == 0
folder = sys.argv[2]

STEP = QSizeF(220, 50)


class Model:
    def __init__(self, name, description):
        self.model = QgsProcessingModelAlgorithm(name, "MuseCL examples")
        self.model.setHelpContent({"ALG_DESC": description})
        self.inputs = 0
        self.steps = 0

    def add_input(self, definition):
        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(QPointF(140, 60 + 80 * self.inputs))
        self.inputs += 1
        self.model.addModelParameter(definition, component)

    def add_step(self, alg_id, child_id, description, sources, outputs=None, row=0):
        """`sources`: parameter name -> a QgsProcessingModelChildParameterSource or a static value.
        Parameters left out take their default; destinations that are no model output stay unset
        (the model writes them to temporary files)."""
        child = QgsProcessingModelChildAlgorithm(alg_id)
        child.setChildId(child_id)
        child.setDescription(description)
        algorithm = registry.algorithmById(alg_id)
        assert algorithm, alg_id
        for definition in algorithm.parameterDefinitions():
            name = definition.name()
            if name in sources:
                value = sources[name]
                source = value if isinstance(value, S) else S.fromStaticValue(value)
            elif isinstance(definition, QgsProcessingDestinationParameter):
                continue
            elif definition.defaultValue() is not None:
                source = S.fromStaticValue(definition.defaultValue())
            else:
                assert definition.flags() & QgsProcessingParameterDefinition.FlagOptional, (alg_id, name)
                continue
            child.addParameterSources(name, [source])
        unknown = set(sources) - {d.name() for d in algorithm.parameterDefinitions()}
        assert not unknown, (alg_id, unknown)
        x = 470 + 280 * self.steps
        y = 90 + 200 * row
        child.setPosition(QPointF(x, y))
        child.setSize(STEP)
        self.steps += 1
        model_outputs = {}
        for k, (out_name, (child_output, text)) in enumerate((outputs or {}).items()):
            output = QgsProcessingModelOutput(out_name)
            output.setChildId(child_id)
            output.setChildOutputName(child_output)
            output.setDescription(text)
            output.setPosition(QPointF(x + 40, y + 80 + 45 * k))
            model_outputs[out_name] = output
        child.setModelOutputs(model_outputs)
        self.model.addChildAlgorithm(child)

    def save(self, file_name):
        ok, problems = self.model.validate()
        assert ok, problems
        assert self.model.toFile(os.path.join(folder, file_name))


def hexagons(model, side_parameter, output=True):
    """The grid; `output`: a model output of its own (otherwise a temporary file between steps)."""
    model.add_step("musecl:hexgrid", "hexgrid", "Hexagonal regions",
                   {"INPUT": S.fromModelParameter("boundary"), "HEX_SIZE": S.fromModelParameter(side_parameter)},
                   {"hexagons": ("OUTPUT", "Hexagons")} if output else None)


def boundary_inputs(model, side_m):
    model.add_input(QgsProcessingParameterVectorLayer("boundary", "Boundary layer", [QgsProcessing.TypeVectorPolygon]))
    model.add_input(QgsProcessingParameterNumber("hexagon_side_m", "Hexagon side length (metres)",
                                                 QgsProcessingParameterNumber.Double, side_m))


def target_and_prediction(model):
    """The target raster's mean per region, then its prediction from the embeddings with a report."""
    model.add_step("native:zonalstatisticsfb", "target", "Target per region",
                   {"INPUT": S.fromChildOutput("train", "OUTPUT"),
                    "INPUT_RASTER": S.fromModelParameter("target_raster"), "COLUMN_PREFIX": "target_",
                    "STATISTICS": [2]})
    model.add_step("musecl:predict", "predict", "Predict the target",
                   {"INPUT": S.fromChildOutput("target", "OUTPUT"), "TARGET": "target_mean", "LOG_TARGET": True,
                    "EVALUATION": 2, "SEED": 42},
                   {"predictions": ("OUTPUT", "Predictions"), "report": ("OUTPUT_REPORT", "Prediction report")})


# 1. Hexagons and their centres.
m = Model("Hexagonal regions and their centres",
          "Builds a MuseCL hexagonal region grid over a boundary layer and the centre point of every hexagon. "
          "Example model for the MuseCL plugin.")
boundary_inputs(m, 500.0)
hexagons(m, "hexagon_side_m")
m.add_step("native:centroids", "centres", "Hexagon centres",
           {"INPUT": S.fromChildOutput("hexgrid", "OUTPUT"), "ALL_PARTS": False},
           {"centres": ("OUTPUT", "Hexagon centres")})
m.save("hexgrid_centres.model3")

# 2. From a boundary to a prediction report, with POIs alone (runs in seconds).
m = Model("From a boundary to a prediction report",
          "Builds hexagonal regions over a boundary, learns region embeddings from POIs, takes the mean of a "
          "target raster per region and predicts it from the embeddings, with an HTML report of spatially blocked "
          "cross-validation. Example model for the MuseCL plugin.")
boundary_inputs(m, 500.0)
m.add_input(QgsProcessingParameterVectorLayer("pois", "POIs (fields 'category', 'name')", [QgsProcessing.TypeVectorPoint]))
m.add_input(QgsProcessingParameterRasterLayer("target_raster", "Target indicator raster"))
hexagons(m, "hexagon_side_m", output=False)
m.add_step("musecl:train", "train", "Region embeddings from POIs",
           {"REGIONS": S.fromChildOutput("hexgrid", "OUTPUT"), "POIS": S.fromModelParameter("pois"),
            "CATEGORY_FIELD": "category", "TEXT_FIELDS": "name", "EMBEDDING_SIZE": 32, "SEED": 42},
           {"model": ("OUTPUT_MODEL", "Trained model")})
target_and_prediction(m)
m.save("boundary_to_report.model3")

# 3. The whole pipeline: every view, prediction and clusters.
m = Model("MuseCL pipeline: regions, embeddings, prediction, clusters",
          "Builds hexagonal regions over a boundary, trains MuseCL region embeddings from a raster, street-view "
          "photos, POIs and flows, takes the mean of a target raster per region, predicts it from the embeddings "
          "with spatially blocked cross-validation, and clusters the regions. Example model for the MuseCL plugin "
          "(light encoders for a quick CPU run).")
boundary_inputs(m, 300.0)
m.add_input(QgsProcessingParameterRasterLayer("satellite", "Remote-sensing raster"))
m.add_input(QgsProcessingParameterVectorLayer("streetview", "Street-view points (path field 'photo')",
                                              [QgsProcessing.TypeVectorPoint]))
m.add_input(QgsProcessingParameterVectorLayer("pois", "POIs (fields 'category', 'name')", [QgsProcessing.TypeVectorPoint]))
m.add_input(QgsProcessingParameterVectorLayer("flows", "OD flow lines (field 'trips')", [QgsProcessing.TypeVectorLine]))
m.add_input(QgsProcessingParameterRasterLayer("target_raster", "Target indicator raster"))
m.add_input(QgsProcessingParameterNumber("image_epochs", "Epochs per image encoder",
                                         QgsProcessingParameterNumber.Integer, 8))
hexagons(m, "hexagon_side_m", output=False)
m.add_step("musecl:train", "train", "Train MuseCL region model",
           {"REGIONS": S.fromChildOutput("hexgrid", "OUTPUT"), "RASTER": S.fromModelParameter("satellite"),
            "CHIP_SIZE": 64, "STREETVIEW": S.fromModelParameter("streetview"), "SV_PATH_FIELD": "photo",
            "POIS": S.fromModelParameter("pois"), "CATEGORY_FIELD": "category", "TEXT_FIELDS": "name",
            "FLOWS": S.fromModelParameter("flows"), "FLOW_TYPE": 0, "WEIGHT_FIELD": "trips", "EMBEDDING_SIZE": 32,
            "IMAGE_EPOCHS": S.fromModelParameter("image_epochs"), "FUSION_EPOCHS": 100, "BATCH_SIZE": 32,
            "RS_BACKBONE": 1, "SV_BACKBONE": 1, "SV_SIZE": 64, "SEED": 42},
           {"model": ("OUTPUT_MODEL", "Trained model"), "embeddings": ("OUTPUT", "Region embeddings")})
target_and_prediction(m)
m.steps -= 1  # clusters beside the prediction, on a second row
m.add_step("musecl:cluster", "cluster", "Region types",
           {"INPUT": S.fromChildOutput("train", "OUTPUT"), "CLUSTERS": 5, "PCA_COMPONENTS": 10, "SEED": 42},
           {"clusters": ("OUTPUT", "Clusters")}, row=1)
m.save("musecl_pipeline.model3")
