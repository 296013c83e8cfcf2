//! Scenarios: each turns its options into trials, runs them in worker processes and condenses
//! the measurements into rows and a verdict.
pub mod countdown;
pub mod host;
