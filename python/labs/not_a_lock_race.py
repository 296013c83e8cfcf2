# gilsim lab not-a-lock: 4 threads incrementing one counter, with and without a Lock.
import json, sys, threading
n, runs = int(sys.argv[1]), int(sys.argv[2])
sys.setswitchinterval(1e-6)
counter = 0
lock = threading.Lock()
def increment(v):
    return v + 1
def plus_equals():
    global counter
    for _ in range(n):
        counter += 1
def read_call_write():
    global counter
    for _ in range(n):
        value = counter
        counter = increment(value)
def locked():
    global counter
    for _ in range(n):
        with lock:
            value = counter
            counter = increment(value)
out = {}
for _ in range(runs):
    for name, f in (("plus_equals", plus_equals), ("read_call_write", read_call_write), ("locked", locked)):
        counter = 0
        ts = [threading.Thread(target=f) for _ in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        out.setdefault(name, []).append(100.0 * (4 * n - counter) / (4 * n))
print(json.dumps(out))
