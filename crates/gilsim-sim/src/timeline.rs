//! What a timeline picture is drawn from, measured or simulated: every change of the GIL's
//! state, who held it, and which threads were running.
use serde::{Deserialize, Serialize};

/// One change of the GIL's (and the threads') state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Seconds from the start of the run.
    pub t: f64,
    pub locked: bool,
    /// Index of the holding thread, if it is a registered one.
    pub holder: Option<usize>,
    /// Bit i set: thread i is running on a CPU.
    pub running: u64,
}
