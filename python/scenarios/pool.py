"""The study note's Pool.map, parameterised and timed.

Method 1 is the study note's `p = Pool(8); p.map(...); p.close(); p.join()`, method 2 its
`with Pool(8) as p: res = p.map(...)`; both use the study note's f with return values. `work` gives
each item a countdown of that length so the pool can be CPU-bound instead of pure overhead.
Start-up is measured from the Pool() call until the last worker has run its initializer
(each reports time.monotonic(), one clock for all processes on Linux).
"""
import functools
import math
import multiprocessing
import time


def countdown(n):
    while n>0:
        n -= 1


def f(x):
    # The study note's f with return values.
    return x


def f_work(work, x):
    countdown(work)
    return x


def _ready(queue):
    queue.put(time.monotonic())


def default_chunksize(items, workers):
    # Lib/multiprocessing/pool.py: ceil(len / (4 * workers)).
    return max(1, math.ceil(items / (workers * 4))) if items else 0


def run(method, start_method, workers, items, chunksize, work):
    ctx = multiprocessing.get_context(start_method)
    fn = f if work == 0 else functools.partial(f_work, work)
    expected = list(range(items))

    t = time.monotonic()
    sequential = [fn(x) for x in range(items)]
    sequential_s = time.monotonic() - t
    assert sequential == expected

    ready = ctx.SimpleQueue()
    t0 = time.monotonic()
    if method == "close-join":
        p = ctx.Pool(workers, initializer=_ready, initargs=(ready,))
        m0 = time.monotonic()
        res = p.map(fn, list(range(items)), chunksize)
        m1 = time.monotonic()
        p.close()
        p.join()
    else:
        with ctx.Pool(workers, initializer=_ready, initargs=(ready,)) as p:
            m0 = time.monotonic()
            res = p.map(fn, list(range(items)), chunksize)
            m1 = time.monotonic()
    t1 = time.monotonic()

    ready_times = []
    while not ready.empty():
        ready_times.append(ready.get())
    ready.close()
    return {
        "startup_s": (max(ready_times) - t0) if ready_times else None,
        "workers_ready": len(ready_times),
        "map_s": m1 - m0,
        "total_s": t1 - t0,
        "sequential_s": sequential_s,
        "chunksize": chunksize or default_chunksize(items, workers),
        "results_ok": res == expected,
    }
