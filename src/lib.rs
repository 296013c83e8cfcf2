//! gilsim: reproduce, measure and explain CPython's GIL contention, side by side with Rust.
//!
//! Pipeline: CLI (`cli`) → a scenario builds trials (`scenario`) → the runner executes each in
//! a fresh worker process (`runner`, `worker`) embedding Python (`embed`) or running the Rust
//! twin (`native`) and measuring it (`measure`) → statistics (`stats`) → report (`report`).
#[cfg(not(target_os = "linux"))]
compile_error!(
    "gilsim runs on Linux only: it reads /proc, uses prctl and Linux scheduling statistics"
);

pub mod child_output;
pub mod cli;
pub mod commands;
pub mod domain;
pub mod embed;
pub mod entry;
pub mod files;
pub mod install;
pub mod interpreters;
pub mod lab;
pub mod measure;
pub mod native;
pub mod package;
pub mod paths;
pub mod protocol;
pub mod report;
pub mod runner;
pub mod scenario;
/// The GIL model, a crate of its own (`crates/gilsim-sim`).
pub use gilsim_sim as sim;
pub mod stats;
pub mod usage;
pub mod worker;
