//! The new GIL (3.2+, `Python/ceval_gil.c`): timed waits kept lazily, the drop request, and
//! which waiter a release signals.
use super::*;

impl Engine<'_> {
    /// New GIL: the waiter a signal wakes. glibc's condition variable wakes the one longest in
    /// line (its futex queue is first in, first out), unless a waiter that has not yet gone to
    /// sleep takes the signal first. At a forced drop that is often the thread whose timed wait
    /// set the drop request: the holder's drop follows it within microseconds, while it is
    /// still on its way into the futex wait. It wins with `requester_wins`.
    pub(super) fn signalled(&mut self, requester: Option<usize>) -> Option<usize> {
        let first = self.line.first_in_line()?;
        let awake = requester.filter(|&r| {
            self.threads[r].state == State::Waiting && self.line.contains(r) && r != first
        });
        let chosen = match awake {
            Some(r) if self.rng.uniform() < self.p.requester_wins => r,
            _ => first,
        };
        self.line.leave(chosen);
        Some(chosen)
    }

    /// New GIL: take_gil checks `locked` after every wait, so a waiter whose timed wait ends
    /// while the GIL is free (before the signalled thread has woken) takes it; the signalled
    /// thread then finds it locked and waits again.
    pub(super) fn schedule_timed_out_free(&mut self, woken_at: f64) {
        let first = self.line.first_timeout().filter(|&(t, _)| t < woken_at);
        if let Some((t, w)) = first {
            let gen = self.threads[w].gen;
            self.push(t, What::TimedOutFree(w, gen));
        }
    }

    pub(super) fn on_timed_out_free(&mut self, tid: usize, gen: u64) {
        let th = &self.threads[tid];
        if self.locked || th.gen != gen || th.state != State::Waiting {
            return;
        }
        if self.line.contains(tid) {
            self.line.leave(tid);
            self.take(tid);
        }
    }

    /// New GIL: the earliest timed wait that will find the GIL locked, no drop request and no
    /// switch since the waiter last began waiting, as the state stands now.
    pub(super) fn schedule_drop_timeout(&mut self) {
        let best = if self.locked && !self.drop_request {
            self.line.drop_timeout(self.switches)
        } else {
            None
        };
        if best != self.drop_timeout {
            self.drop_timeout = best;
            self.drop_token += 1;
            if let Some((at, w)) = best {
                self.push(at, What::DropTimeout(w, self.drop_token));
            }
        }
    }

    /// New GIL: a timed wait ends with no switch since the waiter began it: it sets the drop
    /// request (the holder sees it at its next eval-breaker check) and waits again.
    pub(super) fn on_drop_timeout(&mut self, tid: usize, token: u64) {
        if token != self.drop_token {
            return;
        }
        self.drop_timeout = None;
        let th = &self.threads[tid];
        if th.state != State::Waiting || th.next_timeout != self.now {
            return;
        }
        if self.locked && self.switches == th.saved_switch && !self.drop_request {
            self.drop_request = true;
            self.requester = Some(tid);
            if let Some(h) = self.holder {
                let hgen = self.threads[h].gen;
                let seen = self.slice_end().max(self.now) + self.p.iteration_s;
                self.push(seen, What::DropCheck(h, hgen));
            }
        }
        self.wait_again(tid, self.now);
    }

    /// On one core the waiter whose timed wait has ended must first get the CPU from the
    /// holder: the OS gives it at the end of the holder's time slice (`single_core_slice_s`,
    /// counted from its take), so only then is the drop request set. Elsewhere: now.
    pub(super) fn slice_end(&self) -> f64 {
        let slice = self.p.single_core_slice_s;
        if self.s.cores != 1 || slice <= 0.0 {
            return self.now;
        }
        let ran = self.now - self.taken_at;
        self.taken_at + (ran / slice).ceil().max(1.0) * slice
    }

    /// One switch interval, plus the timer's lateness in waking the waiter (from the waiter's
    /// own stream).
    pub(super) fn timed_wait(&mut self, tid: usize) -> f64 {
        let lateness = self.threads[tid]
            .timeout_rng
            .jitter(self.p.timeout_latency_s, self.p.jitter);
        self.s.switch_interval_s + lateness
    }
}
