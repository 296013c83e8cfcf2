# gilsim lab c-code: hashing (which releases the GIL) vs counting down, on 1, 2 and 4 threads.
import hashlib, json, sys, threading, time
size_mb, buffers, count, repeat = [int(a) for a in sys.argv[1:5]]
data = b"x" * (size_mb << 20)
def hash_some(k):
    for _ in range(k):
        hashlib.sha256(data).digest()
def countdown(n):
    while n>0:
        n -= 1
def timed(target, total, workers):
    shares = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]
    ts = [threading.Thread(target=target, args=(s,)) for s in shares]
    t0 = time.perf_counter()
    for t in ts: t.start()
    for t in ts: t.join()
    return time.perf_counter() - t0
runs = {}
for _ in range(repeat):
    for w in (1, 2, 4):
        runs.setdefault("hash_%d" % w, []).append(timed(hash_some, buffers, w))
    for w in (1, 2):
        runs.setdefault("countdown_%d" % w, []).append(timed(countdown, count, w))
print(json.dumps(runs))
