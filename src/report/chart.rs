//! Charts as SVG (plotters' SVG backend; text is left to the viewer's fonts): a line chart of
//! series over a numeric axis and a bar chart of labelled values, each with a title, axis
//! labels with units and a legend.
use plotters::prelude::*;

/// A rendered chart and the file name it is written under.
#[derive(Clone, Debug)]
pub struct Chart {
    pub file: String,
    pub title: String,
    pub svg: String,
}

/// One line of a line chart.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

pub struct Axes<'a> {
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub log_x: bool,
    pub log_y: bool,
}

const SIZE: (u32, u32) = (720, 420);
const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn range(values: impl Iterator<Item = f64> + Clone, log: bool) -> (f64, f64) {
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (if log { 0.1 } else { 0.0 }, 1.0);
    }
    if log {
        (lo / 1.5, hi * 1.5)
    } else {
        let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.05).max(1e-9);
        ((lo - pad).min(0.0_f64.max(lo - pad)), hi + pad)
    }
}

/// Ticks for a log axis from `lo` to `hi`: 1, 2, 5 times the powers of ten within it, or
/// finer steps when that leaves fewer than three.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let keys = |mantissas: &[f64]| -> Vec<f64> {
        let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (first..=last)
            .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| *v >= lo && *v <= hi)
            .collect()
    };
    let coarse = keys(&[1.0, 2.0, 5.0]);
    if coarse.len() >= 3 {
        coarse
    } else {
        keys(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    }
}

/// An axis tick as people write it: "5000", "2.5", "0.05", never "7000.0".
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    let decimals = if a >= 100.0 || v.fract() == 0.0 {
        0
    } else {
        // Two significant figures.
        (1 - a.log10().floor() as i32).max(0) as usize
    };
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A white canvas with the title, and room for the axis labels.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    root.fill(&WHITE).expect("drawing to a string");
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(70);
    builder
}

/// A line chart (with points) of `series`.
pub fn line(file: &str, title: &str, axes: Axes, series: &[Series]) -> Chart {
    let points = || series.iter().flat_map(|s| s.points.iter().copied());
    let (x0, x1) = range(points().map(|p| p.0), axes.log_x);
    let (y0, y1) = range(points().map(|p| p.1), axes.log_y);
    // Whole-number x values (workers, threads) get whole-number ticks, one per value.
    let whole_x = points().all(|p| p.0.fract() == 0.0);
    let mut xs: Vec<i64> = points().map(|p| p.0 as i64).collect();
    xs.sort_unstable();
    xs.dedup();
    // Whole-number x values: as many ticks as whole numbers in their span, so that the
    // axis steps by one and every value is labelled (up to a readable number).
    let x_count = match (xs.first(), xs.last()) {
        (Some(first), Some(last)) => ((last - first + 1) as usize).clamp(2, 16),
        _ => 2,
    };
    let (x0, x1) = if whole_x && !axes.log_x {
        (
            x0.min(xs.first().copied().unwrap_or(0) as f64 - 0.3),
            x1.max(xs.last().copied().unwrap_or(1) as f64 + 0.3),
        )
    } else {
        (x0, x1)
    };
    // On a log scale the lines usually sit at the top and the bottom: the legend goes between.
    let legend = if axes.log_y {
        SeriesLabelPosition::MiddleRight
    } else {
        SeriesLabelPosition::UpperLeft
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut builder = frame(&root, title);
        // The four axis kinds are different types: one macro draws them all.
        macro_rules! draw {
            ($x:expr, $y:expr) => {{
                let mut chart = builder.build_cartesian_2d($x, $y).expect("chart axes");
                let mut mesh = chart.configure_mesh();
                if whole_x && !axes.log_x {
                    mesh.x_labels(x_count).x_label_formatter(&|x: &f64| {
                        if (x - x.round()).abs() < 1e-6 {
                            format!("{x:.0}")
                        } else {
                            String::new()
                        }
                    });
                }
                if !whole_x || axes.log_x {
                    mesh.x_label_formatter(&|x: &f64| tick(*x));
                }
                mesh.y_label_formatter(&|y: &f64| tick(*y));
                mesh.x_desc(axes.x_label)
                    .y_desc(axes.y_label)
                    .label_style(("sans-serif", 13))
                    .axis_desc_style(("sans-serif", 15))
                    .draw()
                    .expect("chart mesh");
                for (i, s) in series.iter().enumerate() {
                    let colour = COLOURS[i % COLOURS.len()];
                    chart
                        .draw_series(LineSeries::new(
                            s.points.iter().copied(),
                            colour.stroke_width(2),
                        ))
                        .expect("line")
                        .label(s.name.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                        });
                    chart
                        .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                        .expect("points");
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .label_font(("sans-serif", 13))
                    .position(legend)
                    .draw()
                    .expect("legend");
            }};
        }
        // A log y axis gets 1-2-5 ticks within its range.
        let y_keys = log_ticks(y0, y1);
        match (axes.log_x, axes.log_y) {
            (false, false) => draw!(x0..x1, y0..y1),
            (true, false) => draw!((x0..x1).log_scale(), y0..y1),
            (false, true) => draw!(x0..x1, (y0..y1).log_scale().with_key_points(y_keys)),
            (true, true) => draw!(
                (x0..x1).log_scale(),
                (y0..y1).log_scale().with_key_points(y_keys)
            ),
        }
        root.present().expect("drawing to a string");
    }
    Chart {
        file: file.into(),
        title: title.into(),
        svg,
    }
}

