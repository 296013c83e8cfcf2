import time
from multiprocessing import Queue, Process
class A:
    def __init__(self):
        self.q = Queue()
        # sender (background)
        def sender():
            x = 0
            while True:
                self.q.put(x)
                x += 1
                time.sleep(0.5)
        self.p = Process(target=sender)
        self.p.start()
    def run(self):
        # reciever (foreground)
        for _ in range(10):
            x = self.q.get()
            print(x)
            time.sleep(0.5)
        self.p.terminate()
a = A()
a.run()
