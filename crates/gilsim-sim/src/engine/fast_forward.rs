//! The steady-state fast-forward: measurement windows of hand-offs, and the jump to the end
//! once the last windows agree on the work rate (`Extrapolation` says how far it went).
use super::*;

impl Engine<'_> {
    pub(super) fn steady_state_allowed(&self) -> bool {
        !self.s.exact
            && self.extrapolated.is_none()
            && self.s.policy != Policy::None
            && self.s.cpu_threads >= 2
            && !self.s.record
    }

    /// Work a thread has left now, without touching its accounts (the holder's current slice
    /// counted as far as it has gone).
    pub(super) fn work_left(&self, tid: usize) -> f64 {
        let th = &self.threads[tid];
        if self.holder != Some(tid) {
            return th.burst_s;
        }
        let held = self.now - th.since;
        let warm = (th.warm_until.min(self.now) - th.since).max(0.0);
        (th.burst_s - (held - warm * 0.5) * self.holder_rate()).max(0.0)
    }

    /// Held and waited so far, the current stretch included.
    pub(super) fn so_far(&self, tid: usize) -> (f64, f64) {
        let th = &self.threads[tid];
        let open = self.now - th.since;
        match th.state {
            State::Holding => (th.held_s + open, th.wait_s),
            State::Waiting => (th.held_s, th.wait_s + open),
            _ => (th.held_s, th.wait_s),
        }
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        let n = self.threads.len();
        let open_held = self
            .holder
            .map_or(0.0, |h| self.now - self.threads[h].since);
        Snapshot {
            t: self.now,
            switches: self.switches,
            requests: self.requests,
            gil_held_s: self.gil_held_s + open_held,
            left: (0..n).map(|i| self.work_left(i)).collect(),
            held: (0..n).map(|i| self.so_far(i).0).collect(),
            waited: (0..n).map(|i| self.so_far(i).1).collect(),
        }
    }

    /// A measurement window ends (at a hand-off): when the last windows agree on the work rate
    /// and much work is left, fast-forward through most of it at the steady rates.
    pub(super) fn window_ends(&mut self) {
        self.snapshots.push(self.snapshot());
        let k = self.snapshots.len();
        if k < STEADY_WINDOWS + 2 {
            // The first window includes the start-up (threads being started): not steady.
            return;
        }
        let recent = &self.snapshots[k - STEADY_WINDOWS - 1..];
        let work =
            |a: &Snapshot, b: &Snapshot| a.left.iter().sum::<f64>() - b.left.iter().sum::<f64>();
        let rates: Vec<f64> = recent
            .windows(2)
            .map(|w| work(&w[0], &w[1]) / (w[1].t - w[0].t))
            .collect();
        let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
            || (hi - lo) / lo > STEADY_TOLERANCE
        {
            return;
        }
        let (first, last) = (recent[0].clone(), recent[STEADY_WINDOWS].clone());
        let (first, last) = (&first, &last);
        let span = last.t - first.t;
        let window_s = span / STEADY_WINDOWS as f64;
        // The CPU threads share the GIL evenly in the steady state (a few windows cannot tell
        // a real difference from the luck of the draws): each does `rate / n` of work per
        // second. The fast-forward stops while the thread with the least work left still has
        // `MIN_WINDOWS_LEFT / 2` windows of it, so the end is simulated event by event.
        let cpu: Vec<usize> = (0..self.s.cpu_threads)
            .filter(|&i| self.threads[i].state != State::Done)
            .collect();
        let n = cpu.len() as f64;
        if cpu.is_empty() {
            return;
        }
        let rate = work(first, last) / span;
        let least_left = cpu
            .iter()
            .map(|&i| last.left[i])
            .fold(f64::INFINITY, f64::min);
        let mut skip = least_left / (rate / n) - MIN_WINDOWS_LEFT / 2.0 * window_s;
        // A run with a duration stops there: its end is simulated event by event too.
        if let Some(d) = self.s.duration_s {
            skip = skip.min(d - self.now - MIN_WINDOWS_LEFT / 2.0 * window_s);
        }
        if skip < MIN_WINDOWS_LEFT * window_s {
            return;
        }
        // Each kind's threads share alike in the steady state: CPU threads the GIL, I/O threads
        // their requests; each gets its kind's mean held and waited rates.
        let io: Vec<usize> = (0..self.threads.len())
            .filter(|&i| self.threads[i].kind == Kind::Io)
            .collect();
        let mean = |of: &[usize], v: &dyn Fn(usize) -> f64| {
            of.iter().map(|&i| v(i)).sum::<f64>() / of.len().max(1) as f64 / span
        };
        let held = |i: usize| last.held[i] - first.held[i];
        let waited = |i: usize| last.waited[i] - first.waited[i];
        let (held_rate, wait_rate) = (mean(&cpu, &held), mean(&cpu, &waited));
        let (io_held_rate, io_wait_rate) = (mean(&io, &held), mean(&io, &waited));
        let per_s = |f: &dyn Fn(&Snapshot) -> f64| (f(last) - f(first)) / span;
        let switch_rate = per_s(&|s| s.switches as f64);
        let gil_rate = per_s(&|s| s.gil_held_s);
        let request_rate = per_s(&|s| s.requests as f64);
        let request_rates: Vec<f64> = recent
            .windows(2)
            .map(|w| (w[1].requests - w[0].requests) as f64 / (w[1].t - w[0].t))
            .collect();
        let requests_spread = request_rates.iter().copied().fold(0.0, f64::max)
            - request_rates.iter().copied().fold(f64::INFINITY, f64::min);
        let from = self.now;
        // Everything moves on by `skip`: clocks, pending events, and each thread's accounts.
        self.advance_holder();
        for (i, th) in self.threads.iter_mut().enumerate() {
            if cpu.contains(&i) {
                th.burst_s = (th.burst_s - rate / n * skip).max(0.0);
                th.held_s += held_rate * skip;
                th.wait_s += wait_rate * skip;
            } else if th.kind == Kind::Io {
                th.held_s += io_held_rate * skip;
                th.wait_s += io_wait_rate * skip;
            }
            th.since += skip;
            th.warm_until += skip;
            th.next_timeout += skip;
            th.queued_at.0 += skip;
        }
        // The line's record of each wait moves with it.
        self.line.shifted(skip);
        for tid in 0..self.threads.len() {
            if self.line.contains(tid) {
                self.keep_in_line(tid, false);
            }
        }
        self.switches += (switch_rate * skip).round() as u64;
        self.gil_held_s += gil_rate * skip;
        self.requests += (request_rate * skip).round() as u64;
        self.now += skip;
        let events: Vec<Event> = std::mem::take(&mut self.queue).into_vec();
        for mut ev in events {
            // The duration's end stays where it is.
            if !matches!(ev.what, What::Stop) {
                ev.t += skip;
            }
            self.queue.push(ev);
        }
        if let Some((t, w)) = self.drop_timeout {
            self.drop_timeout = Some((t + skip, w));
        }
        // The holder's burst changed: its finish moves.
        if let Some(h) = self.holder {
            self.threads[h].gen += 1;
            self.schedule_finish(h);
        }
        self.extrapolated = Some(Extrapolation {
            from_s: from,
            skipped_s: skip,
            windows: STEADY_WINDOWS,
            window_hand_offs: WINDOW_HAND_OFFS,
            rate_spread: (hi - lo) / lo,
            // The windows' spread over the skipped time, and one window: the end is simulated
            // from threads advanced evenly, which an exact run matches only to within about
            // a window's hand-offs (who took the GIL at each is a draw).
            wall_bound_s: skip * (hi - lo) / lo + window_s,
            requests_bound: if io.is_empty() {
                0.0
            } else {
                skip * requests_spread
            },
        });
    }
}
