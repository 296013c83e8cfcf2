//! A Beazley-style GIL timeline as SVG: one lane per thread, coloured by what the thread was
//! doing (holding the GIL / running or runnable without it / off the CPU), hand-offs marked.
use super::units::seconds;
use std::fmt::Write;

pub const HELD: &str = "#2ca02c";
pub const RUNNABLE: &str = "#ff7f0e";
pub const OFF: &str = "#e0e0e0";

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LaneState {
    Held,
    RunnableWithoutGil,
    Off,
}

pub use crate::sim::Change;

pub struct Timeline<'a> {
    pub title: &'a str,
    pub threads: &'a [String],
    pub held_fractions: &'a [f64],
    pub changes: &'a [Change],
    pub run_s: f64,
    pub switch_interval_s: f64,
    pub switches: u64,
    pub gil_free_fraction: f64,
    /// The drawn window, seconds from the start of the run.
    pub from: f64,
    pub to: f64,
}

fn state_of(c: &Change, lane: usize) -> LaneState {
    if c.locked && c.holder == Some(lane) {
        LaneState::Held
    } else if c.running & (1 << lane) != 0 {
        LaneState::RunnableWithoutGil
    } else {
        LaneState::Off
    }
}

/// Segments (start, end, state) of one lane within the window.
pub fn segments(changes: &[Change], lane: usize, from: f64, to: f64) -> Vec<(f64, f64, LaneState)> {
    let mut out: Vec<(f64, f64, LaneState)> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let end = changes.get(i + 1).map_or(to, |n| n.t).min(to);
        let start = c.t.max(from);
        if end <= start {
            continue;
        }
        let state = state_of(c, lane);
        match out.last_mut() {
            Some(last) if last.2 == state && (last.1 - start).abs() < 1e-12 => last.1 = end,
            _ => out.push((start, end, state)),
        }
    }
    out
}

