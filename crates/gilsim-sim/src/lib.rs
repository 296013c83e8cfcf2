//! A discrete-event model of CPython's GIL: threads made of CPU bursts and I/O waits, the GIL
//! with a selectable policy (`new`: 3.2+ timed wait, drop request, forced hand-off; `old`:
//! ≤ 3.1 release and re-acquire every 100 ticks; `none`: free-threaded), and C cores.
//! Deterministic for a given seed. Parameters come from `gilsim calibrate` (see `params`).
//!
//! This crate has no Python, command-line or report dependency: its tests and benchmark run
//! on a machine with no libpython.
pub mod engine;
pub mod params;
pub mod rng;
pub mod timeline;

pub use engine::{simulate, simulate_with_limit, Extrapolation, Outcome, Policy, Scenario};
pub use params::{FieldSource, Params};
pub use timeline::Change;

/// `count` split across `workers` as evenly as whole numbers allow (the first ones get the
/// remainder), as the study note's countdown splits its COUNT.
pub fn split(count: u64, workers: usize) -> Vec<u64> {
    let w = workers as u64;
    (0..w)
        .map(|i| count / w + u64::from(i < count % w))
        .collect()
}
