"""The plugin loader's message when the native library cannot be loaded: it must name the problem
(dlopen's own text) and what the plugin needs, instead of a bare ctypes traceback. Two causes:
a file that is not a library (a damaged download), and a library whose runtime dependency is
missing (the zip on a system without Debian's LibTorch, or with another QGIS): here a real shared
library built for the test, linked against a library that is then deleted."""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

stage = sys.argv[1]


def loader_message(tmp, make_library):
    plugin = os.path.join(tmp, "musecl")
    os.mkdir(plugin)
    shutil.copy(os.path.join(stage, "__init__.py"), plugin)
    make_library(os.path.join(plugin, "libmusecl_provider.so"))
    spec = importlib.util.spec_from_file_location("musecl_under_test", os.path.join(plugin, "__init__.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.classFactory(None).initProcessing()
    except RuntimeError as error:
        text = str(error)
        assert "native library could not be loaded" in text, text
        assert "QGIS 3.22" in text, text
        print("loader message: " + text)
        return text
    print("no error raised for a native library that cannot be loaded")
    sys.exit(1)


def not_a_library(path):
    with open(path, "w") as f:
        f.write("not a library\n" * 20)


def library_with_missing_dependency(path):
    folder = os.path.dirname(path)
    for name, body in (("dependency.c", "int musecl_dependency(void) { return 1; }\n"),
                       ("provider.c", "int musecl_dependency(void);\n"
                                      "int musecl_register_provider(void) { return musecl_dependency() - 1; }\n")):
        with open(os.path.join(folder, name), "w") as f:
            f.write(body)
    dependency = os.path.join(folder, "libmusecl_absent_dependency.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", dependency, os.path.join(folder, "dependency.c")], check=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", path, os.path.join(folder, "provider.c"),
                    "-L" + folder, "-lmusecl_absent_dependency"], check=True)
    os.unlink(dependency)  # now dlopen cannot resolve the library's NEEDED entry


with tempfile.TemporaryDirectory() as tmp:
    text = loader_message(tmp, not_a_library)
    assert "libmusecl_provider.so" in text and "invalid ELF header" in text, text
with tempfile.TemporaryDirectory() as tmp:
    text = loader_message(tmp, library_with_missing_dependency)
    assert "libmusecl_absent_dependency.so: cannot open shared object file" in text, text
sys.exit(0)
