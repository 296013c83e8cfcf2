"""Who takes the GIL at a forced drop, from a condtrace log of a `gilsim convoy` worker.

The GIL's `cond` is the condition variable most often waited on with a timeout; its
`switch_cond` the one waited on without. A take is a signal of `switch_cond`. A timed wait that
times out with no take since it began sets the drop request (its thread is the requester); the
holder's signal of `cond` followed by its wait on `switch_cond` is a forced drop. The echo
server is the thread with timeouts that never waits on `switch_cond` (it never holds the GIL
when a drop is forced on it), other than the main thread.

Prints, over forced drops with the requester and at least one other thread waiting, how often
the requester took the GIL, for CPU-bound requesters and for the server; and the timed waits'
lateness (how long after the switch interval a timeout returned).

    python3 analyse.py TRACE.PID [SWITCH_INTERVAL_S]
"""
import collections
import sys

path = sys.argv[1]
interval = float(sys.argv[2]) if len(sys.argv) > 2 else None
pid = int(path.rsplit(".", 1)[1])
rows = []
with open(path) as f:
    for line in f:
        t, tid, event, cond, result = line.split()
        rows.append((float(t), int(tid), int(event), cond, int(result)))
counts = collections.Counter((e, c) for _, _, e, c, _ in rows)
gil_cond = max((k for k in counts if k[0] == 1), key=counts.get)[1]
switch_cond = max((k for k in counts if k[0] == 3), key=counts.get)[1]
force_waiters = {tid for _, tid, e, c, _ in rows if e == 3 and c == switch_cond}
timeouts = collections.Counter(tid for _, tid, e, c, r in rows if e == 2 and c == gil_cond and r == 110)
server = max((t for t in timeouts if t not in force_waiters and t != pid), key=timeouts.get)

waiting = {}  # thread -> when its current timed wait began
last_switch, last_taker, requester, pending = 0.0, None, None, None
wins = collections.Counter()
lateness = []
for i, (t, tid, event, cond, result) in enumerate(rows):
    if cond == gil_cond and event == 1:
        waiting[tid] = t
    elif cond == gil_cond and event == 2:
        began = waiting.pop(tid, None)
        if result == 110 and began is not None:
            if interval:
                lateness.append((t - began - interval) * 1e6)
            if began > last_switch and requester is None:
                requester = tid
    elif cond == gil_cond and event == 5:
        forced = any(r[1] == tid and r[2] == 3 for r in rows[i + 1 : i + 8])
        if forced and requester in waiting and len(waiting) >= 2:
            pending = requester
    elif cond == switch_cond and event == 5:
        if tid != last_taker:
            last_switch, last_taker = t, tid
        if pending is not None:
            kind = "server" if pending == server else "cpu"
            wins[(kind, tid == pending)] += 1
            pending = None
        requester = None

for kind in ("cpu", "server"):
    won, lost = wins[(kind, True)], wins[(kind, False)]
    if won + lost:
        print(f"{kind} requester took the GIL at {won} of {won + lost} forced drops ({won / (won + lost):.0%})")
if lateness:
    lateness.sort()
    q = [round(lateness[int(len(lateness) * f)], 1) for f in (0.1, 0.5, 0.9)]
    print(f"timed waits returned {q[0]} / {q[1]} / {q[2]} us late (10th / 50th / 90th percentile)")
