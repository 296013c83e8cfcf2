"""Two threads spinning in pure Python; after WAIT seconds, optionally import MODULE; then spin
on for MORE seconds. On a free-threaded build, importing an extension module that does not
declare Py_mod_gil turns the GIL on (with a RuntimeWarning): `gilsim watch --pid` sees when.

    python3.13t spin_then_import.py WAIT [MODULE|-] MORE
"""
import importlib
import sys
import threading
import time

done = False


def spin():
    n = 0
    while not done:
        n += 1


threads = [threading.Thread(target=spin) for _ in range(2)]
for t in threads:
    t.start()
time.sleep(float(sys.argv[1]))
if sys.argv[2] != "-":
    importlib.import_module(sys.argv[2])
time.sleep(float(sys.argv[3]))
done = True
for t in threads:
    t.join()
