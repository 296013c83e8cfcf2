//! The profile's tables: one row per thread, and the functions that hold, wait and release.
use super::{GilUse, Profile, ThreadProfile};
use crate::report::render::csv_fields;
use crate::report::{Cell, Row};
use crate::scenario::watch::rows::percent;
use serde::Serialize;
use std::collections::BTreeMap;

impl Row for ThreadProfile {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("thread", self.tid.map_or("?".into(), |t| t.to_string())),
            Cell::new("name", self.name.clone()),
            Cell::new("samples", self.samples.to_string()),
            Cell::new("held the GIL", percent(Some(self.held_fraction))),
            Cell::new("waited for it", percent(Some(self.waiting_fraction))),
            Cell::new("ran without it", percent(Some(self.released_fraction))),
            Cell::new("idle", percent(Some(self.idle_fraction))),
            Cell::new("on CPU (exact)", percent(self.cpu_fraction)),
            Cell::new("run queue (exact)", percent(self.runqueue_fraction)),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            ?tid, name, samples, held_fraction, waiting_fraction, released_fraction, idle_fraction,
            ?cpu_fraction, ?runqueue_fraction,
        )
    }
}

/// The innermost frame of a stack, or what stands for none.
pub fn leaf(frames: &[String]) -> String {
    frames
        .last()
        .cloned()
        .unwrap_or_else(|| "(no Python frame)".into())
}

/// A function (innermost frame) in one state, over all threads.
#[derive(Clone, Debug, Serialize)]
pub struct FunctionRow {
    pub function: String,
    pub samples: u64,
    /// Share of all the samples of this state.
    pub share: f64,
}

/// The functions most seen in state `state`, most first.
pub fn top_functions(p: &Profile, state: GilUse, most: usize) -> Vec<FunctionRow> {
    let mut by_leaf: BTreeMap<String, u64> = BTreeMap::new();
    for s in p.stacks.iter().filter(|s| s.state == state) {
        *by_leaf.entry(leaf(&s.frames)).or_default() += s.samples;
    }
    let total: u64 = by_leaf.values().sum();
    let mut rows: Vec<FunctionRow> = by_leaf
        .into_iter()
        .map(|(function, samples)| FunctionRow {
            function,
            samples,
            share: samples as f64 / total.max(1) as f64,
        })
        .collect();
    rows.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.function.cmp(&b.function)));
    rows.truncate(most);
    rows
}

impl Row for FunctionRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("function", self.function.clone()),
            Cell::new("samples", self.samples.to_string()),
            Cell::new("share", percent(Some(self.share))),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            function, samples, share,
        )
    }
}

/// A waiting function and the function holding the GIL meanwhile.
#[derive(Clone, Debug, Serialize)]
pub struct BehindRow {
    pub waiter: String,
    pub holder: String,
    pub samples: u64,
}

/// The (waiter, holder) function pairs most seen, most first.
pub fn top_pairs(p: &Profile, most: usize) -> Vec<BehindRow> {
    let mut pairs: BTreeMap<(String, String), u64> = BTreeMap::new();
    for w in &p.waits_behind {
        let holder = match w.holder_thread {
            Some(tid) => format!("{} (thread {tid})", leaf(&w.holder)),
            None => "(no holder: the GIL was changing hands)".into(),
        };
        let waiter = match w.waiter_thread {
            Some(tid) => format!("{} (thread {tid})", leaf(&w.waiter)),
            None => leaf(&w.waiter),
        };
        *pairs.entry((waiter, holder)).or_default() += w.samples;
    }
    let mut rows: Vec<BehindRow> = pairs
        .into_iter()
        .map(|((waiter, holder), samples)| BehindRow {
            waiter,
            holder,
            samples,
        })
        .collect();
    rows.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.waiter.cmp(&b.waiter)));
    rows.truncate(most);
    rows
}

impl Row for BehindRow {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::new("waiting function", self.waiter.clone()),
            Cell::new("behind the holder's function", self.holder.clone()),
            Cell::new("samples", self.samples.to_string()),
        ]
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            waiter, holder, samples,
        )
    }
}
