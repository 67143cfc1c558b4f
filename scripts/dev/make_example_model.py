"""Regenerates the example models in examples/models/ (a developer tool, not part of the plugin).

Usage: /usr/bin/python3 scripts/dev/make_example_model.py build/python/plugins/musecl/libmusecl_provider.so examples/models/hexgrid_centres.model3
(also writes examples/models/musecl_pipeline.model3 beside it)
"""
import ctypes, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import (QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm,
    QgsProcessingModelParameter, QgsProcessingModelChildParameterSource, QgsProcessingModelOutput,
    QgsProcessingParameterVectorLayer, QgsProcessingParameterNumber, QgsProcessing, QgsProcessingFeatureSourceDefinition)
from qgis.analysis import QgsNativeAlgorithms
app = QgsApplication([], False); app.setPrefixPath("/usr", True); app.initQgis()
QgsApplication.processingRegistry().addProvider(QgsNativeAlgorithms(QgsApplication.processingRegistry()))
lib = ctypes.CDLL(sys.argv[1], os.RTLD_LOCAL); assert lib.musecl_register_provider() == 0
m = QgsProcessingModelAlgorithm("Hexagonal regions and their centres", "MuseCL examples")
m.setHelpContent({"ALG_DESC": "Builds a MuseCL hexagonal region grid over a boundary layer and the centre point of every hexagon. Example model for the MuseCL plugin."})
p1 = QgsProcessingParameterVectorLayer("boundary", "Boundary layer", [QgsProcessing.TypeVectorPolygon])
m.addModelParameter(p1, QgsProcessingModelParameter("boundary"))
p2 = QgsProcessingParameterNumber("hexagon_side_m", "Hexagon side length (metres)", QgsProcessingParameterNumber.Double, 500.0)
m.addModelParameter(p2, QgsProcessingModelParameter("hexagon_side_m"))
c1 = QgsProcessingModelChildAlgorithm("musecl:hexgrid"); c1.setChildId("musecl"); c1.setDescription("Create hexagonal region grid")
c1.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("boundary")])
c1.addParameterSources("HEX_SIZE", [QgsProcessingModelChildParameterSource.fromModelParameter("hexagon_side_m")])
for name, value in (("COVERAGE", 0), ("MIN_OVERLAP", 0.5), ("CLIP", False), ("MAX_HEXAGONS", 10000000)):
    c1.addParameterSources(name, [QgsProcessingModelChildParameterSource.fromStaticValue(value)])
o1 = QgsProcessingModelOutput("hexagons"); o1.setChildId("musecl"); o1.setChildOutputName("OUTPUT"); o1.setDescription("Hexagons")
c1.setModelOutputs({"hexagons": o1})
m.addChildAlgorithm(c1)
c2 = QgsProcessingModelChildAlgorithm("native:centroids"); c2.setChildId("native"); c2.setDescription("Hexagon centres")
c2.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromChildOutput("musecl", "OUTPUT")])
c2.addParameterSources("ALL_PARTS", [QgsProcessingModelChildParameterSource.fromStaticValue(False)])
o2 = QgsProcessingModelOutput("centres"); o2.setChildId("native"); o2.setChildOutputName("OUTPUT"); o2.setDescription("Hexagon centres")
c2.setModelOutputs({"centres": o2})
m.addChildAlgorithm(c2)
ok, problems = m.validate()
assert ok, problems
assert m.toFile(sys.argv[2])


# The whole MuseCL pipeline as a model: hexagons -> train -> zonal target -> predict -> cluster.
from qgis.core import QgsProcessingParameterRasterLayer, QgsProcessingParameterFileDestination
p = QgsProcessingModelAlgorithm("MuseCL pipeline: regions, embeddings, prediction, clusters", "MuseCL examples")
p.setHelpContent({"ALG_DESC": "Builds hexagonal regions over a boundary, trains MuseCL region embeddings from a raster, street-view photos, POIs and flows, "
                              "takes the mean of a target raster per region, predicts it from the embeddings with spatially blocked cross-validation, "
                              "and clusters the regions. Example model for the MuseCL plugin (light encoders for a quick CPU run)."})
def add_param(definition):
    p.addModelParameter(definition, QgsProcessingModelParameter(definition.name()))
add_param(QgsProcessingParameterVectorLayer("boundary", "Boundary layer", [QgsProcessing.TypeVectorPolygon]))
add_param(QgsProcessingParameterNumber("hexagon_side_m", "Hexagon side length (metres)", QgsProcessingParameterNumber.Double, 300.0))
add_param(QgsProcessingParameterRasterLayer("satellite", "Remote-sensing raster"))
add_param(QgsProcessingParameterVectorLayer("streetview", "Street-view points (path field 'photo')", [QgsProcessing.TypeVectorPoint]))
add_param(QgsProcessingParameterVectorLayer("pois", "POIs (fields 'category', 'name')", [QgsProcessing.TypeVectorPoint]))
add_param(QgsProcessingParameterVectorLayer("flows", "OD flow lines (field 'trips')", [QgsProcessing.TypeVectorLine]))
add_param(QgsProcessingParameterRasterLayer("target_raster", "Target indicator raster"))
add_param(QgsProcessingParameterNumber("image_epochs", "Epochs per image encoder", QgsProcessingParameterNumber.Integer, 8))

