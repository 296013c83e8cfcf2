"""gilsim's PEP 517 build backend: maturin's, after one check that maturin cannot make.

PyO3 builds no extension for a free-threaded CPython before 3.14, and says so only after
cargo has started compiling. This backend says it first, in one sentence, and names what
works instead.
"""
import sys
import sysconfig

import maturin
from maturin import *  # noqa: F401,F403 (every hook maturin defines)


def _refuse_free_threaded_313():
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    if free_threaded and sys.version_info < (3, 14):
        version = "%d.%dt" % sys.version_info[:2]
        raise SystemExit(
            "gilsim: the Python package cannot be installed into a free-threaded CPython "
            "%s (PyO3 supports free-threaded builds from 3.14); install gilsim into a GIL "
            "build instead and measure this one from there with `gilsim ... --python %s` "
            "(or `--python %s`)" % (version, version, sys.executable)
        )


def get_requires_for_build_wheel(config_settings=None):
    _refuse_free_threaded_313()
    return maturin.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings=None):
    _refuse_free_threaded_313()
    return maturin.get_requires_for_build_editable(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _refuse_free_threaded_313()
    return maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _refuse_free_threaded_313()
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _refuse_free_threaded_313()
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)
