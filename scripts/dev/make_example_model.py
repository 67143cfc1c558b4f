"""Regenerates examples/models/hexgrid_centres.model3 (a developer tool, not part of the plugin).

Usage: /usr/bin/python3 scripts/dev/make_example_model.py build/python/plugins/musecl/libmusecl_provider.so examples/models/hexgrid_centres.model3
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
