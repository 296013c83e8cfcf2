//! Course labs: a question, a prediction, a measurement on the student's own machine with the
//! existing scenarios, an explanation computed from it, and checks in the spirit of a
//! `make grade`. Each lab is a plain definition (`labs/`); `run` measures and grades,
//! `report` writes what a student hands in, `collect` pools a class's results.
pub mod collect;
pub mod labs;
pub mod report;
pub mod run;
pub mod script;

use anyhow::Result;
use serde::{Deserialize, Serialize};

/// One lab, as the handout and the instructor notes describe it and as it is measured.
pub struct Lab {
    pub id: &'static str,
    pub title: &'static str,
    /// About how many seconds the measurement takes on 2 CPUs, rounded up: default, `--quick`.
    pub seconds: (u32, u32),
    pub needs: &'static [Need],
    /// The study note's scripts it follows, if any.
    pub study_note: Option<&'static str>,
    pub goal: &'static str,
    pub background: &'static str,
    pub questions: &'static [&'static str],
    pub predictions: &'static [PredictionDef],
    pub instructor: Instructor,
    pub measure: fn(&Context) -> Result<Measured>,
}

/// What a lab can use where present; without it, the checks that need it are skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    TwoCpus,
    Python27,
    /// A CPython 3.12+ with subinterpreters of their own GIL.
    Python312,
}

impl Need {
    pub fn describe(self) -> &'static str {
        match self {
            Need::TwoCpus => "2 CPUs",
            Need::Python27 => "2.7*",
            Need::Python312 => "3.12+*",
        }
    }
}

/// A prediction the student makes before measuring.
pub struct PredictionDef {
    pub name: &'static str,
    pub question: &'static str,
    pub unit: &'static str,
    pub tolerance: Tolerance,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Tolerance {
    /// Within this much of the measurement, in its unit.
    Absolute(f64),
    /// Within this fraction of the measurement.
    Relative(f64),
}

impl Tolerance {
    pub fn allows(self, predicted: f64, measured: f64) -> bool {
        let off = (predicted - measured).abs();
        match self {
            Tolerance::Absolute(a) => off <= a + 1e-12,
            Tolerance::Relative(r) => off <= r * measured.abs() + 1e-12,
        }
    }

    pub fn describe(self, unit: &str) -> String {
        match self {
            Tolerance::Absolute(0.0) => "exactly".into(),
            Tolerance::Absolute(a) => format!("±{a} {unit}").trim_end().to_string(),
            Tolerance::Relative(r) => format!("±{:.0} %", r * 100.0),
        }
    }
}

/// The instructor's page.
pub struct Instructor {
    pub expected: &'static str,
    pub anchors: &'static [Anchor],
    pub discussion: &'static [&'static str],
    pub wrong_answers: &'static [&'static str],
}

/// A published figure and where it was published.
pub struct Anchor {
    pub figure: &'static str,
    pub source: &'static str,
}

/// What a lab's measurement runs with.
pub struct Context {
    pub quick: bool,
    pub cpus: usize,
    /// Per trial, seconds.
    pub timeout: f64,
}

/// Everything a lab measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Measured {
    pub quantities: Vec<Quantity>,
    pub checks: Vec<Check>,
    #[serde(skip)]
    pub charts: Vec<crate::report::chart::Chart>,
    /// The explanation, computed from the figures.
    pub explanation: String,
    /// How it was measured (scenarios, parameters, substitutes such as the model).
    pub method: Vec<String>,
}

/// One measured (or modelled) figure.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Quantity {
    pub name: String,
    pub label: String,
    pub value: Option<f64>,
    pub unit: String,
}

impl Measured {
    pub fn quantity(&mut self, name: &str, label: &str, value: Option<f64>, unit: &str) {
        self.quantities.push(Quantity {
            name: name.into(),
            label: label.into(),
            value: value.filter(|v| v.is_finite()),
            unit: unit.into(),
        });
    }

    pub fn value(&self, name: &str) -> Option<f64> {
        self.quantities
            .iter()
            .find(|q| q.name == name)
            .and_then(|q| q.value)
    }

    /// A check computed from the measurement; `needs` unmet (the reason) skips it.
    pub fn check(
        &mut self,
        name: &str,
        description: &str,
        needs: Option<String>,
        passed: Option<bool>,
        detail: String,
    ) {
        let outcome = match (needs, passed) {
            (Some(reason), _) => CheckOutcome::Skipped { reason },
            (None, Some(true)) => CheckOutcome::Passed,
            (None, Some(false)) => CheckOutcome::Failed,
            (None, None) => CheckOutcome::Skipped {
                reason: "the figure it needs was not measured".into(),
            },
        };
        self.checks.push(Check {
            name: name.into(),
            description: description.into(),
            outcome,
            detail,
        });
    }
}

/// An auto-checked outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub description: String,
    pub outcome: CheckOutcome,
    /// The figures it was decided on.
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum CheckOutcome {
    Passed,
    Failed,
    Skipped { reason: String },
}

impl CheckOutcome {
    pub fn word(&self) -> &'static str {
        match self {
            CheckOutcome::Passed => "PASS",
            CheckOutcome::Failed => "FAIL",
            CheckOutcome::Skipped { .. } => "SKIPPED",
        }
    }
}

/// Every lab, in course order.
pub fn catalogue() -> Vec<Lab> {
    labs::all()
}

pub fn find(id: &str) -> Option<Lab> {
    catalogue().into_iter().find(|l| l.id == id)
}

/// The reason a check that needs 2 CPUs is skipped here, if it is.
pub fn needs_two_cpus(ctx: &Context) -> Option<String> {
    (ctx.cpus < 2).then(|| format!("needs 2 CPUs; this machine has {}", ctx.cpus))
}
