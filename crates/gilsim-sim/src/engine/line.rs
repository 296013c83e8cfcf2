//! New GIL: the threads waiting for the GIL, kept so that what the engine asks of them at every
//! event costs O(log n) however many threads wait: the earliest timed wait to end (a min-heap),
//! the thread longest in line (a FIFO: threads go to the back in time order), and the earliest
//! timed wait that will find no switch since it began (the drop request's): the waits begun
//! since the last switch in one min-heap by their end (emptied at a switch), and every wait in
//! one by the end of the wait after it.
//!
//! Entries are dropped lazily: each carries its thread's stamp when it was pushed, and a
//! thread's stamp changes whenever it waits again or leaves the line, so older entries are
//! skipped when they surface. Ties go to the thread that joined the line first, as a scan of
//! the line in order would.
use std::cmp::Ordering;

use std::collections::{BinaryHeap, VecDeque};

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// The time's bits: for times ≥ 0 they order as the times do, and compare faster.
    at: u64,
    /// Breaks ties at equal `at`: the place in line.
    place: u64,
    tid: u32,
    stamp: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed: `BinaryHeap` keeps the largest on top, the line wants the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.place).cmp(&(self.at, self.place))
    }
}

/// One wait as the line keeps it (see `Line::waited`).
pub(super) struct Wait {
    pub tid: usize,
    /// When its timed wait ends.
    pub timeout: f64,
    /// When it went to the back of the line (non-decreasing from one wait to the next).
    pub queued_at: f64,
    /// The switch count when it began this wait.
    pub switch: u64,
    /// When the timed wait after this one ends (the one that counts if a switch happens first).
    pub later: f64,
}

#[derive(Default)]
pub(super) struct Line {
    /// Per thread: its place in line (None: not in it), and the stamps of its current entries
    /// in the heaps and in the FIFO.
    place: Vec<Option<u64>>,
    stamp: Vec<u32>,
    queue_stamp: Vec<u32>,
    next_place: u64,
    /// Every wait's end.
    by_timeout: BinaryHeap<Entry>,
    /// Trips to the back of the line, oldest first.
    by_queue: VecDeque<(u32, u32)>,
    last_queued_at: f64,
    /// The ends of the waits begun at switch count `fresh_switch` (the newest seen).
    fresh: BinaryHeap<Entry>,
    fresh_switch: u64,
    /// Every wait, by the end of the wait after it.
    later: BinaryHeap<Entry>,
}

impl Line {
    pub fn new(threads: usize) -> Line {
        Line {
            place: vec![None; threads],
            stamp: vec![0; threads],
            queue_stamp: vec![0; threads],
            last_queued_at: f64::NEG_INFINITY,
            ..Line::default()
        }
    }

    pub fn contains(&self, tid: usize) -> bool {
        self.place[tid].is_some()
    }

    /// `tid` goes to the back of the line (its wait is given with `waited`).
    pub fn join(&mut self, tid: usize) {
        debug_assert!(self.place[tid].is_none());
        self.place[tid] = Some(self.next_place);
        self.next_place += 1;
    }

    pub fn leave(&mut self, tid: usize) {
        if self.place[tid].take().is_some() {
            self.stamp[tid] = self.stamp[tid].wrapping_add(1);
            self.queue_stamp[tid] = self.queue_stamp[tid].wrapping_add(1);
        }
    }

    /// A thread in line begins a new timed wait at the back of the line; a thread not in line
    /// is ignored.
    pub fn waited(&mut self, w: Wait) {
        if !self.contains(w.tid) {
            return;
        }
        debug_assert!(
            w.queued_at >= self.last_queued_at,
            "the line's FIFO is in time order"
        );
        self.last_queued_at = w.queued_at;
        let q = &mut self.queue_stamp[w.tid];
        *q = q.wrapping_add(1);
        self.by_queue.push_back((w.tid as u32, *q));
        self.moved(w);
    }

    /// A wait's times moved (the fast-forward): its place and its trip stay.
    pub fn moved(&mut self, w: Wait) {
        let Some(place) = self.place[w.tid] else {
            return;
        };
        let s = &mut self.stamp[w.tid];
        *s = s.wrapping_add(1);
        debug_assert!(w.timeout >= 0.0 && w.later >= w.timeout);
        let timeout = Entry {
            at: w.timeout.to_bits(),
            place,
            tid: w.tid as u32,
            stamp: *s,
        };
        self.by_timeout.push(timeout);
        self.later.push(Entry {
            at: w.later.to_bits(),
            ..timeout
        });
        // The switch count only grows: waits begun before the newest count are never fresh.
        if w.switch > self.fresh_switch {
            self.fresh.clear();
            self.fresh_switch = w.switch;
        }
        if w.switch == self.fresh_switch {
            self.fresh.push(timeout);
        }
        self.compact();
    }

    /// After a shift of every time, the FIFO's last time moves too.
    pub fn shifted(&mut self, skip: f64) {
        self.last_queued_at += skip;
    }

    /// Drops stale entries below the tops once they outnumber the live ones.
    fn compact(&mut self) {
        let live_n = self.place.len();
        if self.by_timeout.len() + self.later.len() + self.fresh.len() <= 16 * (live_n + 16) {
            return;
        }
        let (place, stamp) = (&self.place, &self.stamp);
        let live = |e: &Entry| place[e.tid as usize].is_some() && stamp[e.tid as usize] == e.stamp;
        for heap in [&mut self.by_timeout, &mut self.later, &mut self.fresh] {
            heap.retain(live);
        }
        let queue_stamp = &self.queue_stamp;
        self.by_queue
            .retain(|&(t, q)| place[t as usize].is_some() && queue_stamp[t as usize] == q);
    }

