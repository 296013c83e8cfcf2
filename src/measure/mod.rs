//! What gilsim reads from the operating system about a run: CPU time and context switches
//! (`getrusage`) and the libpython actually mapped into the process.
pub mod clock;
pub mod gil;
pub mod maps;
pub mod outside;
pub mod rusage;
pub mod tasks;
