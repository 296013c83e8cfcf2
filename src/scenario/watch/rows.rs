//! One watched thread as a table row.
use super::ThreadFigures;
use crate::report::render::csv_fields;
use crate::report::{Cell, Row};

/// A share as "49.9 %", "–" when unknown.
pub fn percent(f: Option<f64>) -> String {
    f.map_or("–".into(), |f| format!("{:.1} %", f * 100.0))
}

impl Row for ThreadFigures {
    fn cells(&self) -> Vec<Cell> {
        [
            Cell::new("thread", self.tid.map_or("?".into(), |t| t.to_string())),
            Cell::new("name", self.name.clone()),
            Cell::new("held the GIL", percent(self.held_fraction)),
            Cell::new("waiting for the GIL", percent(self.waiting_fraction)),
        ]
        .into_iter()
        // A free-threaded build's column: parked inside the interpreter.
        .chain(
            self.free_threaded
                .then(|| Cell::new("parked", percent(self.parked_fraction))),
        )
        .chain([
            Cell::new("on CPU", percent(self.cpu_fraction)),
            Cell::new("run queue", percent(self.runqueue_fraction)),
            Cell::new("off CPU", percent(self.off_cpu_fraction)),
        ])
        .collect()
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        csv_fields!(self;
            ?tid, name, ?held_fraction, ?waiting_fraction, ?parked_fraction, ?cpu_fraction,
            ?runqueue_fraction,
            ?off_cpu_fraction,
        )
    }
}
