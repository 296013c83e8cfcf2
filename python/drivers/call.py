# gilsim under another interpreter: one of gilsim's Python functions (or a script as __main__)
# called between two handshakes, so that gilsim can read the GIL from outside the process just
# before and just after the call while this process waits.
#
#   python -c DRIVER MODULE_DIR MODULE FUNCTION ARGS_JSON [SWITCH_INTERVAL]
#   python -c DRIVER MODULE_DIR __script__ PATH ARGV_JSON [SWITCH_INTERVAL]
#
# Lines go to gilsim on fd 3 ("ready", then one JSON object: {"value": ...} or {"error": ...,
# "traceback": ...}); gilsim answers "go" on fd 4, and closes it once it has read the GIL again.
# The standard streams stay the script's (or /dev/null).
import json
import os
import sys
import traceback

out = os.fdopen(3, "w")
go = os.fdopen(4, "r")


def say(obj):
    out.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
    out.flush()


def failure(e):
    return {"error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()}


def script(path, argv):
    import runpy

    sys.argv = [path] + list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write("%s\n" % (code,))
        return 1
    except BaseException:
        # As the interpreter would: the traceback on stderr, exit code 1.
        traceback.print_exc()
        return 1
    return 0


def main():
    module_dir, module, function, args = sys.argv[1:5]
    if len(sys.argv) > 5 and sys.argv[5]:
        sys.setswitchinterval(float(sys.argv[5]))
    try:
        if module == "__script__":
            call, args = script, [function, json.loads(args)]
        else:
            sys.path.insert(0, module_dir)
            call, args = getattr(__import__(module), function), json.loads(args)
    except BaseException as e:
        say(failure(e))
        return 1
    say("ready")
    go.readline()
    try:
        result = {"value": call(*args)}
    except BaseException as e:
        result = failure(e)
    say(result)
    # Held here until gilsim has read the GIL a second time.
    go.read()
    return 0


sys.exit(main())
