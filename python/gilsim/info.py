"""Describe the embedded interpreter for `gilsim doctor` and the `host` block of every report."""
import multiprocessing
import os
import platform
import sys
import sysconfig


def stdlib_libpython():
    # The standard library's own record of the libpython it was built with: if the loader
    # mapped a different file, library and stdlib may be different micro versions.
    libdir = sysconfig.get_config_var("LIBDIR")
    soname = sysconfig.get_config_var("INSTSONAME")
    if not libdir or not soname:
        return None
    return os.path.realpath(os.path.join(libdir, soname))


def describe(libpython):
    gil_check = getattr(sys, "_is_gil_enabled", None)
    return {
        "version": platform.python_version(),
        "sys_version": sys.version,
        "implementation": platform.python_implementation(),
        "prefix": sys.prefix,
        "executable": sys.executable,
        "libpython": os.path.realpath(libpython) if libpython else None,
        "stdlib_libpython": stdlib_libpython(),
        "stdlib_dir": os.path.dirname(os.__file__),
        "gil_enabled": bool(gil_check()) if gil_check else True,
        "switch_interval_s": sys.getswitchinterval(),
        "start_methods": multiprocessing.get_all_start_methods(),
        "default_start_method": multiprocessing.get_start_method(allow_none=False),
        "cpu_count": len(os.sched_getaffinity(0)),
    }
