# gilsim lab process-cost: what starting and joining a thread costs.
import json, threading, time
n = 200
t0 = time.perf_counter()
for _ in range(n):
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
print(json.dumps({"thread_start_s": (time.perf_counter() - t0) / n}))
