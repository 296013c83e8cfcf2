//! What gilsim reads from the operating system about a run: CPU time and context switches
//! (`getrusage`) and the libpython actually mapped into the process.
pub mod affinity;
pub mod clock;
pub mod cpu_speed;
pub mod gil;
pub mod load;
pub mod maps;
pub mod outside;
pub mod rusage;
pub mod tasks;
