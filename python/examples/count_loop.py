"""Pure-Python CPU work: the GIL lets one thread run it at a time.

    gilsim scale python/examples/count_loop.py:count --inputs "[300_000] * 16"
"""


def count(n):
    total = 0
    while n > 0:
        total += n % 7
        n -= 1
    return total


if __name__ == "__main__":
    print(sum(count(300_000) for _ in range(16)))
