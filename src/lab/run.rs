//! Running one lab: measure, grade the predictions against the measurement, and gather what the
//! report and `results.json` hold.
use super::{Check, Context, Grade, Lab, Measured, Provenance, Quantity};
use crate::report::chart::Chart;
use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

/// How to run a lab, as plain values.
#[derive(Clone, Debug)]
pub struct LabRunSpec {
    /// (prediction name, value), from `--predict` or the terminal.
    pub predictions: Vec<(String, f64)>,
    pub quick: bool,
    pub timeout: std::time::Duration,
    /// `--python`: the interpreter of the countdown's Python rows (labs in
    /// `labs::ON_ANOTHER_PYTHON` only).
    pub python: Option<crate::domain::ExternalPython>,
}

/// A prediction and how the measurement graded it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Graded {
    pub name: String,
    pub question: String,
    pub unit: String,
    /// None: no prediction was recorded.
    pub predicted: Option<f64>,
    /// The measured figure; None when this run did not measure it.
    pub measured: Option<f64>,
    pub tolerance: String,
    /// Consistent: true, inconsistent: false; None when undetermined or not graded.
    pub within_tolerance: Option<bool>,
    #[serde(default = "not_graded")]
    pub grade: Grade,
    /// The range the measurement's runs allow, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
    /// Where the figure shown beside the prediction came from.
    #[serde(default)]
    pub provenance: Provenance,
    /// The model's figure, shown for discussion where nothing was measured; never graded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<f64>,
    /// Why the prediction was not graded or could not be decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn not_graded() -> Grade {
    Grade::NotGraded
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
    let info = crate::scenario::host::python_info(spec.timeout)
        .context("starting the embedded interpreter")?;
    let ctx = Context {
        quick: spec.quick,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        timeout: spec.timeout,
        python_version: spec
            .python
            .as_ref()
            .map_or(info.version.clone(), |p| p.version.clone()),
        python: spec.python.clone(),
    };
    let mut measured = Measured::new((lab.figures)());
    (lab.measure)(&ctx, &mut measured).with_context(|| format!("measuring lab {}", lab.id))?;
    if let Some(p) = &ctx.python {
        measured.method.push(format!(
            "the countdown's Python rows under {} ({}), given with --python",
            p.path,
            p.label()
        ));
    }
    let predictions = grade_all(lab, &spec.predictions, &measured.quantities);
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
            python_version: ctx.python_version.clone(),
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

/// Grades each of `lab`'s predictions against `quantities`: only a measured figure grades.
pub fn grade_all(lab: &Lab, predicted: &[(String, f64)], quantities: &[Quantity]) -> Vec<Graded> {
    let figures = (lab.figures)();
    lab.predictions
        .iter()
        .map(|p| {
            let guess = predicted
                .iter()
                .find(|(name, _)| name == p.name)
                .map(|(_, v)| *v);
            let figure = quantities.iter().find(|q| q.name == p.name);
            let exact = figures.quantity(p.name).is_some_and(|d| d.exact);
            grade_one(p, guess, figure, exact)
        })
        .collect()
}

