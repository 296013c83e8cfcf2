//! What gilsim reads from the operating system about a run: CPU time and context switches
//! (`getrusage`) and the libpython actually mapped into the process; and CPython's own state,
//! in this process (`gil`) or another (`outside`), through one reader (`memory`) with the
//! layouts of each version (`layout`).
pub mod affinity;
pub mod clock;
pub mod cpu_speed;
pub mod gil;
pub mod layout;
pub mod load;
pub mod maps;
pub mod memory;
pub mod outside;
pub mod rusage;
pub mod tasks;
