"""The convoy effect (bpo-7946): an echo server thread beside CPU-bound threads.

The server answers each request on one end of a socketpair; every recv and send releases the
GIL and must get it back. The client is a host thread of gilsim on the other end that never
holds the GIL. The CPU threads run the study note's countdown loop in pieces until told to stop.
"""
import socket
import threading


def _serve(sock):
    while True:
        data = sock.recv(64)
        if not data:
            break
        sock.sendall(data)


def _spin(stop):
    while not stop.is_set():
        n = 100000
        while n>0:
            n -= 1


class Convoy:
    def __init__(self, cpu_threads):
        self.server_end, self.client_end = socket.socketpair()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=_serve, args=(self.server_end,), name="echo-server")]
        self.threads += [
            threading.Thread(target=_spin, args=(self.stop,), name=f"cpu-{i + 1}")
            for i in range(cpu_threads)
        ]
        for t in self.threads:
            t.start()

    def client_fd(self):
        return self.client_end.fileno()

    def finish(self):
        self.stop.set()
        self.client_end.shutdown(socket.SHUT_WR)
        for t in self.threads:
            t.join()
        self.client_end.close()
        self.server_end.close()


class ParkedConvoy(Convoy):
    """The echo server with CPU threads that can be parked between short segments.

    `start_cpu` lets the CPU threads spin; `park_cpu` stops them and returns once every one is
    blocked on the event again, so a segment without CPU threads has none running.
    """

    def __init__(self, cpu_threads):
        self.go = threading.Event()
        self.lock = threading.Lock()
        self.all_parked = threading.Event()
        self.closing = False
        self.parked = 0
        super().__init__(0)
        self.cpu = [
            threading.Thread(target=self._spin_parked, name=f"cpu-{i + 1}")
            for i in range(cpu_threads)
        ]
        for t in self.cpu:
            t.start()

    def _spin_parked(self):
        while True:
            self.go.wait()
            if self.closing:
                return
            while self.go.is_set():
                n = 100000
                while n>0:
                    n -= 1
            with self.lock:
                self.parked += 1
                if self.parked == len(self.cpu):
                    self.all_parked.set()

    def start_cpu(self):
        self.all_parked.clear()
        self.parked = 0
        self.go.set()

    def park_cpu(self):
        self.go.clear()
        if self.cpu:
            self.all_parked.wait()

    def finish(self):
        self.closing = True
        self.go.set()
        for t in self.cpu:
            t.join()
        super().finish()
