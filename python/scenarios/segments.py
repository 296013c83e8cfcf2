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
        allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        while True:
            self.go[i].wait()
            self.go[i].clear()
            n = self.shares[i]
            if n < 0:
                return
            pin = self.pins[i]
            if pin is not None:
                os.sched_setaffinity(0, [pin])
            countdown(n)
            if pin is not None:
                os.sched_setaffinity(0, allowed)
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
