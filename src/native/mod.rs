//! Native Rust twins of the seed's Python workloads.
pub mod countdown;
pub mod pool;
pub mod queue;
pub mod rust_gil;
