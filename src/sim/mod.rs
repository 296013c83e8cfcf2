//! A discrete-event model of CPython's GIL: threads made of CPU bursts and I/O waits, the GIL
//! with a selectable policy (`new`: 3.2+ timed wait, drop request, forced hand-off; `old`:
//! ≤ 3.1 release and re-acquire every 100 ticks; `none`: free-threaded), and C cores.
//! Deterministic for a given seed. Parameters come from `gilsim calibrate` (see `params`).
pub mod engine;
pub mod params;
pub mod rng;

pub use engine::{simulate, Outcome, Policy, Scenario};
pub use params::Params;