/// A bar chart: one bar per (label, value), coloured by `group` (shown in the legend).
pub fn bars(
    file: &str,
    title: &str,
    y_label: &str,
    log_y: bool,
    bars: &[(String, String, f64)],
) -> Chart {
    let n = bars.len().max(1);
    let (y0, y1) = range(bars.iter().map(|b| b.2), log_y);
    let y0 = if log_y { y0 } else { 0.0 };
    let mut groups: Vec<&str> = Vec::new();
    for (_, g, _) in bars {
        if !groups.contains(&g.as_str()) {
            groups.push(g);
        }
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut builder = frame(&root, title);
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let x_labels = move |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        macro_rules! draw {
            ($y:expr) => {{
                let mut chart = builder
                    .build_cartesian_2d(-0.6..(n as f64 - 0.4), $y)
                    .expect("chart axes");
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(n)
                    .x_label_formatter(&x_labels)
                    .y_label_formatter(&|y: &f64| tick(*y))
                    .y_desc(y_label)
                    .label_style(("sans-serif", 13))
                    .axis_desc_style(("sans-serif", 15))
                    .draw()
                    .expect("chart mesh");
                for (gi, group) in groups.iter().enumerate() {
                    let colour = COLOURS[gi % COLOURS.len()];
                    chart
                        .draw_series(bars.iter().enumerate().filter(|(_, b)| b.1 == *group).map(
                            |(i, b)| {
                                Rectangle::new(
                                    [(i as f64 - 0.35, y0), (i as f64 + 0.35, b.2)],
                                    colour.filled(),
                                )
                            },
                        ))
                        .expect("bars")
                        .label(group.to_string())
                        .legend(move |(x, y)| {
                            Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled())
                        });
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .label_font(("sans-serif", 13))
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .expect("legend");
            }};
        }
        if log_y {
            draw!((y0..y1).log_scale())
        } else {
            draw!(y0..y1)
        }
        root.present().expect("drawing to a string");
    }
    Chart {
        file: file.into(),
        title: title.into(),
        svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_get_ticks_within_their_range() {
        assert_eq!(log_ticks(0.9, 60.0), vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0]);
        let narrow = log_ticks(0.3, 0.65);
        assert!(narrow.len() >= 3, "{narrow:?}");
        assert!(
            narrow.iter().all(|v| (0.3..=0.65).contains(v)),
            "{narrow:?}"
        );
    }

    #[test]
    fn every_worker_count_is_labelled() {
        let c = line(
            "w.svg",
            "t",
            Axes {
                x_label: "workers",
                y_label: "wall (s, log scale)",
                log_x: false,
                log_y: true,
            },
            &[Series {
                name: "threads".into(),
                points: vec![(1.0, 0.4), (2.0, 0.41), (4.0, 0.42)],
            }],
        );
        let labels: Vec<&str> = c
            .svg
            .split("</text>")
            .filter_map(|t| t.rsplit('>').next())
            .map(str::trim)
            .collect();
        for w in ["1", "2", "4"] {
            assert!(labels.contains(&w), "{w} unlabelled: {labels:?}");
        }
        assert!(
            labels.iter().any(|l| l.starts_with("0.")),
            "the log axis has ticks: {labels:?}"
        );
    }

    #[test]
    fn ticks_read_naturally() {
        assert_eq!(tick(7000.0), "7000");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(1.0), "1");
        assert_eq!(tick(0.05), "0.05");
        assert_eq!(tick(0.126), "0.13");
        assert_eq!(tick(0.0), "0");
    }

    #[test]
    fn charts_carry_their_title_labels_and_legend() {
        let c = line(
            "w.svg",
            "Wall time by workers",
            Axes {
                x_label: "workers",
                y_label: "wall time (s)",
                log_x: false,
                log_y: true,
            },
            &[Series {
                name: "python-threads".into(),
                points: vec![(1.0, 1.0), (2.0, 1.02)],
            }],
        );
        for text in [
            "Wall time by workers",
            "workers",
            "wall time (s)",
            "python-threads",
            "<svg",
        ] {
            assert!(c.svg.contains(text), "{text} missing");
        }
        let b = bars(
            "b.svg",
            "Start-up",
            "milliseconds",
            false,
            &[
                ("spawn".into(), "measured".into(), 50.0),
                ("fork".into(), "measured".into(), 5.0),
            ],
        );
        for text in [
            "Start-up",
            "milliseconds",
            "spawn",
            "fork",
            "measured",
            "<rect",
        ] {
            assert!(b.svg.contains(text), "{text} missing");
        }
    }
}
