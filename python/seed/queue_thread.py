import time
from queue import Queue
from threading import Thread, Event
class A:
    def __init__(self):
        self.q = Queue()
        self.exit_event = Event()
        # sender (background)
        def sender():
            x = 0
            while True:
                # threading does not have a terminate() or kill(), so we manually handle the exit
                if self.exit_event.is_set():
                    break
                self.q.put(x)
                x += 1
                time.sleep(0.5)
        self.p = Thread(target=sender)
        self.p.start()
    def run(self):
        # reciever (foreground)
        for _ in range(10):
            x = self.q.get()
            print(x)
            time.sleep(0.5)
        # set exit event
        self.exit_event.set()
        self.p.join()
a = A()
a.run()
