//! Every Python on the machine: where gilsim looks (`discover`), what each one is (`probe`),
//! and naming one by version (`2.7`, `3.12`, `3.13t`) or path (`resolve`).
pub mod discover;
pub mod probe;

pub use discover::{discover, resolve};
pub use probe::{GilKind, Interpreter};
