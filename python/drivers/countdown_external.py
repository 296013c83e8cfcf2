# gilsim's countdown under another interpreter (Python 2.7 and 3.x): prints the timed wall.
import sys, time
from threading import Thread
def countdown(n):
    while n>0:
        n -= 1
count, workers, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
interval = sys.argv[4] if len(sys.argv) > 4 else ""
handshake = len(sys.argv) > 5 and sys.argv[5] == "handshake"
shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
if mode == "subinterpreters":
    try:
        import _interpreters as subinterpreters
    except ImportError:
        import _xxsubinterpreters as subinterpreters
    def isolated():
        try:
            return subinterpreters.create("isolated")
        except TypeError:
            return subinterpreters.create(isolated=True)
    source = "def countdown(n):\n    while n>0:\n        n -= 1\ncountdown(%d)\n"
if mode == "processes":
    import multiprocessing
    ctx = multiprocessing.get_context("fork") if hasattr(multiprocessing, "get_context") else multiprocessing
if interval and hasattr(sys, "setswitchinterval"):
    sys.setswitchinterval(float(interval))
if handshake:
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
t0 = time.time()
if workers == 1 and mode == "threads":
    countdown(count)
elif mode == "threads":
    ts = [Thread(target=countdown, args=(n,)) for n in shares]
    for t in ts: t.start()
    for t in ts: t.join()
elif mode == "subinterpreters":
    ids = [isolated() for n in shares]
    ts = [Thread(target=subinterpreters.run_string, args=(i, source % n)) for i, n in zip(ids, shares)]
    for t in ts: t.start()
    for t in ts: t.join()
    for i in ids: subinterpreters.destroy(i)
else:
    ps = [ctx.Process(target=countdown, args=(n,)) for n in shares]
    for p in ps: p.start()
    for p in ps: p.join()
sys.stdout.write("%r\n" % (time.time() - t0))
sys.stdout.flush()
if handshake:
    sys.stdin.read()
