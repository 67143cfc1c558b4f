"""QGIS loader for the native MuseCL provider.

qgis_process starts only Python-format plugins, so this file exists to load the C++ library that
holds every algorithm and to call its registration entry points. Its only logic is how that
library is opened (_open_library).
"""
import ctypes
import os
import shutil
import tempfile
import time

_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libmusecl_provider.so")


def _remove_orphaned_copies(folder):
    """A process killed between copying and loading leaves its copy; loading takes seconds, so a
    copy an hour old belongs to no live process."""
    for name in os.listdir(folder):
        if name.startswith(".libmusecl_provider."):
            path = os.path.join(folder, name)
            try:
                if time.time() - os.path.getmtime(path) > 3600:
                    os.unlink(path)
            except OSError:
                pass  # removed by another process meanwhile


def _open_library():
    """dlopen a private copy of the native library when the plugin folder is writable.

    QGIS's plugin installer upgrades a plugin by extracting the new zip over the old folder, writing
    into the existing files: a library that this process has mapped would change under it and crash
    QGIS (it does, in the zip upgrade test). So a user-installed plugin maps a hidden copy that is
    unlinked as soon as it is loaded; the folder's file is then free to be replaced. A package
    manager's folder (the .deb's system-wide install under /usr) or a read-only one is loaded in
    place: dpkg replaces files by rename, and nothing is ever written into its folders.
    """
    folder = os.path.dirname(_LIBRARY)
    if os.access(folder, os.W_OK) and not folder.startswith(("/usr/", "/opt/")):
        _remove_orphaned_copies(folder)
        try:
            fd, shadow = tempfile.mkstemp(prefix=".libmusecl_provider.", suffix=".so", dir=folder)
        except OSError:
            fd = None  # cannot write after all: load in place
        if fd is not None:
            try:
                with os.fdopen(fd, "wb") as out, open(_LIBRARY, "rb") as src:
                    shutil.copyfileobj(src, out)
                return ctypes.CDLL(shadow, os.RTLD_LOCAL)
            except OSError:
                pass  # e.g. disk full while copying: load in place below, which names any dlopen error
            finally:
                os.unlink(shadow)
    return ctypes.CDLL(_LIBRARY, os.RTLD_LOCAL)


class MuseclPlugin:
    def __init__(self, iface):
        self._library = None

    def _native(self):
        if self._library is None:
            try:
                self._library = _open_library()
            except OSError as error:
                # dlopen's text names the missing file or library (e.g. "libtorch_cpu.so: cannot
                # open shared object file"); say what that means for a plugin user.
                raise RuntimeError(
                    "MuseCL: its native library could not be loaded (%s). The plugin is compiled "
                    "for one QGIS and system: it needs QGIS 3.22 with Debian 12's LibTorch, GDAL and "
                    "OpenCV runtime packages (install the musecl-qgis .deb, or build from source "
                    "with 'make install')." % error) from None
            self._library.musecl_register_provider.restype = ctypes.c_int
        return self._library

    def initProcessing(self):
        status = self._native().musecl_register_provider()
        if status != 0:
            raise RuntimeError("MuseCL: the native provider could not be registered (code %d)" % status)

    def initGui(self):
        self.initProcessing()

    def unload(self):
        if self._library is not None:
            self._library.musecl_unregister_provider()


def classFactory(iface):
    return MuseclPlugin(iface)
