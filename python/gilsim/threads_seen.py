"""Counts the threads a script starts through `threading`, at the cost of one call each.

`threading.setprofile` installs the hook in every new thread before its target runs; the hook
records the thread and removes itself, so the script then runs without a profiler.
"""
import sys
import threading

_seen = set()


def _hook(frame, event, arg):
    _seen.add(threading.get_ident())
    sys.setprofile(None)


def install():
    threading.setprofile(_hook)


def count():
    """The main thread plus every thread seen starting."""
    return 1 + len(_seen - {threading.main_thread().ident})
