//! The event loop. Times are seconds of simulated wall time.
//!
//! `new` follows `Python/ceval_gil.c` (3.2+): a thread that wants a locked GIL waits on `cond`
//! for one switch interval; if it times out with no switch in between it sets the drop
//! request; the holder drops at its next eval-breaker check (one iteration later), signals one
//! waiter (the one longest in line, or the still-awake requester: see `signalled`) and,
//! because `FORCE_SWITCHING` is defined, waits on `switch_cond` until another thread has taken
//! the GIL. `switch_number` counts takes by a thread other than the last holder. A woken
//! waiter holds the GIL `wakeup_s` after the signal, unless another waiter's timed wait ends
//! first and finds the GIL free; the dropped thread waits again `rewait_s` after the take. I/O
//! threads release the GIL around each blocking call (`recv`, `send`) and must take it back.
//!
//! `old` (≤ 3.1) releases and re-acquires every `old_check_ticks` ticks; while others wait each
//! release costs `old_release_cost_s`, and a waiter wins with `old_win_probability`. That
//! battle needs the waiter running on another core at the same time: on one core the waiter
//! sleeps while the holder runs, so the holder keeps the GIL at full speed until it finishes.
//!
//! `none` runs every thread at once, sharing `cores` (processor sharing).
//!
//! Timed waits are kept lazily. A waiter's timeouts depend only on its own stream of draws, so
//! they are not events: each waiter keeps a cursor (its next timeout), and cursors are moved on
//! before every event (`catch_up`). A timeout changes nothing but the waiter's place in line
//! and its saved switch count, except the one that finds no switch since the waiter's last
//! wait: it sets the drop request. Only the earliest such timeout is a live event
//! (`DropTimeout`), so the events per hand-off do not grow with the number of waiters, and the
//! answers are those of an engine that scheduled every timeout (the regression snapshot in
//! tests/regression.rs).
mod fast_forward;
mod free_threaded;
mod io;
mod line;
mod new_gil;
mod old_gil;

use super::params::Params;
use super::rng::Rng;
use crate::timeline::Change;
use free_threaded::simulate_free_threaded;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// CPython 3.2+: timed wait, drop request, forced hand-off
    New,
    /// CPython ≤ 3.1: release and re-acquire every 100 ticks, no hand-off
    Old,
    /// Free-threaded: no GIL
    None,
}

impl Policy {
    pub const ALL: [Policy; 3] = [Policy::New, Policy::Old, Policy::None];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Policy::New => "new",
            Policy::Old => "old",
            Policy::None => "none",
        }
    }
}

impl std::str::FromStr for Policy {
    type Err = String;

    fn from_str(text: &str) -> Result<Policy, String> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name() == text)
            .ok_or_else(|| format!("unknown GIL policy '{text}' (new, old or none)"))
    }
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub cpu_threads: usize,
    /// Countdown iterations, split evenly across the CPU threads.
    pub count: u64,
    pub io_threads: usize,
    pub cores: usize,
    pub switch_interval_s: f64,
    pub policy: Policy,
    pub seed: u64,
    /// Stop here even if CPU work remains (needed when there is no CPU work).
    pub duration_s: Option<f64>,
    /// Keep every GIL state change (for pictures).
    pub record: bool,
    /// Model the main thread that starts the CPU threads and joins them, as the study note's
    /// script does (`t.start()` waits for the new thread to run, `t.join()` wakes as each one
    /// ends): the hand-offs that costs dominate the count at long switch intervals.
    pub main_thread: bool,
    /// Simulate every event to the end. Otherwise a long CPU-bound run is simulated until its
    /// hand-off statistics are steady, fast-forwarded at those rates, and its end simulated
    /// again event by event (`Outcome::extrapolated` says by how much and how surely).
    pub exact: bool,
}

