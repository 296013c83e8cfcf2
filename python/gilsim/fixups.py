"""What the embedded interpreter needs before user code runs (see embedding.md rules 4-5).

- sys.executable is set by the host at start-up (the build gilsim embeds, or the same build's
  virtual environment), so scripts that run sys.executable get that interpreter.
- multiprocessing's executable: spawn, forkserver and the resource tracker re-execute it; the
  gilsim binary answers those command lines as Python itself, so every child runs exactly this
  libpython. In the Python package (no executable given) the children run sys.executable, the
  interpreter hosting gilsim.
- a pool watchdog: when pool workers die at start-up, multiprocessing.Pool replaces them
  forever and the parent hangs; gilsim ends the run with a message naming the cause instead.
"""
import os
import sys

# Abnormal worker exits, per pool, before the pool is declared broken: twice its size.
_BROKEN_FACTOR = 2


def install(gilsim_exe):
    # multiprocessing is patched when the script imports it, not before: importing it costs
    # as much as starting the interpreter, and most scripts never do.
    hooks = {"multiprocessing.pool": lambda pool: _watch_pools(pool.Pool)}
    if gilsim_exe is not None:
        hooks["multiprocessing"] = lambda mp: mp.set_executable(gilsim_exe)
    for name in list(hooks):
        if name in sys.modules:
            hooks.pop(name)(sys.modules[name])
    if hooks:
        sys.meta_path.insert(0, _AfterImport(hooks))
    # gilsim's GIL sampler is a host thread: it must not be running across a fork.
    import _gilsim

    os.register_at_fork(before=_gilsim.pause, after_in_parent=_gilsim.resume)


class _AfterImport:
    """Runs a hook on a module right after its first import (a finder that wraps the loader
    the other finders choose)."""

    def __init__(self, hooks):
        self.hooks = hooks

    def find_spec(self, name, path, target=None):
        if name not in self.hooks:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _HookedLoader(spec.loader, self.hooks.pop(name))
                if not self.hooks and self in sys.meta_path:
                    sys.meta_path.remove(self)
                return spec
        return None


class _HookedLoader:
    def __init__(self, loader, hook):
        self.loader = loader
        self.hook = hook

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.hook(module)

    def __getattr__(self, name):
        return getattr(self.loader, name)


def set_default_start_method(method):
    """The start method used unless the script chooses one (its own set_start_method wins)."""
    import multiprocessing.context as context

    context._default_context._default_context = context._concrete_contexts[method]


def _watch_pools(pool_class):
    original = pool_class._join_exited_workers
    deaths = {}

    def join_exited_workers(pool):
        # Runs in the pool's worker-handler thread every 0.1 s with the list of workers.
        died = [w for w in pool if w.exitcode not in (None, 0)]
        if died:
            key = id(pool)
            deaths[key] = deaths.get(key, 0) + len(died)
            if deaths[key] >= _BROKEN_FACTOR * max(len(pool), 1):
                codes = sorted({w.exitcode for w in died})
                sys.stderr.write(repeated_failures())
                sys.stderr.write(
                    f"gilsim: multiprocessing pool workers keep dying ({deaths[key]} exited "
                    f"abnormally, exit codes {codes}); Pool would replace them forever and never "
                    f"return, so gilsim stops the run. The workers' own errors are above.\n"
                )
                sys.stderr.flush()
                os._exit(1)
        return original(pool)

    pool_class._join_exited_workers = staticmethod(join_exited_workers)


def repeated_failures():
    """'… and 15 more worker processes failed the same way' for tracebacks the children did not
    print again (see the gilsim binary's python mode), once; "" when there were none."""
    folder = os.environ.get("GILSIM_TRACEBACKS")
    if not folder or not os.path.isdir(folder):
        return ""
    more = 0
    for name in os.listdir(folder):
        if name.endswith(".more"):
            path = os.path.join(folder, name)
            more += os.path.getsize(path)
            os.rename(path, path + ".told")
    if not more:
        return ""
    return f"gilsim: … and {more} more worker process{'es' if more != 1 else ''} failed the same way (traceback above).\n"
