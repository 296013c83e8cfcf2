# gilsim run --python: the script as __main__ between gilsim's handshakes (Python 2.7 and 3.x).
import os, sys, atexit
_gilsim_fd = int(os.environ.pop("GILSIM_SYNC_FD"))
# Under gilsim profile SCRIPT: say our pid, then wait (at most 60 s) until the profiler has
# attached, so that it sees the script from its first line.
_gilsim_hold = os.environ.pop("GILSIM_HOLD", None)
if _gilsim_hold:
    import time
    with open(os.path.join(_gilsim_hold, "pid.tmp"), "w") as _f:
        _f.write(str(os.getpid()))
    os.rename(os.path.join(_gilsim_hold, "pid.tmp"), os.path.join(_gilsim_hold, "pid"))
    _until = time.time() + 60
    while not os.path.exists(os.path.join(_gilsim_hold, "go")) and time.time() < _until:
        time.sleep(0.001)
if hasattr(os, "set_inheritable"):
    os.set_inheritable(_gilsim_fd, False)
os.write(_gilsim_fd, b"r")
os.read(_gilsim_fd, 1)
def _gilsim_done():
    try:
        os.write(_gilsim_fd, b"d")
        os.read(_gilsim_fd, 1)
    except OSError:
        pass
atexit.register(_gilsim_done)
del sys.argv[0]
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
import runpy
runpy.run_path(sys.argv[0], run_name="__main__")
