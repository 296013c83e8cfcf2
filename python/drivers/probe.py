# gilsim interpreters: one JSON line describing the interpreter that runs this (2.7 and 3.x).
import json, platform, sys
try:
    import sysconfig
    cv = sysconfig.get_config_var
except ImportError:
    from distutils import sysconfig as _s
    cv = _s.get_config_var
own_gil = False
if sys.version_info >= (3, 12):
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            __import__(name)
            own_gil = True
            break
        except ImportError:
            pass
print(json.dumps({
    "version": platform.python_version(),
    "implementation": platform.python_implementation(),
    "executable": sys.executable,
    "prefix": sys.prefix,
    "shared": bool(cv("Py_ENABLE_SHARED")),
    "gil_disabled": bool(cv("Py_GIL_DISABLED")),
    "subinterpreters": own_gil,
}))
