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
