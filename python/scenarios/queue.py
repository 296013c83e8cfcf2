"""The study note's sender/receiver pairs, parameterised and timed.

- process: multiprocessing.Queue, sender in a Process, receiver in the parent, sender stopped
  with terminate() (it never ends by itself);
- process-class: the study note's class-based version (the sender is a function nested in __init__);
- thread: queue.Queue, sender in a Thread, stopped with an Event and join() (threads have no
  terminate()).

Each message is the study note's x, sent with the sender's time.monotonic() (one clock for every
process on Linux) so the receiver can measure put → get latency.
"""
import multiprocessing
import queue
import threading
import time


def _receive(q, messages, interval):
    received, latencies, arrivals = [], [], []
    for _ in range(messages):
        x, put_at = q.get()
        now = time.monotonic()
        received.append(x)
        latencies.append(now - put_at)
        arrivals.append(now)
        if interval:
            time.sleep(interval)
    return received, latencies, arrivals


def sender(q, interval):
    # The study note's sender.
    x = 0
    while True:
        q.put((x, time.monotonic()))
        x += 1
        if interval:
            time.sleep(interval)


def run_process(start_method, messages, interval):
    ctx = multiprocessing.get_context(start_method)
    t0 = time.monotonic()
    q = ctx.Queue()
    p = ctx.Process(target=sender, args=(q, interval))
    p.start()
    received, latencies, arrivals = _receive(q, messages, interval)
    s0 = time.monotonic()
    p.terminate()  # the seed: don't use join since it runs endlessly
    p.join()
    return _result(received, latencies, arrivals, t0, s0)


class A:
    # The study note's "classy way", with the context and interval as parameters.
    def __init__(self, ctx, interval):
        self.q = ctx.Queue()
        # sender (background)
        def sender():
            x = 0
            while True:
                self.q.put((x, time.monotonic()))
                x += 1
                if interval:
                    time.sleep(interval)
        self.p = ctx.Process(target=sender)
        self.p.start()

    def run(self, messages, interval):
        received = _receive(self.q, messages, interval)
        self.stopping_at = time.monotonic()
        self.p.terminate()
        self.p.join()
        return received


def run_process_class(start_method, messages, interval):
    ctx = multiprocessing.get_context(start_method)
    t0 = time.monotonic()
    a = A(ctx, interval)
    received, latencies, arrivals = a.run(messages, interval)
    return _result(received, latencies, arrivals, t0, a.stopping_at)


class T:
    # The study note's threading version.
    def __init__(self, interval):
        self.q = queue.Queue()
        self.exit_event = threading.Event()
        # sender (background)
        def sender():
            x = 0
            while True:
                # threading does not have a terminate() or kill(), so we manually handle the exit
                if self.exit_event.is_set():
                    break
                self.q.put((x, time.monotonic()))
                x += 1
                if interval:
                    time.sleep(interval)
        self.p = threading.Thread(target=sender)
        self.p.start()

    def run(self, messages, interval):
        received = _receive(self.q, messages, interval)
        self.stopping_at = time.monotonic()
        # set exit event
        self.exit_event.set()
        self.p.join()
        return received


def run_thread(messages, interval):
    t0 = time.monotonic()
    t = T(interval)
    received, latencies, arrivals = t.run(messages, interval)
    return _result(received, latencies, arrivals, t0, t.stopping_at)


def _result(received, latencies, arrivals, t0, stopping_at):
    end = time.monotonic()
    return {
        "received": received,
        "latencies_s": latencies,
        "first_message_s": arrivals[0] - t0 if arrivals else None,
        "stream_s": arrivals[-1] - arrivals[0] if len(arrivals) > 1 else None,
        "shutdown_s": end - stopping_at,
        "total_s": end - t0,
    }


def run(variant, start_method, messages, interval):
    if variant == "process":
        return run_process(start_method, messages, interval)
    if variant == "process-class":
        return run_process_class(start_method, messages, interval)
    return run_thread(messages, interval)
