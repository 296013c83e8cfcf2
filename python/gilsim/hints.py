"""One-line explanations gilsim adds under a traceback whose cause is a known pitfall."""
import multiprocessing


def for_exception(exc, method=None):
    """`method`: the start method in use, when the caller knows it (else the default)."""
    text = str(exc)
    method = method or multiprocessing.get_start_method()
    if "pickle" in text.lower() and "local object" in text:
        where = text.split("local object", 1)[1].strip(" '\"")
        return (
            f"the function {where} is defined inside another function, and a local function "
            f"cannot be pickled (pickle stores functions by their importable name). The "
            f"'{method}' start method must pickle the Process target to send it to a fresh "
            f"interpreter; 'fork' copies the parent's memory instead and needs no pickling, which "
            f"is why the same code works under fork. Move the function to module level to use "
            f"'{method}'."
            if method in ("spawn", "forkserver")
            else f"a local function cannot be pickled (pickle stores functions by their "
            f"importable name); move {where} to module level."
        )
    if "pickle" in text.lower() and method in ("spawn", "forkserver"):
        return (
            f"under the '{method}' start method everything passed to the child process is "
            f"pickled; this object cannot be. 'fork' copies memory instead of pickling."
        )
    return None
