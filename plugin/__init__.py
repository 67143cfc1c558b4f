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
            self._library = ctypes.CDLL(_LIBRARY, os.RTLD_LOCAL)
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