fn grade_one(
    p: &super::PredictionDef,
    guess: Option<f64>,
    figure: Option<&Quantity>,
    exact: bool,
) -> Graded {
    let provenance = figure.map_or(Provenance::Measured, |q| q.provenance);
    let value = figure.and_then(|q| q.value);
    let measured = value.filter(|_| provenance == Provenance::Measured);
    let interval = figure
        .and_then(|q| q.interval)
        .filter(|_| measured.is_some());
    let (grade, note) = match (guess, measured) {
        (None, _) => (Grade::NotGraded, None),
        (Some(_), None) if value.is_some() => (
            Grade::NotGraded,
            Some(format!(
                "not graded: the figure is the {}'s, not a measurement",
                provenance.word()
            )),
        ),
        (Some(_), None) => (
            Grade::NotGraded,
            Some("not graded: this run did not measure it".into()),
        ),
        (Some(_), Some(_)) if !exact && interval.is_none() => (
            Grade::Undetermined,
            Some("undetermined: the measurement has no spread (fewer than 3 runs)".into()),
        ),
        (Some(g), Some(m)) => {
            let grade = p.tolerance.grade(g, m, interval);
            let note = (grade == Grade::Undetermined).then(|| {
                let [lo, hi] = interval.unwrap_or([m, m]);
                format!(
                    "undetermined: the runs allow {} – {} {}, wider than the tolerance {}",
                    crate::report::units::number(lo),
                    crate::report::units::number(hi),
                    p.unit,
                    p.tolerance.describe(p.unit)
                )
            });
            (grade, note)
        }
    };
    Graded {
        name: p.name.into(),
        question: p.question.into(),
        unit: p.unit.into(),
        predicted: guess,
        measured,
        tolerance: p.tolerance.describe(p.unit),
        within_tolerance: match grade {
            Grade::Consistent => Some(true),
            Grade::Inconsistent => Some(false),
            _ => None,
        },
        grade,
        interval,
        provenance,
        model: value.filter(|_| provenance == Provenance::Model),
        note,
    }
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
    use crate::lab::{Grade, Tolerance};

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
    fn a_prediction_is_graded_against_the_measurements_range() {
        let t = Tolerance::Absolute(0.15);
        // A noisy 3-run measurement whose range is wider than the tolerance cannot decide.
        assert_eq!(t.grade(1.0, 1.25, Some([1.0, 1.5])), Grade::Undetermined);
        // A narrow range decides both ways.
        assert_eq!(t.grade(1.0, 1.02, Some([0.98, 1.05])), Grade::Consistent);
        assert_eq!(t.grade(1.0, 1.30, Some([1.25, 1.35])), Grade::Inconsistent);
        // Within the tolerance of the range's edge, not of its centre.
        assert_eq!(t.grade(1.0, 1.20, Some([1.12, 1.28])), Grade::Consistent);
        // An exact figure.
        assert_eq!(t.grade(1.0, 1.2, None), Grade::Inconsistent);
        assert_eq!(
            Tolerance::Relative(0.25).grade(120.0, 100.0, None),
            Grade::Consistent
        );
    }

    #[test]
    fn a_model_figure_is_never_graded_and_a_figure_without_spread_is_undetermined() {
        let def = crate::lab::PredictionDef {
            name: "x",
            question: "q",
            unit: "×",
            tolerance: Tolerance::Absolute(0.3),
        };
        let figure = |provenance, interval| Quantity {
            name: "x".into(),
            label: "x".into(),
            value: Some(1.8),
            unit: "×".into(),
            provenance,
            source: None,
            interval,
        };
        let model = figure(Provenance::Model, None);
        let g = grade_one(&def, Some(1.8), Some(&model), false);
        assert_eq!(g.grade, Grade::NotGraded);
        assert_eq!(g.measured, None);
        assert_eq!(g.model, Some(1.8));
        assert_eq!(g.within_tolerance, None);
        let bare = figure(Provenance::Measured, None);
        assert_eq!(
            grade_one(&def, Some(1.8), Some(&bare), false).grade,
            Grade::Undetermined
        );
        assert_eq!(
            grade_one(&def, Some(1.8), Some(&bare), true).grade,
            Grade::Consistent
        );
        let ranged = figure(Provenance::Measured, Some([1.7, 1.9]));
        let g = grade_one(&def, Some(1.0), Some(&ranged), false);
        assert_eq!(
            (g.grade, g.within_tolerance),
            (Grade::Inconsistent, Some(false))
        );
    }

    #[test]
    fn tolerances_grade_both_ways() {
        assert_eq!(
            Tolerance::Absolute(0.15).grade(1.1, 1.0, None),
            Grade::Consistent
        );
        assert_eq!(
            Tolerance::Absolute(0.15).grade(1.2, 1.0, None),
            Grade::Inconsistent
        );
        assert_eq!(
            Tolerance::Relative(0.25).grade(120.0, 100.0, None),
            Grade::Consistent
        );
        assert_eq!(
            Tolerance::Relative(0.25).grade(50.0, 100.0, None),
            Grade::Inconsistent
        );
        assert_eq!(
            Tolerance::Absolute(0.0).grade(0.0, 0.0, None),
            Grade::Consistent
        );
    }
}
