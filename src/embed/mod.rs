//! The embedded CPython: starting it with gilsim's fix-ups, running scripts as `__main__`,
//! and letting the gilsim binary stand in for `python` when multiprocessing re-executes it.
pub mod error;
pub mod home;
pub mod interpreter;
pub mod json_result;
pub mod modules;
pub mod python_mode;
pub mod script;
