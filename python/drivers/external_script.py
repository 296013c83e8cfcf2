# gilsim run --python: the script as __main__ between gilsim's handshakes (Python 2.7 and 3.x).
import os, sys, atexit
_gilsim_fd = int(os.environ.pop("GILSIM_SYNC_FD"))
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
