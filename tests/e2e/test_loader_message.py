"""The plugin loader's message when the native library cannot be loaded: it must name the problem
(dlopen's own text) and what the plugin needs, instead of a bare ctypes traceback."""
import importlib.util
import os
import shutil
import sys
import tempfile

stage = sys.argv[1]
with tempfile.TemporaryDirectory() as tmp:
    plugin = os.path.join(tmp, "musecl")
    os.mkdir(plugin)
    shutil.copy(os.path.join(stage, "__init__.py"), plugin)
    # A "library" that is not one: dlopen fails with "invalid ELF header".
    with open(os.path.join(plugin, "libmusecl_provider.so"), "w") as f:
        f.write("not a library\n" * 20)
    spec = importlib.util.spec_from_file_location("musecl", os.path.join(plugin, "__init__.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.classFactory(None).initProcessing()
    except RuntimeError as error:
        text = str(error)
        assert "native library could not be loaded" in text, text
        assert "libmusecl_provider.so" in text and "invalid ELF header" in text, text
        assert "QGIS 3.22" in text, text
        print("loader message: " + text)
        sys.exit(0)
    print("no error raised for a broken native library")
    sys.exit(1)
