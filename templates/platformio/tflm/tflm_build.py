"""PlatformIO extra script (post): compile TensorFlow Lite Micro from the TFLM tree named by
`custom_tflm_dir` as TFLM's release build for cortex_m_generic does, and link it.

Written into the project by fwgen (fwgen.runtime.tflm); every flag, define, include and source
filter comes from the environment's settings file (`custom_tflm_settings`, JSON computed by
fwgen): this script only applies them. It
  - appends TFLM's C++ flags to the project's C++ compiles (PlatformIO has no C++-only flag
    option) and moves C-only flags (-std=gnu11) out of CCFLAGS, which C++ compiles share;
  - adds TFLM's defines and include folders to the project (the generated tflm_model.cc);
  - builds each part of TFLM (framework -Os; kernels and CMSIS-NN -O2) as a static library
    with its own optimisation, from the tree in place (nothing is copied into the project),
    caching the objects in `custom_tflm_object_cache` (the same for every model on a core).
"""
import json
import os
import sys

Import("env", "projenv")  # noqa: F821 (SCons)

tree = env.GetProjectOption("custom_tflm_dir", "")
settings_file = os.path.join(env.subst("$PROJECT_DIR"), env.GetProjectOption("custom_tflm_settings", ""))
if not tree or not os.path.isdir(tree):
    sys.stderr.write("fwgen TFLM build: the TFLM tree %r (custom_tflm_dir) is not a folder: "
                     "rebuild with fwgen build --runtime tflm --tflm-dir DIR\n" % tree)
    env.Exit(1)
with open(settings_file) as f:
    settings = json.load(f)

includes = [os.path.join(tree, d) for d in settings["includes"]]
for e in (env, projenv):
    c_only = [flag for flag in e.get("CCFLAGS", []) if str(flag).startswith("-std=")]
    e.Replace(CCFLAGS=[flag for flag in e.get("CCFLAGS", []) if flag not in c_only])
    e.Append(CFLAGS=c_only, CXXFLAGS=list(settings["cxx_flags"]),
             CPPDEFINES=list(settings["defines"]), CPPPATH=includes)

cpu_flags = list(env.BoardConfig().get("build.fwgen.cpu_flags"))
cache = env.GetProjectOption("custom_tflm_object_cache", "")
libraries = []
for lib in settings["libraries"]:
    lib_env = env.Clone()
    if cache and not env.GetProjectConfig().get("platformio", "build_cache_dir"):
        lib_env.CacheDir(cache)   # PlatformIO's own build_cache_dir, when set, covers them
    lib_env.Replace(CCFLAGS=cpu_flags + list(settings["common_flags"]) + [lib["opt"]],
                    CFLAGS=list(settings["c_flags"]))
    libraries.append(lib_env.BuildLibrary(os.path.join("$BUILD_DIR", "tflm", lib["name"]), tree,
                                          src_filter=lib["filter"]))
# the libraries before the C runtime's, inside the linker's --start-group
env.Prepend(LIBS=libraries)
