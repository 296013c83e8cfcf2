"""Waiting, not computing: each call sleeps, as a call waiting on the network would.

    gilsim scale python/examples/waiting.py:fetch --inputs "range(16)"
"""
import time


def fetch(i):
    time.sleep(0.02)
    return i


if __name__ == "__main__":
    print([fetch(i) for i in range(4)])
