"""One `gilsim scale` trial: FUNC from FILE called once per input, serially or on a runtime
(threads, processes, subinterpreters) with some workers, timed, and its results compared with
the serial run's.

    scale_driver.py FILE FUNC INPUTS_KIND INPUTS RUNTIME WORKERS START_METHOD REFERENCE OUT

INPUTS_KIND is `expr` (INPUTS is a Python expression, evaluated with the module's names) or
`from` (INPUTS is FILE:NAME, an iterable or a function returning one). REFERENCE is the file
holding the serial run's pickled results: the serial runtime writes it, the others compare
with it. OUT receives one JSON object. gilsim imports it as a module (`cli()`), so that processes
started with spawn or forkserver find its worker functions by name.
"""
import importlib
import json
import os
import pickle
import resource
import sys
import tempfile
import threading
import time
import traceback


def user_traceback():
    """The current exception's traceback without this driver's own frames."""
    kind, value, tb = sys.exc_info()
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != here]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames) + traceback.format_exception_only(kind, value)
    return "".join(lines)


def serial(fn, inputs):
    """FUNC over the inputs in order; an exception names the input it came from."""
    results = []
    for i, x in enumerate(inputs):
        try:
            results.append(fn(x))
        except BaseException:
            raise InputError(i)
    return results


class InputError(Exception):
    """FUNC raised on input number `index` (the original exception is its context)."""

    def __init__(self, index):
        Exception.__init__(self, index)
        self.index = index


def cpu_s():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load(path, name):
    """The module at `path`, imported under its own name (its `__main__` block not run), with
    its directory first on sys.path as when a user runs it."""
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    module_name = os.path.splitext(os.path.basename(path))[0]
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
        raise LookupError("%s has no %s" % (path, name))
    return module, getattr(module, name)


def inputs_of(kind, spec, module):
    if kind == "expr":
        value = eval(spec, dict(vars(module)))
    else:
        path, name = spec.rsplit(":", 1)
        _, value = load(path, name)
    if callable(value):
        value = value()
    return list(value)


def split(items, workers):
    """Contiguous chunks, one per worker, in order (as Pool.map's chunks are)."""
    base, extra = divmod(len(items), workers)
    out, start = [], 0
    for i in range(workers):
        size = base + (1 if i < extra else 0)
        out.append(list(range(start, start + size)))
        start += size
    return out


def run_threads(fn, inputs, workers):
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        ready = time.perf_counter()
        results = list(pool.map(fn, inputs))
    return results, ready - started


def _child_fork(conn, fn, inputs, indices):
    """A forked worker: the function and inputs came with the fork."""
    conn.send("ready")
    try:
        conn.send(("ok", [fn(inputs[i]) for i in indices]))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    conn.close()


def _child_import(conn, path, name, chunk):
    """A spawned worker: imports the function by name, gets its inputs over the pipe."""
    try:
        _, fn = load(path, name)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        return
    conn.send("ready")
    try:
        conn.send(("ok", [fn(x) for x in chunk]))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    conn.close()


def run_processes(fn, inputs, workers, start_method, path, name):
    import multiprocessing

    ctx = multiprocessing.get_context(start_method)
    chunks = split(inputs, workers)
    pipes, procs = [], []
    started = time.perf_counter()
    for indices in chunks:
        mine, theirs = ctx.Pipe()
        if start_method == "fork":
            proc = ctx.Process(target=_child_fork, args=(theirs, fn, inputs, indices))
        else:
            proc = ctx.Process(
                target=_child_import, args=(theirs, path, name, [inputs[i] for i in indices])
            )
        proc.start()
        theirs.close()
        pipes.append(mine)
        procs.append(proc)
    first = [conn.recv() for conn in pipes]
    ready = time.perf_counter()
    for answer in first:
        if answer != "ready":
            raise RuntimeError("a worker process failed before it ran FUNC:\n" + answer[1])
    results = []
    for conn in pipes:
        status, value = conn.recv()
        if status != "ok":
            raise RuntimeError("FUNC raised in a worker process:\n" + value)
        results.extend(value)
    for proc in procs:
        proc.join()
    return results, ready - started


_SUBINTERPRETER = """
import pickle, sys
sys.path.insert(0, %r)
import importlib
fn = getattr(importlib.import_module(%r), %r)
with open(%r, "rb") as f:
    chunk = pickle.load(f)
results = [fn(x) for x in chunk]
with open(%r, "wb") as f:
    pickle.dump(results, f)
"""


