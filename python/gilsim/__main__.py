"""`gilsim ARGS` (console script) and `python -m gilsim ARGS`: the same command line as the
cargo binary, run by the interpreter that imports this package."""
import sys


def main():
    from gilsim import _native

    sys.exit(_native.main(["gilsim", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
