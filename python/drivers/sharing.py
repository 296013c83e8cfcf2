# gilsim sharing: N threads each doing ITERATIONS operations of one WORKLOAD, on an object of
# its own or on one object they all share; prints one JSON line with the wall time between the
# threads' start line and the last thread's end, and the process's CPU time over the same span.
#
#   python sharing.py WORKLOAD own|shared THREADS ITERATIONS
#
# Workloads: list-append (list.append, then cleared every 1000 items), dict-update (d[k] = v
# over 1000 keys), attr-bump (o.n += 1 on a plain object), read-global (reading one
# module-level object's attribute: a shared read).
import json
import sys
import threading
import time


class Box(object):
    def __init__(self):
        self.n = 0


GLOBAL = Box()


def list_append(target, n):
    for i in range(n):
        target.append(i)
        if len(target) >= 1000:
            target.clear()


def dict_update(target, n):
    for i in range(n):
        target[i % 1000] = i


def attr_bump(target, n):
    for _ in range(n):
        target.n += 1


def read_global(target, n):
    total = 0
    for _ in range(n):
        total += GLOBAL.n
    return total


WORKLOADS = {
    "list-append": (list_append, list),
    "dict-update": (dict_update, dict),
    "attr-bump": (attr_bump, Box),
    "read-global": (read_global, Box),
}


def main():
    workload, sharing, threads, iterations = sys.argv[1:5]
    threads, iterations = int(threads), int(iterations)
    work, make = WORKLOADS[workload]
    shared = make()
    targets = [shared if sharing == "shared" else make() for _ in range(threads)]
    start = threading.Barrier(threads + 1)

    def run(target):
        start.wait()
        work(target, iterations)

    pool = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in pool:
        t.start()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    start.wait()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "gil_enabled": gil}))


main()
