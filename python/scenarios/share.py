"""The study note's "objects can be shared between threads, but must be copied per process".

A list of `size` integers is mutated by a thread or by a child process; the parent then looks
at its own object. For processes the cost of the copy is measured: the bytes pickled to send
the target's arguments (spawn, forkserver) and, for fork, the memory the child's writes copied
(copy-on-write page faults in the child times the page size).
"""
import multiprocessing
import multiprocessing.reduction as reduction
import os
import pickle
import resource
import threading


def mutate(data, report=None):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(len(data)):
        data[i] = -data[i]
    data.append("mutated")
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    if report is not None:
        report.put({"pid": os.getpid(), "faults": faults, "len": len(data)})


class _CountingPickler:
    """Counts the bytes multiprocessing pickles while starting a child."""

    def __init__(self):
        self.bytes = 0
        self._dump = reduction.dump

    def __enter__(self):
        def dump(obj, file, protocol=None):
            data = reduction.ForkingPickler.dumps(obj, protocol)
            self.bytes += len(data)
            file.write(data)

        reduction.dump = dump
        return self

    def __exit__(self, *exc):
        reduction.dump = self._dump


def run(kind, start_method, size):
    data = list(range(size))
    object_bytes = len(pickle.dumps(data))
    result = {"object_bytes": object_bytes, "pickled_bytes": None, "child_copied_bytes": None}
    if kind == "thread":
        t = threading.Thread(target=mutate, args=(data,))
        t.start()
        t.join()
    else:
        ctx = multiprocessing.get_context(start_method)
        report = ctx.SimpleQueue()
        with _CountingPickler() as counter:
            p = ctx.Process(target=mutate, args=(data, report))
            p.start()
        p.join()
        child = report.get()
        result["pickled_bytes"] = counter.bytes
        if start_method == "fork":
            # Only a forked child shares pages with the parent; its first write to each page
            # copies it (a minor fault). A spawned child's faults are fresh memory, not copies.
            result["child_copied_bytes"] = child["faults"] * os.sysconf("SC_PAGE_SIZE")
        result["child_len"] = child["len"]
    result["visible_in_parent"] = data[-1] == "mutated"
    result["parent_len"] = len(data)
    return result
