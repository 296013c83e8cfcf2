"""C code that releases the GIL while it works: hashlib on large buffers.

    gilsim scale python/examples/hashing.py:digest --inputs "range(16)"
"""
import hashlib

BUFFER = b"gilsim" * (2 << 20)


def digest(seed):
    # hashlib releases the GIL for buffers over 2 KiB.
    return hashlib.sha256(BUFFER + bytes([seed % 256])).hexdigest()


if __name__ == "__main__":
    print([digest(i) for i in range(4)])
