"""The study note's countdown, parameterised: `count` split evenly over `workers` threads or processes.

Loaded by the gilsim worker process; `run_threads` / `run_processes` are called from Rust, which
times the call and reads the process tree's CPU time around it. Each thread reports its own
CPU time and context switches (getrusage(RUSAGE_THREAD)) just before it ends, because an
exited thread's counters can no longer be read.
"""
import multiprocessing
import resource
import threading

try:
    # gilsim's host module: tells the GIL instrumentation which thread state is whose.
    import _gilsim
except ImportError:  # run outside gilsim
    _gilsim = None


def countdown(n):
    # The study note's loop, unchanged.
    while n>0:
        n -= 1


def split(count, workers):
    """Shares that add up to exactly `count` (the study note uses COUNT//2 twice)."""
    base, extra = divmod(count, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


def _thread_usage(name):
    ru = resource.getrusage(resource.RUSAGE_THREAD)
    return {
        "name": name,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "voluntary": ru.ru_nvcsw,
        "involuntary": ru.ru_nivcsw,
    }


def run_threads(count, workers):
    shares = split(count, workers)
    if workers == 1:
        # The study note's single-thread script: countdown(COUNT) in the main thread.
        if _gilsim:
            _gilsim.register_thread("MainThread")
        before = _thread_usage("MainThread")
        countdown(shares[0])
        after = _thread_usage("MainThread")
        if _gilsim:
            _gilsim.thread_done()
        for key in ("cpu_s", "user_s", "sys_s", "voluntary", "involuntary"):
            after[key] -= before[key]
        return [after]

    threads = [_CountdownThread(n) for n in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [t.usage for t in threads]


class _CountdownThread(threading.Thread):
    """A thread running countdown(n), as the study note's Thread(target=countdown, args=(n,)) does,
    that also reads its own CPU time before it ends. Named Thread-N like the study note's threads."""

    def __init__(self, n):
        super().__init__()
        self.n = n
        self.usage = None

    def run(self):
        if _gilsim:
            _gilsim.register_thread(self.name)
        countdown(self.n)
        self.usage = _thread_usage(self.name)
        if _gilsim:
            _gilsim.thread_done()


def _subinterpreters():
    """CPython's own module for subinterpreters: `_interpreters` (3.13+) or
    `_xxsubinterpreters` (3.12)."""
    try:
        import _interpreters as module
    except ImportError:
        try:
            import _xxsubinterpreters as module
        except ImportError:
            raise RuntimeError("this CPython has no subinterpreters with their own GIL (3.12+)")
    return module


def _isolated(module):
    """A subinterpreter with its own GIL (3.13: config "isolated"; 3.12: isolated=True)."""
    try:
        return module.create("isolated")
    except TypeError:
        return module.create(isolated=True)


# The study note's function, so that `n` is a local variable as in the threads' runs.
_COUNTDOWN_SOURCE = "def countdown(n):\n    while n>0:\n        n -= 1\ncountdown(%d)\n"


def run_subinterpreters(count, workers):
    """`workers` subinterpreters, each with its own GIL, each running its share of the
    countdown on a thread of its own; creating and destroying them is part of the run."""
    module = _subinterpreters()
    ids = [_isolated(module) for _ in range(workers)]
    usages = [None] * workers

    def run(i, n):
        module.run_string(ids[i], _COUNTDOWN_SOURCE % n)
        usages[i] = _thread_usage("subinterpreter-%d" % (i + 1))

    threads = [threading.Thread(target=run, args=(i, n)) for i, n in enumerate(split(count, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in ids:
        module.destroy(i)
    if None in usages:
        raise RuntimeError("a subinterpreter failed to run the countdown")
    return usages


def run_processes(count, workers, start_method):
    ctx = multiprocessing.get_context(start_method)
    procs = [ctx.Process(target=countdown, args=(n,)) for n in split(count, workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"countdown process exited with code(s) {failed}")
    return []
