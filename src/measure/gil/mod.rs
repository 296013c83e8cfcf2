//! Exact GIL instrumentation: gilsim hosts the interpreter, so a host thread that does not
//! hold the GIL can read the GIL's own state (`_gil_runtime_state`: `locked`, `last_holder`,
//! `switch_number`, `interval`) directly from memory.
//!
//! - `locate`: finds that struct inside `_PyRuntime` by calibration and confirms it;
//! - `host_module`: the `_gilsim` module Python code calls into;
//! - `registry`: which Python thread owns which thread state (and its OS thread id);
//! - `sampler`: a host thread reading the state at ≥ 10 kHz into bounded counters;
//! - `watch`: the sampling modes and the start/finish pair around a trial;
//! - `stats`: the per-trial figures reported in JSON and tables.
pub mod host_module;
pub mod locate;
pub mod probe;
pub mod registry;
pub mod sampler;
pub mod stats;
pub mod watch;
