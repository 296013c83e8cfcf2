"""Short countdown segments for the alternating validation (`simulate --validate`).

A `Crew` starts its threads once and parks them on an event between segments, so thread
start-up stays out of every timed segment. Every setting, one thread included, counts in the
crew while the main thread waits, as it waits in `join`: the reference and the point run in the
same threads. A lone thread can be pinned to one CPU (virtual CPUs differ in speed). Written for
Python 2.7 and 3: it needs only `os`, `threading`, `time` and `resource`.
"""
import os
import resource
import sys
import threading
import time

try:
    _clock = time.perf_counter
except AttributeError:  # Python 2.7
    _clock = time.time


def countdown(n):
    # The study note's loop, unchanged.
    while n>0:
        n -= 1


def _cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _affinity():
    """The CPUs this thread may run on (None where neither os nor libc can say)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    try:  # Python 2.7: libc through ctypes
        import ctypes
        mask = ctypes.create_string_buffer(128)
        if ctypes.CDLL(None).sched_getaffinity(0, 128, mask) != 0:
            return None
        raw = bytearray(mask.raw)
        return [8 * i + b for i in range(128) for b in range(8) if raw[i] >> b & 1]
    except Exception:
        return None


def _set_affinity(cpus):
    """Pins the calling thread to `cpus`."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)
        return
    import ctypes
    raw = bytearray(128)
    for c in cpus:
        raw[c // 8] |= 1 << (c % 8)
    ctypes.CDLL(None).sched_setaffinity(0, 128, ctypes.create_string_buffer(bytes(raw), 128))


def set_interval(seconds):
    if hasattr(sys, "setswitchinterval"):
        sys.setswitchinterval(seconds)


class Crew(object):
    def __init__(self, threads):
        self.shares = [0] * threads
        self.pins = [None] * threads
        self.go = [threading.Event() for _ in range(threads)]
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.left = 0
        self.threads = []
        for i in range(threads):
            t = threading.Thread(target=self._work, args=(i,), name="count-%d" % (i + 1))
            t.daemon = True
            t.start()
            self.threads.append(t)

    def _work(self, i):
        allowed = _affinity()
        while True:
            self.go[i].wait()
            self.go[i].clear()
            n = self.shares[i]
            if n < 0:
                return
            pin = self.pins[i] if allowed else None
            if pin is not None:
                _set_affinity([pin])
            countdown(n)
            if pin is not None:
                _set_affinity(allowed)
            with self.lock:
                self.left -= 1
                if self.left == 0:
                    self.done.set()

    def segment(self, threads, count, interval, cpu=None):
        """Counts `count` split over the crew's first `threads` threads at this switch interval,
        the first pinned to `cpu` if given, while this thread waits: (wall, CPU) seconds."""
        set_interval(interval)
        base, extra = divmod(count, threads)
        self.done.clear()
        self.left = threads
        for i in range(threads):
            self.shares[i] = base + (1 if i < extra else 0)
            self.pins[i] = cpu if i == 0 else None
        cpu_before, start = _cpu(), _clock()
        for i in range(threads):
            self.go[i].set()
        self.done.wait()
        return _clock() - start, _cpu() - cpu_before

    def close(self):
        for i, t in enumerate(self.threads):
            self.shares[i] = -1
            self.go[i].set()
        for t in self.threads:
            t.join()


def main(argv):
    """Alternating pairs for an outside interpreter: `REFERENCE_THREADS POINT_THREADS COUNT PAIRS
    SEED`. Prints one JSON line per segment after a warm-up pair (no hand-offs: they are read
    only inside gilsim's own interpreter)."""
    import json
    import random
    reference, point, count, pairs, seed = [int(a) for a in argv[:5]]
    crew = Crew(max(reference, point))
    cpus = _affinity() or [None]
    rng = random.Random(seed)

    def run(threads):
        if threads > 1 or len(cpus) < 2:
            return crew.segment(threads, count, 0.005)
        runs = [crew.segment(threads, count, 0.005, c) for c in cpus]
        return (sum(r[0] for r in runs) / len(runs), sum(r[1] for r in runs) / len(runs))

    for pair in range(pairs + 1):
        order = [False, True]
        rng.shuffle(order)
        for is_point in order:
            wall, cpu = run(point if is_point else reference)
            if pair > 0:
                sys.stdout.write(json.dumps({"pair": pair - 1, "point": is_point,
                                             "wall_s": wall, "cpu_s": cpu}) + "\n")
                sys.stdout.flush()
    crew.close()


if __name__ == "__main__":
    main(sys.argv[1:])