def child(alg, cid, description, sources, outputs=None):
    c = QgsProcessingModelChildAlgorithm(alg); c.setChildId(cid); c.setDescription(description)
    for name, source in sources.items():
        c.addParameterSources(name, [source])
    if outputs:
        mo = {}
        for out_name, (child_output, text) in outputs.items():
            o = QgsProcessingModelOutput(out_name); o.setChildId(cid); o.setChildOutputName(child_output); o.setDescription(text)
            mo[out_name] = o
        c.setModelOutputs(mo)
    p.addChildAlgorithm(c)
    return c
S = QgsProcessingModelChildParameterSource
child("musecl:hexgrid", "hexgrid", "Hexagonal regions", {"INPUT": S.fromModelParameter("boundary"), "HEX_SIZE": S.fromModelParameter("hexagon_side_m"),
      "COVERAGE": S.fromStaticValue(0), "MIN_OVERLAP": S.fromStaticValue(0.5), "CLIP": S.fromStaticValue(False), "MAX_HEXAGONS": S.fromStaticValue(10000000)})
train_sources = {"REGIONS": S.fromChildOutput("hexgrid", "OUTPUT"), "RASTER": S.fromModelParameter("satellite"), "CHIP_SIZE": S.fromStaticValue(64),
      "STREETVIEW": S.fromModelParameter("streetview"), "SV_PATH_FIELD": S.fromStaticValue("photo"), "POIS": S.fromModelParameter("pois"),
      "CATEGORY_FIELD": S.fromStaticValue("category"), "TEXT_FIELDS": S.fromStaticValue("name"), "FLOWS": S.fromModelParameter("flows"),
      "FLOW_TYPE": S.fromStaticValue(0), "WEIGHT_FIELD": S.fromStaticValue("trips"), "EMBEDDING_SIZE": S.fromStaticValue(32),
      "IMAGE_EPOCHS": S.fromModelParameter("image_epochs"), "FUSION_EPOCHS": S.fromStaticValue(100), "BATCH_SIZE": S.fromStaticValue(32),
      "LEARNING_RATE": S.fromStaticValue(0.0005), "TRIPLET_LOSS": S.fromStaticValue(0), "MARGIN": S.fromStaticValue(5.0),
      "RS_BACKBONE": S.fromStaticValue(1), "SV_BACKBONE": S.fromStaticValue(1), "SV_SIZE": S.fromStaticValue(64), "SIMILARITY": S.fromStaticValue(0),
      "SEED": S.fromStaticValue(42), "DEVICE": S.fromStaticValue(0), "THREADS": S.fromStaticValue(0)}
child("musecl:train", "train", "Train MuseCL region model", train_sources,
      {"model": ("OUTPUT_MODEL", "Trained model"), "embeddings": ("OUTPUT", "Region embeddings")})
child("native:zonalstatisticsfb", "target", "Target per region", {"INPUT": S.fromChildOutput("train", "OUTPUT"), "INPUT_RASTER": S.fromModelParameter("target_raster"),
      "RASTER_BAND": S.fromStaticValue(1), "COLUMN_PREFIX": S.fromStaticValue("target_"), "STATISTICS": S.fromStaticValue([2])})
child("musecl:predict", "predict", "Predict the target", {"INPUT": S.fromChildOutput("target", "OUTPUT"), "TARGET": S.fromStaticValue("target_mean"),
      "LOG_TARGET": S.fromStaticValue(True), "MODEL": S.fromStaticValue(0), "EVALUATION": S.fromStaticValue(2), "FOLDS": S.fromStaticValue(5),
      "SEED": S.fromStaticValue(42), "THREADS": S.fromStaticValue(0)},
      {"predictions": ("OUTPUT", "Predictions"), "report": ("OUTPUT_REPORT", "Prediction report")})
child("musecl:cluster", "cluster", "Region types", {"INPUT": S.fromChildOutput("train", "OUTPUT"), "CLUSTERS": S.fromStaticValue(5),
      "PCA_COMPONENTS": S.fromStaticValue(10), "SEED": S.fromStaticValue(42)}, {"clusters": ("OUTPUT", "Clusters")})
ok, problems = p.validate()
assert ok, problems
assert p.toFile(sys.argv[2].replace("hexgrid_centres.model3", "musecl_pipeline.model3"))