/// Times within the window where the GIL went to another registered thread.
pub fn handoffs(changes: &[Change], from: f64, to: f64) -> Vec<(f64, usize)> {
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for c in changes.iter().filter(|c| c.locked) {
        if let Some(h) = c.holder {
            if last.is_some_and(|l| l != h) && c.t >= from && c.t <= to {
                out.push((c.t, h));
            }
            last = Some(h);
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render(t: &Timeline) -> String {
    const LEFT: f64 = 170.0;
    const WIDTH: f64 = 900.0;
    const LANE: f64 = 34.0;
    const TOP: f64 = 78.0;
    let span = (t.to - t.from).max(1e-9);
    let x = |time: f64| LEFT + (time - t.from) / span * WIDTH;
    let lanes = t.threads.len();
    let height = TOP + lanes as f64 * LANE + 110.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="20" y="26" font-size="17" font-weight="bold">{title}</text>
<text x="20" y="48">{from}–{to} of a {run} run · switch interval {si} · the GIL changed hands {sw} times (one per {per}) · GIL free {free:.1} % of the run</text>
"#,
        w = LEFT + WIDTH + 30.0,
        title = escape(t.title),
        from = seconds(t.from),
        to = seconds(t.to),
        run = seconds(t.run_s),
        si = seconds(t.switch_interval_s),
        sw = t.switches,
        per = if t.switches > 0 {
            seconds(t.run_s / t.switches as f64)
        } else {
            "–".into()
        },
        free = t.gil_free_fraction * 100.0,
    );
    for lane in 0..lanes {
        let y = TOP + lane as f64 * LANE;
        let held = t.held_fractions.get(lane).copied().unwrap_or(0.0) * 100.0;
        let _ = writeln!(
            svg,
            r#"<text x="20" y="{ty}">{name}</text><text x="20" y="{ty2}" font-size="11" fill="dimgray">held the GIL {held:.1} %</text>"#,
            ty = y + 13.0,
            ty2 = y + 26.0,
            name = escape(&t.threads[lane]),
        );
        let _ = writeln!(
            svg,
            r#"<rect x="{LEFT}" y="{y}" width="{WIDTH}" height="{h}" fill="{OFF}"/>"#,
            h = LANE - 8.0
        );
        for (a, b, state) in segments(t.changes, lane, t.from, t.to) {
            let colour = match state {
                LaneState::Held => HELD,
                LaneState::RunnableWithoutGil => RUNNABLE,
                LaneState::Off => continue,
            };
            let _ = writeln!(
                svg,
                r#"<rect x="{:.2}" y="{y}" width="{:.2}" height="{h}" fill="{colour}"/>"#,
                x(a),
                (x(b) - x(a)).max(0.3),
                h = LANE - 8.0
            );
        }
    }
    for (time, lane) in handoffs(t.changes, t.from, t.to) {
        let y = TOP + lane as f64 * LANE;
        let _ = writeln!(
            svg,
            r#"<path d="M{:.2} {:.1} l-4 -7 h8 z" fill="black"/>"#,
            x(time),
            y - 1.0
        );
    }
    // Time axis.
    let axis_y = TOP + lanes as f64 * LANE + 4.0;
    let step = [
        0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
    ]
    .into_iter()
    .find(|s| span / s <= 12.0)
    .unwrap_or(span / 10.0);
    let _ = writeln!(
        svg,
        r#"<line x1="{LEFT}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="black"/>"#,
        LEFT + WIDTH
    );
    let mut tick = (t.from / step).ceil() * step;
    while tick <= t.to + 1e-12 {
        let _ = writeln!(
            svg,
            r#"<line x1="{0:.2}" y1="{axis_y}" x2="{0:.2}" y2="{1}" stroke="black"/><text x="{0:.2}" y="{2}" text-anchor="middle" font-size="11">{3}</text>"#,
            x(tick),
            axis_y + 5.0,
            axis_y + 18.0,
            seconds(tick)
        );
        tick += step;
    }
    // Legend.
    let ly = axis_y + 40.0;
    let items = [
        (HELD, "holding the GIL (running Python)"),
        (RUNNABLE, "on a CPU or runnable, without the GIL"),
        (OFF, "off the CPU (waiting: for the GIL, sleeping, I/O)"),
    ];
    let mut lx = LEFT;
    for (colour, label) in items {
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="{ly}" width="14" height="14" fill="{colour}" stroke="gray"/><text x="{}" y="{}">{label}</text>"#,
            lx + 20.0,
            ly + 12.0
        );
        lx += 290.0;
    }
    let _ = writeln!(
        svg,
        r#"<path d="M{0} {1} l-4 -7 h8 z" fill="black"/><text x="{2}" y="{3}">hand-off: the GIL went to this thread</text>"#,
        LEFT + 7.0,
        ly + 36.0,
        LEFT + 20.0,
        ly + 36.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(t: f64, holder: usize) -> Change {
        Change {
            t,
            locked: true,
            holder: Some(holder),
            running: 1 << holder,
        }
    }

    #[test]
    fn lanes_alternate_with_the_holder() {
        let changes = [change(0.0, 0), change(0.005, 1), change(0.010, 0)];
        let lane0 = segments(&changes, 0, 0.0, 0.015);
        assert_eq!(lane0.len(), 3);
        assert_eq!(lane0[0].2, LaneState::Held);
        assert_eq!(lane0[1].2, LaneState::Off);
        assert_eq!(handoffs(&changes, 0.0, 0.015), vec![(0.005, 1), (0.010, 0)]);
        let svg = render(&Timeline {
            title: "t",
            threads: &["A".into(), "B".into()],
            held_fractions: &[0.5, 0.5],
            changes: &changes,
            run_s: 0.015,
            switch_interval_s: 0.005,
            switches: 2,
            gil_free_fraction: 0.0,
            from: 0.0,
            to: 0.015,
        });
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            svg.matches(HELD).count(),
            3 + 1,
            "3 held segments and the legend"
        );
    }
}
