//! What the samples saw, counted: per thread and state, per stack, and per waiter/holder pair.
use super::{GilUse, StackSamples, WaitBehind};
use crate::measure::outside::stacks::PythonThread;
use crate::measure::tasks::TaskTimes;
use std::collections::{BTreeMap, HashMap};

/// A waiter and the holder at the same samples: (waiter thread, its stack, holder thread, its
/// stack).
type PairKey = (Option<u64>, Vec<String>, Option<u64>, Vec<String>);

/// One stack of one thread in one state: (thread, state, what it was parked on, frames).
type StackKey = (Option<u64>, GilUse, Option<String>, Vec<String>);

/// One thread's samples by state.
#[derive(Default)]
pub struct ThreadCounts {
    pub name: String,
    pub by_use: [u64; 4],
}

#[derive(Default)]
pub struct Tally {
    pub counts: BTreeMap<Option<u64>, ThreadCounts>,
    by_stack: HashMap<StackKey, u64>,
    behind: HashMap<PairKey, u64>,
}

impl Tally {
    /// One sample: every thread seen, with its state.
    pub fn add(&mut self, seen: &[(PythonThread, GilUse, Option<String>)]) {
        let holder = seen.iter().find(|(_, u, _)| *u == GilUse::Held);
        for (t, gil_use, waits_on) in seen {
            let entry = self.counts.entry(t.tid).or_default();
            if let Some(name) = &t.name {
                entry.name.clone_from(name);
            }
            entry.by_use[*gil_use as usize] += 1;
            *self
                .by_stack
                .entry((t.tid, *gil_use, waits_on.clone(), t.frames.clone()))
                .or_default() += 1;
            // Behind a GIL holder only: a thread parked inside a free-threaded interpreter
            // waits for a lock, not for the GIL.
            if *gil_use == GilUse::Waiting && waits_on.is_none() {
                let (holder_thread, holder_frames) =
                    holder.map_or((None, Vec::new()), |(h, _, _)| (h.tid, h.frames.clone()));
                *self
                    .behind
                    .entry((t.tid, t.frames.clone(), holder_thread, holder_frames))
                    .or_default() += 1;
            }
        }
    }

    /// The thread's name: Python's, else the kernel's.
    pub fn name(&self, tid: Option<u64>, tasks: &BTreeMap<u64, TaskTimes>) -> String {
        self.counts
            .get(&tid)
            .map(|c| c.name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| tid.and_then(|t| tasks.get(&t)).map(|t| t.name.clone()))
            .unwrap_or_default()
    }

    /// The stacks and the waiter/holder pairs, most samples first.
    pub fn into_stacks(
        self,
        names: &dyn Fn(Option<u64>) -> String,
    ) -> (Vec<StackSamples>, Vec<WaitBehind>) {
        let mut stacks: Vec<StackSamples> = self
            .by_stack
            .into_iter()
            .map(
                |((thread, state, waits_on, frames), samples)| StackSamples {
                    thread,
                    thread_name: names(thread),
                    frames,
                    state,
                    waits_on,
                    samples,
                },
            )
            .collect();
        stacks.sort_by(|a, b| {
            (b.samples, a.thread, a.state, &a.waits_on, &a.frames).cmp(&(
                a.samples,
                b.thread,
                b.state,
                &b.waits_on,
                &b.frames,
            ))
        });
        let mut behind: Vec<WaitBehind> = self
            .behind
            .into_iter()
            .map(
                |((waiter_thread, waiter, holder_thread, holder), samples)| WaitBehind {
                    waiter_thread,
                    waiter,
                    holder_thread,
                    holder,
                    samples,
                },
            )
            .collect();
        behind.sort_by(|a, b| {
            (b.samples, &a.waiter, &a.holder).cmp(&(a.samples, &b.waiter, &b.holder))
        });
        (stacks, behind)
    }
}
