//! One module per subcommand: parse → run → report, returning the process exit code.
pub mod calibrate;
pub mod completions;
pub mod convoy;
pub mod countdown;
pub mod doctor;
pub mod interpreters;
pub mod lab;
pub mod pool;
pub mod profile;
pub mod queue;
pub mod run;
pub mod scale;
pub mod share;
pub mod sharing;
pub mod simulate;
pub mod timeline;
pub mod watch;
