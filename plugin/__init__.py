"""QGIS loader for the native MuseCL provider.

qgis_process starts only Python-format plugins, so this file exists to load the C++ library that
holds every algorithm and to call its registration entry points. There is no logic here.
"""
import ctypes
import os

_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libmusecl_provider.so")


class MuseclPlugin:
    def __init__(self, iface):
        self._library = None

    def _native(self):
        if self._library is None:
            try:
                self._library = ctypes.CDLL(_LIBRARY, os.RTLD_LOCAL)
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