    /// The top live entry of `heap` (stale ones are dropped on the way).
    fn top(heap: &mut BinaryHeap<Entry>, place: &[Option<u64>], stamp: &[u32]) -> Option<Entry> {
        while let Some(e) = heap.peek() {
            if place[e.tid as usize].is_some() && stamp[e.tid as usize] == e.stamp {
                return Some(*e);
            }
            heap.pop();
        }
        None
    }

    /// The earliest end of a timed wait, and whose.
    pub fn first_timeout(&mut self) -> Option<(f64, usize)> {
        Self::top(&mut self.by_timeout, &self.place, &self.stamp)
            .map(|e| (f64::from_bits(e.at), e.tid as usize))
    }

    /// The thread longest in line.
    pub fn first_in_line(&mut self) -> Option<usize> {
        while let Some(&(tid, q)) = self.by_queue.front() {
            let tid = tid as usize;
            if self.place[tid].is_some() && self.queue_stamp[tid] == q {
                return Some(tid);
            }
            self.by_queue.pop_front();
        }
        None
    }

    /// The earliest timed wait that will find no switch since it began, with `switches` the
    /// count now: a wait begun at this count ends at its timeout; any other's own wait finds a
    /// switch, so the one after it counts (`Wait::later`).
    pub fn drop_timeout(&mut self, switches: u64) -> Option<(f64, usize)> {
        let fresh = if switches == self.fresh_switch {
            Self::top(&mut self.fresh, &self.place, &self.stamp)
        } else {
            None
        };
        // Every wait's `later` is here, the fresh ones' too: a fresh wait's `later` comes after
        // its own end, so it cannot beat the fresh minimum it stands behind.
        let later = Self::top(&mut self.later, &self.place, &self.stamp);
        // Entries order in reverse: the larger is the earlier.
        let best = match (fresh, later) {
            (Some(f), Some(l)) => Some(f.max(l)),
            (f, l) => f.or(l),
        };
        best.map(|e| (f64::from_bits(e.at), e.tid as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// What a scan of the line in order answers, from a plain list of the waits.
    struct Scan {
        /// (tid, place, timeout, queued_at, switch, later), in line order.
        waits: Vec<(usize, u64, f64, f64, u64, f64)>,
    }

    impl Scan {
        fn first_timeout(&self) -> Option<(f64, usize)> {
            let mut best: Option<(f64, usize)> = None;
            for w in &self.waits {
                if best.is_none_or(|(t, _)| w.2 < t) {
                    best = Some((w.2, w.0));
                }
            }
            best
        }

        fn first_in_line(&self) -> Option<usize> {
            // Trips are in time order, so the earliest `queued_at` (first in line at a tie).
            let mut best: Option<(f64, usize)> = None;
            for w in &self.waits {
                if best.is_none_or(|(t, _)| w.3 < t) {
                    best = Some((w.3, w.0));
                }
            }
            best.map(|b| b.1)
        }

        fn drop_timeout(&self, switches: u64) -> Option<(f64, usize)> {
            let mut best: Option<(f64, usize)> = None;
            for w in &self.waits {
                let at = if w.4 == switches { w.2 } else { w.5 };
                if best.is_none_or(|(t, _)| at < t) {
                    best = Some((at, w.0));
                }
            }
            best
        }
    }

    #[test]
    fn the_heaps_answer_what_a_scan_of_the_line_would() {
        let threads = 40;
        let mut rng = Rng::new(3);
        let mut line = Line::new(threads);
        let mut scan = Scan { waits: Vec::new() };
        let (mut now, mut switches, mut place) = (0.0f64, 0u64, 0u64);
        for step in 0..20_000 {
            now += rng.uniform() * 1e-4;
            if rng.uniform() < 0.05 {
                switches += 1;
            }
            let tid = rng.below(threads);
            let roll = rng.uniform();
            // Times on a coarse grid, so that ties (decided by place in line) happen.
            let grid = |t: f64| (t * 1e4).round() / 1e4;
            let timeout = grid(now + 1e-3 + rng.uniform() * 2e-4);
            let later = timeout + grid(1e-3 + rng.uniform() * 2e-4);
            let wait = |tid| Wait {
                tid,
                timeout,
                queued_at: now,
                switch: switches,
                later,
            };
            if line.contains(tid) && roll < 0.3 {
                line.leave(tid);
                scan.waits.retain(|w| w.0 != tid);
            } else if line.contains(tid) {
                line.waited(wait(tid));
                let w = scan.waits.iter_mut().find(|w| w.0 == tid).unwrap();
                (w.2, w.3, w.4, w.5) = (timeout, now, switches, later);
            } else {
                line.join(tid);
                line.waited(wait(tid));
                scan.waits.push((tid, place, timeout, now, switches, later));
                place += 1;
            }
            assert_eq!(line.first_timeout(), scan.first_timeout(), "step {step}");
            assert_eq!(line.first_in_line(), scan.first_in_line(), "step {step}");
            assert_eq!(
                line.drop_timeout(switches),
                scan.drop_timeout(switches),
                "step {step}"
            );
        }
    }
}