def run_subinterpreters(inputs, workers, path, name):
    try:
        import _interpreters as module
    except ImportError:
        try:
            import _xxsubinterpreters as module
        except ImportError:
            raise RuntimeError("this CPython has no subinterpreters with their own GIL (3.12+)")

    def isolated():
        try:
            return module.create("isolated")
        except TypeError:
            return module.create(isolated=True)

    directory = os.path.dirname(os.path.abspath(path))
    module_name = os.path.splitext(os.path.basename(path))[0]
    scratch = tempfile.mkdtemp(prefix="gilsim-scale-")
    started = time.perf_counter()
    ids = [isolated() for _ in range(workers)]
    ready = time.perf_counter()
    jobs, errors = [], [None] * workers
    for i, indices in enumerate(split(inputs, workers)):
        src, dst = os.path.join(scratch, "in%d" % i), os.path.join(scratch, "out%d" % i)
        with open(src, "wb") as f:
            pickle.dump([inputs[k] for k in indices], f)
        jobs.append((src, dst))

    def run(i):
        src, dst = jobs[i]
        code = _SUBINTERPRETER % (directory, module_name, name, src, dst)
        failure = module.run_string(ids[i], code)
        if failure is not None:
            errors[i] = str(failure)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in ids:
        module.destroy(i)
    if any(errors):
        raise RuntimeError("FUNC failed in a subinterpreter: " + next(e for e in errors if e))
    results = []
    for _, dst in jobs:
        with open(dst, "rb") as f:
            results.extend(pickle.load(f))
    return results, ready - started


def first_difference(mine, reference):
    if len(mine) != len(reference):
        return "%d results instead of %d" % (len(mine), len(reference))
    for i, (a, b) in enumerate(zip(mine, reference)):
        if a != b:
            return "input #%d: %.60r instead of %.60r" % (i, a, b)
    return None


def main():
    path, name, kind, spec, runtime, workers, start_method, reference, out = sys.argv[1:10]
    workers = int(workers)
    answer = {"runtime": runtime, "workers": workers}
    try:
        t0 = time.perf_counter()
        module, fn = load(path, name)
        inputs = inputs_of(kind, spec, module)
        answer["inputs"] = len(inputs)
        answer["setup_s"] = time.perf_counter() - t0
    except BaseException:
        answer["error"] = "loading %s:%s or its inputs failed" % (path, name)
        answer["traceback"] = user_traceback()
        return answer
    if runtime == "processes" and start_method != "fork":
        try:
            pickle.dumps(fn)
        except Exception as e:
            answer["error"] = (
                "%s cannot be pickled, so %s processes cannot import it (%s); "
                "--start-method fork passes it to its workers without pickling"
                % (name, start_method, str(e).splitlines()[0])
            )
            return answer
    cpu0 = cpu_s()
    started = time.perf_counter()
    try:
        if runtime == "serial":
            results, startup = serial(fn, inputs), 0.0
        elif runtime == "threads":
            results, startup = run_threads(fn, inputs, workers)
        elif runtime == "processes":
            results, startup = run_processes(fn, inputs, workers, start_method, path, name)
        elif runtime == "subinterpreters":
            results, startup = run_subinterpreters(inputs, workers, path, name)
        else:
            raise ValueError("unknown runtime " + runtime)
    except InputError as e:
        cause = e.__context__
        answer["error"] = "%s raised %s on input #%d" % (
            name, traceback.format_exception_only(type(cause), cause)[-1].strip(), e.index)
        try:
            raise cause
        except BaseException:
            answer["traceback"] = user_traceback()
        return answer
    except BaseException:
        answer["error"] = "%s raised under %s" % (name, runtime)
        answer["traceback"] = user_traceback()
        return answer
    answer["wall_s"] = time.perf_counter() - started
    answer["cpu_s"] = cpu_s() - cpu0
    answer["startup_s"] = startup
    if runtime == "serial":
        # What sending every input and result between processes costs, timed once, on the
        # serial run's own data.
        t = time.perf_counter()
        blob_in = pickle.dumps(inputs)
        blob_out = pickle.dumps(results)
        pickle.loads(blob_in)
        pickle.loads(blob_out)
        answer["pickle_s"] = time.perf_counter() - t
        answer["pickled_bytes"] = len(blob_in) + len(blob_out)
        with open(reference, "wb") as f:
            f.write(blob_out)
    else:
        with open(reference, "rb") as f:
            expected = pickle.load(f)
        difference = first_difference(results, expected)
        if difference:
            answer["error"] = "changed the results: %s" % difference
    return answer


def cli():
    result = main()
    with open(sys.argv[9], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    cli()
