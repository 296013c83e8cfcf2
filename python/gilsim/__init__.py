"""gilsim: reproduce, measure and explain CPython's GIL contention, side by side with Rust.

The command line lives in the native module; `gilsim` and `python -m gilsim` both call it with
their arguments, inside this interpreter.
"""
from gilsim._native import __version__

__all__ = ["__version__"]
