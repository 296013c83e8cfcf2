"""Counts the threads a script starts through `threading` and, inside gilsim, registers each
with the GIL instrumentation (name, thread state) and reports its times as it ends.

`Thread._bootstrap_inner` runs every thread's `run()` (subclasses included) inside the new
thread, so wrapping it sees each thread start and end at the cost of two calls per thread.
"""
import threading

try:
    import _gilsim  # gilsim's host module
except ImportError:
    _gilsim = None

_seen = set()


def install():
    original = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        _seen.add(threading.get_ident())
        if _gilsim:
            _gilsim.register_thread(self.name)
        try:
            original(self)
        finally:
            if _gilsim:
                _gilsim.thread_done()

    threading.Thread._bootstrap_inner = _bootstrap_inner


def count():
    """The main thread plus every thread seen starting."""
    return 1 + len(_seen - {threading.main_thread().ident})
