"""The plugin zip through QGIS's own plugin-installer code path (pyplugin_installer, the code behind
"Install from ZIP" in the plugin manager), in a throw-away profile:

1. an older release (the same zip relabelled 0.0.1, with a file the new release no longer ships) is
   installed and started;
2. the new zip is installed over it: the old file is gone, metadata says the new version, and the
   provider is registered in this QGIS;
3. qgis_process, pointed at the same profile, lists the provider;
4. the installer's uninstall leaves nothing in the profile's plugin folder.

Usage: test_zip_install.py PLUGIN_ZIP
"""
import os
import subprocess
import sys
import tempfile
import zipfile
from unittest import mock

new_zip = os.path.abspath(sys.argv[1])
work = tempfile.TemporaryDirectory()  # removed at exit with the profile
config = os.path.join(work.name, "config")
os.environ["QGIS_CUSTOM_CONFIG_PATH"] = config
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.PyQt.QtCore import QCoreApplication, QSettings  # noqa: E402  (after the environment)
from qgis.core import QgsApplication  # noqa: E402
import qgis.utils  # noqa: E402

app = QgsApplication([], True)
app.initQgis()
profile = QgsApplication.qgisSettingsDirPath()
assert profile.startswith(config), profile
plugins_dir = os.path.join(profile, "python", "plugins")
# Settings where the desktop keeps them (the profile's QGIS/QGIS3.ini), so that the installer's
# "PythonPlugins/musecl = true" is what qgis_process reads below, and nothing lands in ~/.config.
QCoreApplication.setOrganizationName("QGIS")
QCoreApplication.setApplicationName("QGIS3")
QSettings.setDefaultFormat(QSettings.IniFormat)
QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, profile)
# What QGIS's Python start-up sets in a desktop session; a standalone application sets it itself.
qgis.utils.home_plugin_path = plugins_dir
qgis.utils.plugin_paths = [plugins_dir]
sys.path.insert(0, plugins_dir)
# The installer reports through iface's plugin-manager message bar; record what it says.
qgis.utils.iface = mock.Mock()
messages = []
qgis.utils.iface.pluginManagerInterface().pushMessage.side_effect = lambda m, level: messages.append(m)
# QGIS's own Python modules (pyplugin_installer among them), as the desktop puts them on sys.path.
sys.path.insert(0, os.path.join(QgsApplication.pkgDataPath(), "python"))
from pyplugin_installer.installer import QgsPluginInstaller  # noqa: E402  (reads qgis.utils.iface)

installer = QgsPluginInstaller()
plugin_dir = os.path.join(plugins_dir, "musecl")


def fail(text):
    print("FAILED: " + text)
    print("installer messages: %s" % messages)
    sys.exit(1)


def installed_version():
    with open(os.path.join(plugin_dir, "metadata.txt")) as f:
        return next(line.split("=", 1)[1].strip() for line in f if line.startswith("version="))


def provider_registered():
    return QgsApplication.processingRegistry().providerById("musecl") is not None


# 1. The "older release": the real zip with version 0.0.1 and one file that 0.1.0 does not ship.
old_zip = os.path.join(work.name, "musecl-0.0.1.zip")
with zipfile.ZipFile(new_zip) as src, zipfile.ZipFile(old_zip, "w", zipfile.ZIP_DEFLATED) as dst:
    names = src.namelist()
    for name in names:
        data = src.read(name)
        if name == "musecl/metadata.txt":
            text = data.decode()
            new_version = next(l.split("=", 1)[1].strip() for l in text.splitlines() if l.startswith("version="))
            data = text.replace("version=" + new_version, "version=0.0.1").encode()
        dst.writestr(name, data)
    dst.writestr("musecl/obsolete_in_new_release.txt", "shipped only by 0.0.1\n")
for required in ("musecl/metadata.txt", "musecl/__init__.py", "musecl/libmusecl_provider.so",
                 "musecl/icons/musecl.svg"):
    if required not in names:
        fail("%s is not in %s" % (required, new_zip))

installer.installFromZipFile(old_zip)
if not os.path.isfile(os.path.join(plugin_dir, "obsolete_in_new_release.txt")):
    fail("the older zip was not installed into %s" % plugins_dir)
if installed_version() != "0.0.1" or not provider_registered():
    fail("the older release is not installed and started (version %s)" % installed_version())
print("==> installed 0.0.1 through the plugin installer; provider registered")

# 2. Upgrade: the new zip over the old one.
installer.installFromZipFile(new_zip)
if installed_version() != new_version:
    fail("after the upgrade metadata.txt says %s, not %s" % (installed_version(), new_version))
if os.path.exists(os.path.join(plugin_dir, "obsolete_in_new_release.txt")):
    fail("the upgrade left the older release's file behind")
if not provider_registered():
    fail("the provider is not registered after the upgrade")
leftovers = [f for f in os.listdir(plugin_dir) if f.startswith(".libmusecl_provider")]
if leftovers:
    fail("the loader's private copies of the native library are left in the folder: %s" % leftovers)
if not any("installed successfully" in m for m in messages):
    fail("the installer did not report success")
print("==> upgraded to %s; the older release's file is gone; provider registered" % new_version)

# 3. qgis_process with the same profile: the installer enabled the plugin in that profile's settings.
env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=config)
listing = subprocess.run(["/usr/bin/qgis_process.bin", "list"], env=env, capture_output=True,
                         text=True, timeout=300)
if "musecl:hexgrid" not in listing.stdout:
    fail("qgis_process does not list the zip-installed provider:\n" + listing.stdout[-2000:] +
         listing.stderr[-2000:])
print("==> qgis_process lists the provider installed from the zip")

# 4. Uninstall through the installer (quiet: no confirmation dialog).
installer.uninstallPlugin("musecl", quiet=True)
if os.path.exists(plugin_dir) or provider_registered():
    fail("uninstall left %s or the provider behind" % plugin_dir)
print("==> uninstalled; nothing left in %s" % plugins_dir)
app.exitQgis()
work.cleanup()
