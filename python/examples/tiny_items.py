"""Work so small per item that starting processes and pickling cost more than it saves.

    gilsim scale python/examples/tiny_items.py:square --inputs "range(20_000)"
"""


def square(x):
    return x * x


if __name__ == "__main__":
    print(sum(square(x) for x in range(20_000)))
