//! The countdown's wall time by workers, one line per runtime (and interpreter, and CPU
//! count), as a chart (`countdown --plot`, and the labs).
use super::CountdownRow;
use crate::report::chart::{self, Axes, Chart, Series};

pub fn wall_by_workers(file: &str, rows: &[CountdownRow]) -> Chart {
    let mut series: Vec<Series> = Vec::new();
    for r in rows {
        let mut name = r.runtime.name().to_string();
        if let Some(p) = r.python_name() {
            name += &format!(" (Python {p})");
        }
        if let Some(c) = r.cpus {
            name += &format!(" on {c} CPU{}", if c == 1 { "" } else { "s" });
        }
        let point = (r.workers as f64, r.wall_s.median);
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.points.push(point),
            None => series.push(Series {
                name,
                points: vec![point],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    chart::line(
        file,
        "Countdown wall time by workers (median of the runs)",
        Axes {
            x_label: "workers (threads or processes)",
            y_label: "wall time (s, log scale)",
            log_x: false,
            log_y: true,
        },
        &series,
    )
}
