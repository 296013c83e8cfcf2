//! The old GIL (≤ 3.1): release and re-acquire every `old_check_ticks` ticks, and the battle
//! for it across cores.
use super::*;

impl Engine<'_> {
    /// Old GIL: whether waiters contend for it from other cores while the holder runs.
    pub(super) fn old_battle(&self) -> bool {
        self.s.policy == Policy::Old && self.s.cores >= 2 && !self.waiters.is_empty()
    }

    pub(super) fn holder_rate(&self) -> f64 {
        if self.old_battle() {
            let period = self.old_period();
            period / (period + self.p.old_release_cost_s)
        } else {
            1.0
        }
    }

    pub(super) fn old_period(&self) -> f64 {
        self.p.old_check_ticks / self.p.old_ticks_per_iteration * self.p.iteration_s
    }

    /// Accounts the holder's progress up to now (before its rate or state changes).
    pub(super) fn advance_holder(&mut self) {
        if let Some(h) = self.holder {
            let rate = self.holder_rate();
            let now = self.now;
            let th = &mut self.threads[h];
            let held = now - th.since;
            let warm = (th.warm_until.min(now) - th.since).max(0.0);
            th.held_s += held;
            self.gil_held_s += held;
            th.burst_s = (th.burst_s - (held - warm * 0.5) * rate).max(0.0);
            th.since = now;
        }
    }

    /// Old GIL: the set of waiters changed, so the holder's speed and the next hand-off change.
    pub(super) fn old_contention_changed(&mut self) {
        if self.s.policy != Policy::Old {
            return;
        }
        self.advance_holder();
        if let Some(h) = self.holder {
            self.threads[h].gen += 1;
            self.schedule_finish(h);
        }
        self.old_gen += 1;
        if self.holder.is_some() && self.old_battle() {
            let checks = self.rng.geometric(self.p.old_win_probability);
            let period = self.old_period() + self.p.old_release_cost_s;
            if checks != u64::MAX {
                let at = self.now + checks as f64 * period;
                self.push(at, What::OldHandoff(self.old_gen));
            }
        }
    }

    /// Old GIL: at a release the woken waiter won the GIL this time.
    pub(super) fn on_old_handoff(&mut self, gen: u64) {
        if gen != self.old_gen || self.waiters.is_empty() {
            return;
        }
        let Some(h) = self.holder else { return };
        self.advance_holder();
        self.locked = false;
        self.holder = None;
        self.threads[h].gen += 1;
        let pick = self.rng.below(self.waiters.len());
        let w = self.waiters.remove(pick).expect("a waiter");
        self.take(w);
        // The old holder keeps asking (it does not wait for anyone).
        self.want(h, self.now);
    }
}
