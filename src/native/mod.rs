//! Native Rust twins of the study note's Python workloads.
pub mod countdown;
pub mod echo_client;
pub mod pool;
pub mod queue;
pub mod race;
pub mod rust_gil;