impl Scenario {
    /// `threads` CPU-bound threads sharing `count` iterations on `cores` cores under the new
    /// GIL, started and joined by a main thread as the study note's script does (for 2+
    /// threads); no I/O threads, no duration, no picture, seed 1, steady-state fast-forward
    /// allowed. Change any field with `Scenario { field, ..Scenario::cpu_bound(..) }`.
    pub fn cpu_bound(threads: usize, count: u64, switch_interval_s: f64, cores: usize) -> Scenario {
        Scenario {
            cpu_threads: threads,
            count,
            io_threads: 0,
            cores,
            switch_interval_s,
            policy: Policy::New,
            seed: 1,
            duration_s: None,
            record: false,
            main_thread: threads > 1,
            exact: false,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ThreadOutcome {
    pub name: String,
    pub held_s: f64,
    pub wait_s: f64,
    pub done_at_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub wall_s: f64,
    pub switches: u64,
    pub gil_held_s: f64,
    pub threads: Vec<ThreadOutcome>,
    /// Completed I/O requests.
    pub requests: u64,
    pub events: u64,
    /// False when the event limit stopped the run: the figures then cover only `wall_s` of
    /// simulated time, not the whole work.
    pub complete: bool,
    /// The most events one run may take.
    pub event_limit: u64,
    /// Set when part of the run was fast-forwarded at its steady rates.
    pub extrapolated: Option<Extrapolation>,
    #[serde(skip)]
    pub changes: Vec<Change>,
}

/// How much of a run was fast-forwarded, and how far that can move its wall time.
#[derive(Clone, Debug, Serialize)]
pub struct Extrapolation {
    /// Simulated time when the fast-forward began, and how much time it skipped.
    pub from_s: f64,
    pub skipped_s: f64,
    /// The measurement windows the rates came from, and their hand-offs each.
    pub windows: usize,
    pub window_hand_offs: u64,
    /// The largest relative difference of the work rate between those windows.
    pub rate_spread: f64,
    /// ± on `wall_s`: the skipped time × that spread, plus one window.
    pub wall_bound_s: f64,
    /// ± on `requests` (I/O threads): the skipped time × the spread of the windows' request
    /// rates.
    pub requests_bound: f64,
}

/// A run may take at most this many events (with timed waits kept lazily, about five per
/// hand-off); one that reaches it says so (`complete: false`).
pub const EVENT_LIMIT: u64 = 200_000_000;

/// Steady state: windows of this many hand-offs, the last `STEADY_WINDOWS` of which must agree
/// on the work rate within `STEADY_TOLERANCE`, and at least this many more windows of work left.
const WINDOW_HAND_OFFS: u64 = 2_000;
const STEADY_WINDOWS: usize = 3;
const STEADY_TOLERANCE: f64 = 0.005;
const MIN_WINDOWS_LEFT: f64 = 20.0;

/// The state of a run at the end of a measurement window.
#[derive(Clone, Debug)]
struct Snapshot {
    t: f64,
    switches: u64,
    gil_held_s: f64,
    /// Completed I/O requests.
    requests: u64,
    /// Per thread: work left, held and waited so far.
    left: Vec<f64>,
    held: Vec<f64>,
    waited: Vec<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Cpu,
    Io,
    Main,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Holding,
    Waiting,
    Dropping,
    Outside,
    Done,
}

struct Thread {
    kind: Kind,
    state: State,
    gen: u64,
    /// GIL-holding work left in the current burst.
    burst_s: f64,
    /// After taking the GIL from another thread the holder runs at half speed until this
    /// time (cold caches): `switch_cost_s` of work lost if the slice lasts, less if it is cut
    /// short, so that progress never stops however short the slices.
    warm_until: f64,
    /// I/O threads: which half of the request comes next.
    io_half: u8,
    since: f64,
    held_s: f64,
    wait_s: f64,
    saved_switch: u64,
    done_at: Option<f64>,
    /// This thread's own draws for the lateness of its timed waits.
    timeout_rng: Rng,
    /// New GIL, while waiting: when its pending timed wait ends.
    next_timeout: f64,
    /// Its place in line: when (and, for equal times, in which order) it last went to the back.
    queued_at: (f64, u64),
}

#[derive(Clone, Copy, Debug)]
enum What {
    /// New GIL: the earliest timed wait that finds no switch since the waiter's last wait ends
    /// (valid while the token is the engine's current one).
    DropTimeout(usize, u64),
    Wake(usize, u64),
    /// New GIL: a waiter's timed wait ends while the GIL is free (valid for its generation).
    TimedOutFree(usize, u64),
    Finish(usize, u64),
    DropCheck(usize, u64),
    Rewait(usize),
    Ready(usize),
    /// A thread the main thread started reaches take_gil.
    Started(usize),
    OldHandoff(u64),
    Stop,
}

struct Event {
    t: f64,
    seq: u64,
    what: What,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Event {
    // A min-heap on (time, insertion order).
    fn cmp(&self, other: &Self) -> Ordering {
        other.t.total_cmp(&self.t).then(other.seq.cmp(&self.seq))
    }
}

struct Engine<'a> {
    p: &'a Params,
    s: &'a Scenario,
    rng: Rng,
    queue: BinaryHeap<Event>,
    seq: u64,
    threads: Vec<Thread>,
    locked: bool,
    holder: Option<usize>,
    last_holder: Option<usize>,
    switches: u64,
    drop_request: bool,
    /// Old GIL: the threads waiting for the GIL, in line order.
    waiters: VecDeque<usize>,
    /// New GIL: the threads waiting for it (`line.rs`).
    line: line::Line,
    /// Threads in `State::Waiting` (in line, or signalled and not yet awake), and CPU threads
    /// not yet done.
    waiting: usize,
    cpu_left: usize,
    /// New GIL: the live `DropTimeout` (time, waiter) and its token.
    drop_timeout: Option<(f64, usize)>,
    drop_token: u64,
    /// Order of trips to the back of the line at equal times.
    queue_seq: u64,
    /// Steady-state bookkeeping (non-exact CPU-bound runs): window snapshots, and the
    /// fast-forward once made.
    snapshots: Vec<Snapshot>,
    extrapolated: Option<Extrapolation>,
    complete: bool,
    event_limit: u64,
    dropping: Option<usize>,
    /// New GIL: the waiter whose timed wait set the pending drop request.
    requester: Option<usize>,
    /// When the holder took the GIL.
    taken_at: f64,
    gil_held_s: f64,
    requests: u64,
    events: u64,
    changes: Vec<Change>,
    old_gen: u64,
    now: f64,
    /// The modelled main thread's index, the CPU threads it has started, and the one it joins.
    main: Option<usize>,
    started: usize,
    joining: usize,
    /// The thread whose first take wakes the main thread from `t.start()`.
    main_waits_for: Option<usize>,
}

/// Runs the model to the end of the CPU work (or `duration_s`).
pub fn simulate(p: &Params, s: &Scenario) -> Outcome {
    simulate_with_limit(p, s, EVENT_LIMIT)
}

/// `simulate` stopping after `limit` events (the answer then says it is incomplete).
pub fn simulate_with_limit(p: &Params, s: &Scenario, limit: u64) -> Outcome {
    if s.policy == Policy::None {
        return simulate_free_threaded(p, s);
    }
    let per_thread = crate::split(s.count, s.cpu_threads.max(1));
    let mut threads: Vec<Thread> = Vec::new();
    let iteration = if s.cpu_threads + s.io_threads > 1 {
        p.threaded_iteration_s.unwrap_or(p.iteration_s)
    } else {
        p.iteration_s
    };
    for &iterations in per_thread.iter().take(s.cpu_threads) {
        threads.push(Thread::new(
            Kind::Cpu,
            iterations as f64 * iteration,
            Rng::stream(s.seed, threads.len()),
        ));
    }
    for _ in 0..s.io_threads {
        threads.push(Thread::new(
            Kind::Io,
            p.io_request_cpu_s / 2.0,
            Rng::stream(s.seed, threads.len()),
        ));
    }
    // Room for the main thread too.
    let line = line::Line::new(threads.len() + 1);
    let mut e = Engine {
        p,
        s,
        rng: Rng::new(s.seed),
        queue: BinaryHeap::new(),
        seq: 0,
        threads,
        locked: false,
        holder: None,
        last_holder: None,
        switches: 0,
        drop_request: false,
        waiters: VecDeque::new(),
        line,
        waiting: 0,
        cpu_left: s.cpu_threads,
        drop_timeout: None,
        drop_token: 0,
        queue_seq: 0,
        snapshots: Vec::new(),
        extrapolated: None,
        complete: true,
        event_limit: limit,
        dropping: None,
        requester: None,
        taken_at: 0.0,
        gil_held_s: 0.0,
        requests: 0,
        events: 0,
        changes: Vec::new(),
        old_gen: 0,
        now: 0.0,
        main: None,
        started: 0,
        joining: 0,
        main_waits_for: None,
    };
    if let Some(d) = s.duration_s {
        e.push(d, What::Stop);
    }
    if s.main_thread && s.cpu_threads > 0 {
        // The main thread holds the GIL and starts the CPU threads one by one.
        let index = e.threads.len();
        e.threads
            .push(Thread::new(Kind::Main, 0.0, Rng::stream(s.seed, index)));
        let m = e.threads.len() - 1;
        e.main = Some(m);
        e.want(m, 0.0);
        for tid in s.cpu_threads..m {
            e.want(tid, 0.0);
        }
    } else {
        // Threads start one after another, as `t.start()` calls do.
        for tid in 0..e.threads.len() {
            e.want(tid, 0.0);
        }
    }
    e.run();
    if e.main.is_some() && e.last_holder != e.main {
        // The last join returns: the main thread takes the GIL once more.
        e.switches += 1;
    }
    let wall = e.now;
    if let Some(x) = e.extrapolated.as_mut() {
        // A run that ended at its duration has that wall exactly.
        if s.duration_s == Some(wall) {
            x.wall_bound_s = 0.0;
        }
    }
    let threads = e
        .threads
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind != Kind::Main)
        .map(|(i, t)| ThreadOutcome {
            name: thread_name(s, i),
            held_s: t.held_s,
            wait_s: t.wait_s,
            done_at_s: t.done_at,
        })
        .collect();
    Outcome {
        wall_s: wall,
        switches: e.switches,
        gil_held_s: e.gil_held_s,
        threads,
        requests: e.requests,
        events: e.events,
        complete: e.complete,
        event_limit: limit,
        extrapolated: e.extrapolated,
        changes: e.changes,
    }
}

fn thread_name(s: &Scenario, i: usize) -> String {
    if i < s.cpu_threads {
        format!("cpu-{}", i + 1)
    } else {
        format!("io-{}", i - s.cpu_threads + 1)
    }
}

impl Thread {
    fn new(kind: Kind, burst_s: f64, timeout_rng: Rng) -> Thread {
        Thread {
            kind,
            state: State::Outside,
            gen: 0,
            burst_s,
            warm_until: 0.0,
            io_half: 0,
            since: 0.0,
            held_s: 0.0,
            wait_s: 0.0,
            saved_switch: 0,
            done_at: None,
            timeout_rng,
            next_timeout: f64::INFINITY,
            queued_at: (0.0, 0),
        }
    }
}

impl Engine<'_> {
    fn push(&mut self, t: f64, what: What) {
        self.seq += 1;
        self.queue.push(Event {
            t,
            seq: self.seq,
            what,
        });
    }

    fn cpu_left(&self) -> bool {
        self.cpu_left > 0
    }

    fn run(&mut self) {
        if self.s.policy == Policy::New {
            self.schedule_drop_timeout();
        }
        while let Some(ev) = self.queue.pop() {
            self.events += 1;
            if self.events > self.event_limit {
                self.complete = false;
                return;
            }
            if self.s.policy == Policy::New {
                self.catch_up(ev.t);
            }
            self.now = ev.t;
            match ev.what {
                What::Stop => return,
                What::DropTimeout(tid, token) => self.on_drop_timeout(tid, token),
                What::Wake(tid, gen) => self.on_wake(tid, gen),
                What::TimedOutFree(tid, gen) => self.on_timed_out_free(tid, gen),
                What::Finish(tid, gen) => self.on_finish(tid, gen),
                What::DropCheck(tid, gen) => {
                    if self.holder == Some(tid) && self.threads[tid].gen == gen && self.drop_request
                    {
                        self.release(tid, true);
                    }
                }
                What::Rewait(tid) => match self.threads[tid].kind {
                    Kind::Cpu | Kind::Main => self.want(tid, self.now),
                    Kind::Io => self.go_outside(tid),
                },
                What::Ready(tid) => self.on_ready(tid),
                What::Started(tid) => self.want(tid, self.now),
                What::OldHandoff(gen) => self.on_old_handoff(gen),
            }
            if self.s.policy == Policy::New {
                self.schedule_drop_timeout();
            }
            if !self.cpu_left() && self.s.cpu_threads > 0 && self.s.duration_s.is_none() {
                return;
            }
        }
    }

    fn record(&mut self) {
        if self.s.record && self.changes.len() < 2_000_000 {
            self.changes.push(Change {
                t: self.now,
                locked: self.locked,
                holder: self.holder,
                running: self.holder.map_or(0, |h| if h < 64 { 1 << h } else { 0 }),
            });
        }
    }

    /// A thread asks for the GIL (take_gil).
    fn want(&mut self, tid: usize, t: f64) {
        if !self.locked {
            self.take(tid);
            return;
        }
        let old_first_waiter = self.waiters.is_empty();
        let th = &mut self.threads[tid];
        th.state = State::Waiting;
        th.since = t;
        th.gen += 1;
        self.waiting += 1;
        match self.s.policy {
            Policy::New => {
                self.line.join(tid);
                self.wait_again(tid, t);
            }
            _ => {
                self.waiters.push_back(tid);
                self.threads[tid].saved_switch = self.switches;
                if old_first_waiter {
                    self.old_contention_changed();
                }
            }
        }
    }

    fn take(&mut self, tid: usize) {
        let now = self.now;
        self.locked = true;
        self.holder = Some(tid);
        self.taken_at = now;
        let mut warm_up = 0.0;
        let handed_off = self.last_holder.is_some_and(|l| l != tid);
        if handed_off {
            self.switches += 1;
            warm_up = 2.0 * self.p.switch_cost_s;
        }
        self.last_holder = Some(tid);
        self.drop_request = false;
        if self.main_waits_for == Some(tid) {
            // Its bootstrap sets `_started`: the main thread wakes and asks for the GIL.
            self.main_waits_for = None;
            if let Some(m) = self.main {
                let delay = self.rng.jitter(self.p.wakeup_s, self.p.jitter);
                self.push(now + delay, What::Rewait(m));
            }
        }
        if let Some(d) = self.dropping.take() {
            let delay = self.rng.jitter(self.p.rewait_s, self.p.jitter);
            self.push(now + delay, What::Rewait(d));
        }
        let th = &mut self.threads[tid];
        if th.state == State::Waiting {
            th.wait_s += now - th.since;
            self.waiting -= 1;
        }
        th.state = State::Holding;
        th.since = now;
        th.gen += 1;
        th.warm_until = now + warm_up;
        self.record();
        self.schedule_finish(tid);
        if self.s.policy == Policy::Old {
            self.old_contention_changed();
        }
        if handed_off
            && self.switches.is_multiple_of(WINDOW_HAND_OFFS)
            && self.steady_state_allowed()
        {
            self.window_ends();
        }
    }

    /// The holder's finish time at its current rate (old GIL: slowed while others wait;
    /// half speed while warming up).
    fn schedule_finish(&mut self, tid: usize) {
        let rate = self.holder_rate();
        let now = self.now;
        let th = &self.threads[tid];
        let warm = (th.warm_until - now).max(0.0);
        let slow_work = warm * rate * 0.5;
        let at = if th.burst_s <= slow_work {
            now + th.burst_s / (rate * 0.5)
        } else {
            now + warm + (th.burst_s - slow_work) / rate
        };
        let gen = th.gen;
        self.push(at, What::Finish(tid, gen));
    }

    /// drop_gil: `forced` when a drop request made the holder let go (it then waits for
    /// someone else to take the GIL before it may ask again).
    fn release(&mut self, tid: usize, forced: bool) {
        self.advance_holder();
        self.locked = false;
        self.holder = None;
        self.threads[tid].gen += 1;
        self.record();
        let requester = self.requester.take();
        let next = match self.s.policy {
            Policy::New => self.signalled(forced.then_some(requester).flatten()),
            _ => self.waiters.pop_front(),
        };
        if let Some(w) = next {
            // COND_SIGNAL wakes one waiter; its pending timeout no longer matters.
            self.threads[w].gen += 1;
            let gen = self.threads[w].gen;
            let delay = self.rng.jitter(self.p.wakeup_s, self.p.jitter);
            let woken_at = self.now + delay;
            self.push(woken_at, What::Wake(w, gen));
            if self.s.policy == Policy::New {
                self.schedule_timed_out_free(woken_at);
            }
        }
        if forced && !self.waiters_or_waking() {
            // Nobody will take it: the FORCE_SWITCHING wait would end at once.
            self.threads[tid].state = State::Dropping;
            self.push(self.now, What::Rewait(tid));
        } else if forced {
            self.threads[tid].state = State::Dropping;
            self.dropping = Some(tid);
        }
    }

    fn waiters_or_waking(&self) -> bool {
        self.waiting > 0
    }

    /// New GIL: a waiter goes (back) to the end of the line and starts a timed wait of one
    /// switch interval (`pthread_cond_timedwait`), remembering the switch count.
    fn wait_again(&mut self, tid: usize, t: f64) {
        self.queue_seq += 1;
        let (switches, seq) = (self.switches, self.queue_seq);
        let lateness = self.timed_wait(tid);
        let th = &mut self.threads[tid];
        th.saved_switch = switches;
        th.queued_at = (t, seq);
        th.next_timeout = t + lateness;
        self.keep_in_line(tid, true);
    }

    /// New GIL: the line's record of a waiter's current wait (`trip`: it has just gone to the
    /// back of the line; otherwise its times moved).
    fn keep_in_line(&mut self, tid: usize, trip: bool) {
        let th = &self.threads[tid];
        // The wait after this one, drawn from a copy of the stream: the waiter draws it for
        // real when it gets there.
        let mut rng = th.timeout_rng.clone();
        let later = th.next_timeout
            + (self.s.switch_interval_s + rng.jitter(self.p.timeout_latency_s, self.p.jitter));
        let wait = line::Wait {
            tid,
            timeout: th.next_timeout,
            queued_at: th.queued_at.0,
            switch: th.saved_switch,
            later,
        };
        if trip {
            self.line.waited(wait);
        } else {
            self.line.moved(wait);
        }
    }

    /// New GIL: every timed wait that ended before `t` (none of them found a switch-free wait:
    /// that one is the live `DropTimeout`), so each waiter is back in line where it belongs.
    fn catch_up(&mut self, t: f64) {
        while let Some((at, w)) = self.line.first_timeout().filter(|&(at, _)| at < t) {
            // Waiting again is a new pthread_cond_timedwait: glibc puts it in the newest
            // waiter group, behind every thread already waiting.
            self.wait_again(w, at);
        }
    }

    fn on_wake(&mut self, tid: usize, gen: u64) {
        let th = &self.threads[tid];
        if th.gen != gen || th.state != State::Waiting {
            return;
        }
        if !self.locked {
            self.take(tid);
            return;
        }
        // Another thread took the GIL first. New GIL: the take_gil loop waits again, behind
        // the threads already waiting (as after a timeout); old GIL: it stays first in line.
        self.threads[tid].gen += 1;
        if self.s.policy == Policy::New {
            self.line.join(tid);
            self.wait_again(tid, self.now);
        } else {
            self.waiters.push_front(tid);
            self.threads[tid].saved_switch = self.switches;
        }
    }

    fn on_finish(&mut self, tid: usize, gen: u64) {
        if self.threads[tid].gen != gen || self.holder != Some(tid) {
            return;
        }
        self.advance_holder();
        self.threads[tid].burst_s = 0.0;
        match self.threads[tid].kind {
            Kind::Cpu => {
                self.release(tid, false);
                let th = &mut self.threads[tid];
                th.state = State::Done;
                th.done_at = Some(self.now);
                self.cpu_left -= 1;
            }
            Kind::Io => {
                // A blocking call releases the GIL; with a drop request pending, drop_gil also
                // waits for another thread to take it first.
                let forced = self.drop_request;
                self.release(tid, forced);
                if !forced {
                    self.go_outside(tid);
                }
            }
            Kind::Main => self.main_step(tid),
        }
        if self.threads[tid].kind == Kind::Cpu {
            self.main_wakes_from_join(tid);
        }
        if self.s.policy == Policy::Old {
            self.old_contention_changed();
        }
    }

    /// The main thread holds the GIL with nothing to compute: it starts the next CPU thread
    /// (blocking in `Event.wait` until that thread runs, then asking for the GIL back) or, once
    /// all are started, blocks in `join`.
    fn main_step(&mut self, m: usize) {
        let next = self.started;
        self.release(m, false);
        self.threads[m].state = State::Outside;
        if next < self.s.cpu_threads {
            // `t.start()`: the new OS thread reaches take_gil `thread_start_s` later, while
            // the main thread blocks in `_started.wait()` until that thread first runs.
            self.started += 1;
            self.main_waits_for = Some(next);
            self.push(self.now + self.p.thread_start_s, What::Started(next));
        }
    }

    /// A CPU thread ended: if it is the one the main thread joins and others remain, the main
    /// thread takes the GIL to return from that `join` and call the next.
    fn main_wakes_from_join(&mut self, ended: usize) {
        let Some(m) = self.main else { return };
        if self.joining != ended {
            return;
        }
        let mut j = ended;
        while j < self.s.cpu_threads && self.threads[j].state == State::Done {
            j += 1;
        }
        self.joining = j;
        if j < self.s.cpu_threads && self.started >= self.s.cpu_threads {
            self.want(m, self.now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(threads: usize, policy: Policy, interval: f64) -> Scenario {
        Scenario {
            policy,
            main_thread: false,
            ..Scenario::cpu_bound(threads, 50_000_000, interval, 2)
        }
    }

    #[test]
    fn one_thread_never_hands_off() {
        let p = Params::default();
        let o = simulate(&p, &scenario(1, Policy::New, 0.005));
        assert_eq!(o.switches, 0);
        assert!((o.wall_s - 50e6 * p.iteration_s).abs() < 1e-9);
    }

    #[test]
    fn the_main_thread_adds_its_start_and_join_hand_offs() {
        let p = Params::default();
        for threads in [2, 4] {
            let alone = simulate(&p, &scenario(threads, Policy::New, 0.05));
            let with_main = simulate(
                &p,
                &Scenario {
                    main_thread: true,
                    exact: false,
                    ..scenario(threads, Policy::New, 0.05)
                },
            );
            // Each start hands the GIL to a CPU thread and back after one interval; the joins
            // take it once more at the end (and between threads that end apart).
            let extra = with_main.switches as i64 - alone.switches as i64;
            assert!(
                (threads as i64..=3 * threads as i64 + 2).contains(&extra),
                "{threads} threads: {} with the main thread vs {} without",
                with_main.switches,
                alone.switches
            );
            assert_eq!(
                with_main.threads.len(),
                threads,
                "the main thread is not a row"
            );
            assert!(with_main.gil_held_s <= with_main.wall_s + 1e-9);
        }
    }

    #[test]
    fn a_started_thread_queues_behind_the_threads_already_waiting() {
        // As measured (`gilsim timeline`, 2 threads at 50 ms): main, Thread-1, main (back from
        // the first start after one interval), Thread-1 again (it was waiting when the main
        // thread let go to start Thread-2), then Thread-2 after one more interval.
        let o = simulate(
            &Params::default(),
            &Scenario {
                main_thread: true,
                exact: false,
                record: true,
                ..scenario(2, Policy::New, 0.05)
            },
        );
        let mut holders: Vec<usize> = Vec::new();
        for h in o.changes.iter().filter_map(|c| c.holder) {
            if holders.last() != Some(&h) {
                holders.push(h);
            }
        }
        let main = 2;
        assert_eq!(holders[..5], [main, 0, main, 0, 1], "{holders:?}");
        let second_start = o
            .changes
            .iter()
            .filter(|c| c.holder == Some(1))
            .map(|c| c.t)
            .next()
            .unwrap();
        assert!((0.09..0.11).contains(&second_start), "{second_start}");
    }

    #[test]
    fn new_gil_hands_off_once_per_interval() {
        let p = Params::default();
        let o = simulate(&p, &scenario(2, Policy::New, 0.005));
        let slice = 0.005 + p.rewait_s + p.wakeup_s + p.timeout_latency_s;
        let expected = o.wall_s / slice;
        assert!(
            (o.switches as f64 - expected).abs() < 0.1 * expected,
            "{} vs {expected}",
            o.switches
        );
        for t in &o.threads {
            assert!(t.held_s <= o.wall_s);
        }
        assert!(o.gil_held_s <= o.wall_s + 1e-9);
        let total: f64 = o.threads.iter().map(|t| t.held_s).sum();
        assert!((total - o.gil_held_s).abs() < 1e-9);
    }

    #[test]
    fn free_threaded_splits_the_time() {
        let p = Params::default();
        let one = simulate(&p, &scenario(1, Policy::None, 0.005)).wall_s;
        let two = simulate(&p, &scenario(2, Policy::None, 0.005)).wall_s;
        let four = simulate(&p, &scenario(4, Policy::None, 0.005));
        assert!((two - one / 2.0).abs() < 1e-9);
        // 4 threads on 2 cores take as long as 2 on 2.
        assert!((four.wall_s - one / 2.0).abs() < 1e-9);
    }

    #[test]
    fn old_gil_is_slower_with_two_threads() {
        let p = Params::default();
        let one = simulate(&p, &scenario(1, Policy::Old, 0.005)).wall_s;
        let two = simulate(&p, &scenario(2, Policy::Old, 0.005));
        let ratio = two.wall_s / one;
        assert!(
            ratio > 1.5 && ratio < 2.1,
            "old GIL 2 threads / 1 = {ratio}"
        );
    }

    #[test]
    fn old_gil_battle_needs_a_second_core() {
        let p = Params::default();
        let on = |threads, cores| {
            simulate(
                &p,
                &Scenario {
                    cores,
                    ..scenario(threads, Policy::Old, 0.005)
                },
            )
            .wall_s
        };
        // Beazley's direction: two threads slower on two cores than on one, where the waiter
        // sleeps while the holder runs.
        assert!(on(2, 2) > 1.3 * on(2, 1), "{} vs {}", on(2, 2), on(2, 1));
        assert!(on(2, 1) < 1.1 * on(1, 1), "{} vs {}", on(2, 1), on(1, 1));
    }

    #[test]
    fn same_seed_same_answer() {
        let p = Params::default();
        let a = simulate(&p, &scenario(4, Policy::New, 0.001));
        let b = simulate(&p, &scenario(4, Policy::New, 0.001));
        assert_eq!(a.switches, b.switches);
        assert_eq!(a.wall_s, b.wall_s);
        let mut other = scenario(4, Policy::New, 0.001);
        other.seed = 2;
        assert_ne!(simulate(&p, &other).wall_s, a.wall_s);
    }

    #[test]
    fn an_io_thread_beside_a_cpu_thread_convoys() {
        let p = Params::default();
        let mut alone = scenario(0, Policy::New, 0.005);
        alone.io_threads = 1;
        alone.duration_s = Some(1.0);
        let rate_alone = simulate(&p, &alone).requests as f64;
        let mut busy = alone.clone();
        busy.cpu_threads = 1;
        busy.count = u64::MAX / 4;
        let rate_busy = simulate(&p, &busy).requests as f64;
        assert!(rate_alone > 20_000.0, "{rate_alone}");
        // The convoy: each request waits for forced hand-offs from the CPU thread.
        assert!(
            rate_busy < rate_alone / 20.0,
            "{rate_busy} vs {rate_alone} alone"
        );
    }

    fn for_a_second(cpu_threads: usize, io_threads: usize, interval: f64) -> Scenario {
        Scenario {
            cpu_threads,
            io_threads,
            count: u64::MAX / 4,
            duration_s: Some(1.0),
            ..scenario(cpu_threads, Policy::New, interval)
        }
    }

    #[test]
    fn a_requester_that_always_wins_leaves_the_third_thread_behind() {
        // Three CPU threads: the thread just forced to drop is back in line first, so its
        // timed wait usually ends first and sets the next drop request. Winning it, it and the
        // holder take turns while the thread first in line waits.
        let held = |wins: f64| {
            let p = Params {
                requester_wins: wins,
                ..Params::default()
            };
            let o = simulate(&p, &for_a_second(3, 0, 0.005));
            let shares: Vec<f64> = o.threads.iter().map(|t| t.held_s / o.wall_s).collect();
            let lo = shares.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = shares.iter().copied().fold(0.0, f64::max);
            (lo, hi)
        };
        let (lo, hi) = held(0.0);
        assert!(lo > 0.8 * hi, "first in line: shares {lo} to {hi}");
        let (lo, hi) = held(1.0);
        assert!(lo < 0.5 * hi, "requester wins: shares {lo} to {hi}");
    }

    #[test]
    fn an_io_thread_loses_hand_offs_to_awake_requesters() {
        let requests = |wins: f64| {
            let p = Params {
                requester_wins: wins,
                ..Params::default()
            };
            simulate(&p, &for_a_second(2, 1, 0.001)).requests
        };
        // The server is first in line more often than it is the requester (a CPU thread just
        // forced to drop usually times out first), so awake requesters cost it hand-offs.
        let (fifo, awake) = (requests(0.0), requests(1.0));
        assert!(
            (awake as f64) < 0.9 * fifo as f64,
            "{awake} requests vs {fifo}"
        );
    }

    #[test]
    fn a_timed_wait_that_ends_while_the_gil_is_free_takes_it() {
        // Six threads, and a signalled waiter needs 50 ms to wake, at a 1 ms interval: were
        // the signal the only way to a free GIL there would be at most 20 hand-offs a second.
        // The waiters still in line time out every millisecond and take it first.
        let p = Params {
            wakeup_s: 50e-3,
            requester_wins: 0.0,
            ..Params::default()
        };
        let o = simulate(&p, &for_a_second(6, 0, 0.001));
        assert!(o.switches > 40, "{} hand-offs in a second", o.switches);
    }

    #[test]
    fn on_one_core_a_hand_off_waits_for_the_holders_slice_to_end() {
        let p = Params {
            single_core_slice_s: 4e-3,
            ..Params::default()
        };
        let period = |interval: f64, cores: usize| {
            let s = Scenario {
                cores,
                ..for_a_second(2, 0, interval)
            };
            let o = simulate(&p, &s);
            o.wall_s / o.switches as f64
        };
        // A short interval ends within the first slice, a 5 ms one within the second.
        let short = period(1e-4, 1);
        assert!((4e-3..4.3e-3).contains(&short), "{short}");
        let long = period(5e-3, 1);
        assert!((8e-3..8.3e-3).contains(&long), "{long}");
        // With a second core the waiter runs at once.
        let two = period(1e-4, 2);
        assert!(two < 0.5e-3, "{two}");
    }
}
