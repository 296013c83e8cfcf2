"""A function whose answer depends on shared state: threads change its results.

    gilsim scale python/examples/wrong_under_threads.py:next_id --inputs "range(2000)"
"""
import time

_counter = [0]


def next_id(_):
    # Read, pause, write: threads interleave here and hand out the same id twice.
    value = _counter[0]
    time.sleep(0)
    _counter[0] = value + 1
    return value


if __name__ == "__main__":
    print([next_id(i) for i in range(5)])
