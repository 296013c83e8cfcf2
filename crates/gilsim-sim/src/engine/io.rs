//! I/O threads: the GIL released around each blocking call, and taken back after it.
use super::*;

impl Engine<'_> {
    /// Outside the GIL: after the first half of a request the send returns at once (10 % of
    /// the time outside); after the second the recv waits for the client's next request.
    /// Exponentially distributed around those means: the client's turnaround is two wake-ups
    /// and a round trip, and a fixed time made the race against a woken CPU thread a knife
    /// edge (2 CPU threads at 5 ms: wake-up 10 µs → 94 req/s, 15 µs → 156).
    pub(super) fn go_outside(&mut self, tid: usize) {
        let share = if self.threads[tid].io_half == 1 {
            0.1
        } else {
            0.9
        };
        let delay = self.rng.exponential(self.p.io_outside_s * share);
        let th = &mut self.threads[tid];
        th.state = State::Outside;
        self.push(self.now + delay, What::Ready(tid));
    }

    pub(super) fn on_ready(&mut self, tid: usize) {
        let half = self.p.io_request_cpu_s / 2.0;
        let th = &mut self.threads[tid];
        th.io_half ^= 1;
        if th.io_half == 0 {
            self.requests += 1;
        }
        th.burst_s = half;
        self.want(tid, self.now);
    }
}
