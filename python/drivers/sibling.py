# gilsim watch: a sibling process of the watched build, holding the GIL in a known way.
import sys
v = sys.version_info
if v < (3, 9):
    sys.stdout.write("gilsim-sibling %d %d\n" % (v[0], v[1]))
    sys.stdout.flush()
    sys.exit(0)
import ctypes, threading, time
ctypes.pythonapi.PyThreadState_Get.restype = ctypes.c_void_p
me = ctypes.pythonapi.PyThreadState_Get()
sys.stdout.write("gilsim-sibling %d %d %d %d %d\n"
                 % (v[0], v[1], me, threading.get_native_id(), threading.get_ident()))
sys.stdout.flush()
while True:
    line = sys.stdin.readline()
    if not line:
        break
    command, argument = line.split()
    if command == "interval":
        sys.setswitchinterval(float(argument))
        reply = "%d" % round(sys.getswitchinterval() * 1e6)
    else:
        sys.stdout.write("holding\n")
        sys.stdout.flush()
        end = time.monotonic() + float(argument)
        while time.monotonic() < end:
            pass
        reply = "done"
    sys.stdout.write(reply + "\n")
    sys.stdout.flush()
