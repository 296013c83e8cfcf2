import time
from multiprocessing import Queue, Process
# sender (background)
def sender(q):
    x = 0
    while True:
        q.put(x)
        x += 1
        time.sleep(0.5)
q = Queue()
p = Process(target=sender, args=(q,))
p.start()
# reciever (foreground)
for _ in range(10):
    x = q.get()
    print(x)
    time.sleep(0.5)
p.terminate() # terminate sender (don't use join since it runs endlessly)
