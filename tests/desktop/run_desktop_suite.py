"""Runs desktop_suite.py inside the real QGIS application under Xvfb, then renders the prediction
report in headless Chromium.

Usage: run_desktop_suite.py PLUGIN_STAGE_DIR SOURCE_DIR ARTEFACT_DIR

The built plugin folder is installed into a throw-away QGIS profile and enabled there, as the
README's first command installs it. ARTEFACT_DIR keeps every output, screenshot and results.json
after the run. Exits 0 only when every check passed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

stage, source, artefacts = (os.path.abspath(a) for a in sys.argv[1:4])
shutil.rmtree(artefacts, ignore_errors=True)
os.makedirs(artefacts)

with tempfile.TemporaryDirectory(prefix="musecl-desktop-") as profiles:
    default = os.path.join(profiles, "profiles", "default")
    shutil.copytree(stage, os.path.join(default, "python", "plugins", "musecl"),
                    ignore=shutil.ignore_patterns(".libmusecl_provider.*", "__pycache__"))
    shutil.copytree(os.path.join(source, "examples", "models"), os.path.join(default, "processing", "models"))
    os.makedirs(os.path.join(default, "QGIS"))
    with open(os.path.join(default, "QGIS", "QGIS3.ini"), "w") as ini:
        # The plugin enabled as the plugin manager enables it; no first-run tips or news.
        ini.write("[PythonPlugins]\nmusecl=true\nprocessing=true\n\n[qgis]\nshowTips=false\ncheckVersion=false\n")
    env = dict(os.environ, MUSECL_DESKTOP_OUT=artefacts,
               MUSECL_DESKTOP_DATA=os.path.join(source, "data", "synthetic_city"),
               MUSECL_DESKTOP_MODELS=os.path.join(source, "examples", "models"))
    env.pop("QT_QPA_PLATFORM", None)  # a real display (Xvfb), not offscreen
    command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--profiles-path", profiles, "--nologo",
               "--noversioncheck", "--code", os.path.join(source, "tests", "desktop", "desktop_suite.py")]
    with open(os.path.join(artefacts, "qgis.log"), "w") as log:
        # A session of its own, so that a timeout stops xvfb-run, Xvfb and QGIS together.
        qgis = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = qgis.wait(timeout=1500)
        except subprocess.TimeoutExpired:
            os.killpg(qgis.pid, signal.SIGKILL)
            qgis.wait()
            code = "timeout"

results_file = os.path.join(artefacts, "results.json")
if not os.path.exists(results_file):
    sys.exit("the desktop suite wrote no results (QGIS exit: %s); see %s/qgis.log" % (code, artefacts))
with open(results_file) as f:
    results = json.load(f)


def rendered_pixels(png):
    """Pixels that are not white: a blank or failed screenshot has none."""
    from qgis.PyQt.QtGui import QImage
    image = QImage(png)
    step = 4
    return sum(1 for x in range(0, image.width(), step) for y in range(0, image.height(), step)
               if image.pixelColor(x, y).lightness() < 250)


# The report in a real browser: its plot and map are inline SVG, which only a browser draws.
report = os.path.join(artefacts, "report.html")
shot = os.path.join(artefacts, "report_in_chromium.png")
if os.path.exists(report) and shutil.which("chromium"):
    try:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,1800",
                        "--screenshot=" + shot, "file://" + report], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=300)
    except subprocess.TimeoutExpired:
        pass  # no screenshot: the check below fails and says so
    with open(report, encoding="utf-8") as f:
        html = f.read()
    results.append({"check": "the report renders in Chromium", "ok": os.path.exists(shot) and
                    rendered_pixels(shot) > 2000, "detail": shot})
    results.append({"check": "the report gives both scales", "ok": "Scores in the units of pop_mean" in html and
                    "Scores on the modelling scale" in html, "detail": ""})
else:
    results.append({"check": "the report renders in Chromium", "ok": False,
                    "detail": "no report" if not os.path.exists(report) else "chromium is not installed"})

for name in sorted(f for f in os.listdir(artefacts) if f.startswith(("map_", "dialog_", "modeler_"))):
    results.append({"check": "screenshot %s shows something" % name,
                    "ok": rendered_pixels(os.path.join(artefacts, name)) > 200, "detail": ""})

failed = [r for r in results if not r["ok"]]
for r in results:
    print("%s %s%s" % ("ok  " if r["ok"] else "FAIL", r["check"], "" if r["ok"] else "\n     " + r["detail"]))
print("%d checks, %d failed; artefacts in %s" % (len(results), len(failed), artefacts))
sys.exit(1 if failed or code == "timeout" else 0)
