//! Running one lab: measure, grade the predictions against the measurement, and gather what the
//! report and `results.json` hold.
use super::{Check, Context, Lab, Quantity};
use crate::report::chart::Chart;
use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

/// How to run a lab, as plain values.
#[derive(Clone, Debug)]
pub struct LabRunSpec {
    /// (prediction name, value), from `--predict` or the terminal.
    pub predictions: Vec<(String, f64)>,
    pub quick: bool,
    pub timeout: f64,
}

/// A prediction and how the measurement graded it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Graded {
    pub name: String,
    pub question: String,
    pub unit: String,
    /// None: no prediction was recorded.
    pub predicted: Option<f64>,
    pub measured: Option<f64>,
    pub tolerance: String,
    /// None when either side is missing.
    pub within_tolerance: Option<bool>,
}

/// The machine a result comes from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub python_version: String,
    pub implementation: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LabId {
    pub id: String,
    pub title: String,
}

/// `results.json`: the `gilsim.v1` envelope of one lab run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LabResults {
    pub schema: String,
    pub command: String,
    pub lab: LabId,
    pub quick: bool,
    pub host: Machine,
    pub predictions: Vec<Graded>,
    pub measurements: Vec<Quantity>,
    pub checks: Vec<Check>,
    pub method: Vec<String>,
    pub verdict: String,
    pub charts: Vec<String>,
}

/// Runs `lab` and grades the predictions.
pub fn run(lab: &Lab, spec: &LabRunSpec) -> Result<(LabResults, Vec<Chart>)> {
    let info = crate::scenario::host::python_info(std::time::Duration::from_secs_f64(spec.timeout))
        .context("starting the embedded interpreter")?;
    let ctx = Context {
        quick: spec.quick,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        timeout: spec.timeout,
    };
    let measured = (lab.measure)(&ctx).with_context(|| format!("measuring lab {}", lab.id))?;
    let predictions = lab
        .predictions
        .iter()
        .map(|p| {
            let predicted = spec
                .predictions
                .iter()
                .find(|(name, _)| name == p.name)
                .map(|(_, v)| *v);
            let value = measured.value(p.name);
            Graded {
                name: p.name.into(),
                question: p.question.into(),
                unit: p.unit.into(),
                predicted,
                measured: value,
                tolerance: p.tolerance.describe(p.unit),
                within_tolerance: predicted
                    .zip(value)
                    .map(|(guess, m)| p.tolerance.allows(guess, m)),
            }
        })
        .collect();
    let results = LabResults {
        schema: crate::report::document::SCHEMA.into(),
        command: "lab".into(),
        lab: LabId {
            id: lab.id.into(),
            title: lab.title.into(),
        },
        quick: spec.quick,
        host: Machine {
            cpus: ctx.cpus,
            python_version: info.version.clone(),
            implementation: info.implementation.clone(),
        },
        predictions,
        measurements: measured.quantities.clone(),
        checks: measured.checks.clone(),
        method: measured.method.clone(),
        verdict: measured.explanation.clone(),
        charts: measured.charts.iter().map(|c| c.file.clone()).collect(),
    };
    Ok((results, measured.charts))
}

/// A prediction's value, "NAME=VALUE" (a number; a trailing unit such as "ms" or "%" is
/// allowed and ignored).
pub fn parse_prediction(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("--predict takes NAME=VALUE, got '{text}'"))?;
    let number = value
        .trim()
        .trim_end_matches(|c: char| c.is_alphabetic() || c == '%' || c == '×' || c.is_whitespace());
    let number = number.trim_start_matches('×');
    let v: f64 = number
        .parse()
        .map_err(|_| format!("--predict {name}: '{value}' is not a number"))?;
    if !v.is_finite() {
        return Err(format!("--predict {name}: '{value}' is not a number"));
    }
    Ok((name.trim().to_string(), v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Tolerance;

    #[test]
    fn predictions_parse_with_or_without_a_unit() {
        assert_eq!(
            parse_prediction("t2_over_t1=1.0"),
            Ok(("t2_over_t1".into(), 1.0))
        );
        assert_eq!(
            parse_prediction("startup_ms=50 ms"),
            Ok(("startup_ms".into(), 50.0))
        );
        assert_eq!(parse_prediction("lost=40%"), Ok(("lost".into(), 40.0)));
        assert!(parse_prediction("nothing").is_err());
        assert!(parse_prediction("x=fast").is_err());
        assert!(parse_prediction("x=nan").is_err());
    }

    #[test]
    fn tolerances_grade_both_ways() {
        assert!(Tolerance::Absolute(0.15).allows(1.1, 1.0));
        assert!(!Tolerance::Absolute(0.15).allows(1.2, 1.0));
        assert!(Tolerance::Relative(0.25).allows(120.0, 100.0));
        assert!(!Tolerance::Relative(0.25).allows(50.0, 100.0));
        assert!(Tolerance::Absolute(0.0).allows(0.0, 0.0));
    }
}
