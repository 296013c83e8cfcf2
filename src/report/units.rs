//! Numbers as people read them: seconds with a fitting unit, counts with separators.

/// Seconds with a unit that keeps about three significant figures.
pub fn seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// 50000000 → "50,000,000".
/// A share as a whole percentage: "49 %".
pub fn whole_percent(f: f64) -> String {
    format!("{:.0} %", f * 100.0)
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `seconds`, or "–" when there is no value.
pub fn opt_seconds(value: Option<f64>) -> String {
    value.map_or("–".into(), seconds)
}

/// A table's status cell: "ok", or a pointer to the error, whose whole text is in the verdict
/// below the table (and in JSON).
pub fn status_cell(error: Option<&str>) -> String {
    match error {
        Some(_) => "error (below)".into(),
        None => "ok".into(),
    }
}

/// The machine's other load as a cell: "0.05 CPUs", with the steal where there was any.
pub fn load_cell(load: Option<f64>, steal: Option<f64>) -> String {
    match (load, steal.filter(|s| *s >= 0.005)) {
        (None, _) => "–".into(),
        (Some(l), Some(s)) => format!("{l:.2} CPUs, steal {s:.2}"),
        (Some(l), None) => format!("{l:.2} CPUs"),
    }
}

/// A number as a report shows it: three significant figures, no exponent for everyday sizes,
/// any finite value (and "unavailable" for the others) without an integer cast.
pub fn number(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        "unavailable".into()
    } else if a == 0.0 {
        "0".into()
    } else if a >= 1e9 {
        format!("{v:.2e}")
    } else if a >= 1000.0 {
        // Below 1e9, so the whole number fits a u64.
        let grouped = thousands(a.round() as u64);
        if v < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(50_000_000), "50,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(seconds(1.23456), "1.235 s");
        assert_eq!(seconds(0.0056), "5.6 ms");
        assert_eq!(seconds(0.000_03), "30 µs");
    }
}
