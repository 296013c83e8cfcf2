//! The straight line through wall time against hand-offs that calibration fits.

/// Least squares of wall time against hand-offs: (wall with no hand-off, extra wall per
/// hand-off). With a `floor` (one thread's wall: two threads doing its work one at a time
/// cannot finish sooner on equal CPUs), a free fit whose intercept falls below it is replaced
/// by the line through (0, `floor`).
pub fn fit_wall_against_hand_offs(points: &[(f64, f64)], floor: Option<f64>) -> (f64, f64) {
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let intercept = my - slope * mx;
    let Some(single) = floor.filter(|&f| intercept < f) else {
        return (intercept, slope.max(0.0));
    };
    let sx2: f64 = points.iter().map(|p| p.0 * p.0).sum();
    let sxy0: f64 = points.iter().map(|p| p.0 * (p.1 - single)).sum();
    let slope = if sx2 > 0.0 { sxy0 / sx2 } else { 0.0 };
    (single, slope.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_recovers_a_line_and_never_starts_below_one_thread() {
        // wall = 0.5 s + 20 µs per hand-off.
        let line: Vec<(f64, f64)> = [30.0, 100.0, 500.0, 3000.0]
            .iter()
            .map(|&x| (x, 0.5 + 20e-6 * x))
            .collect();
        let (a, b) = fit_wall_against_hand_offs(&line, Some(0.45));
        assert!(
            (a - 0.5).abs() < 1e-9 && (b - 20e-6).abs() < 1e-12,
            "{a} {b}"
        );
        // The same points against a one-thread wall of 0.52 s: the intercept is held there.
        let (a, b) = fit_wall_against_hand_offs(&line, Some(0.52));
        assert_eq!(a, 0.52);
        assert!(b > 0.0 && b < 20e-6, "{b}");
        // Without a floor the free fit stands.
        let (a, _) = fit_wall_against_hand_offs(&line, None);
        assert!((a - 0.5).abs() < 1e-9);
    }
}
