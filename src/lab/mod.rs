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
    /// Every quantity and check it reports: labels, units, ranges, descriptions.
    pub figures: fn() -> Figures,
    pub measure: fn(&Context, &mut Measured) -> Result<()>,
}

/// What a lab can use where present; without it, the checks that need it are skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    TwoCpus,
    Python27,
    /// A CPython 3.12+ with subinterpreters of their own GIL.
    Python312,
    /// A free-threaded CPython (3.13t).
    FreeThreaded,
}

impl Need {
    pub fn describe(self) -> &'static str {
        match self {
            Need::TwoCpus => "2 CPUs",
            Need::Python27 => "2.7*",
            Need::Python312 => "3.12+*",
            Need::FreeThreaded => "3.13t*",
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
    /// How far from `measured` a prediction may be.
    pub fn width(self, measured: f64) -> f64 {
        match self {
            Tolerance::Absolute(a) => a,
            Tolerance::Relative(r) => r * measured.abs(),
        }
    }

    /// Grades a prediction against a measurement and the range its runs allow. A range wider
    /// than the tolerance cannot decide; otherwise the prediction is consistent when it lies
    /// within the tolerance of some value in the range. `interval` None: an exact figure.
    pub fn grade(self, predicted: f64, measured: f64, interval: Option<[f64; 2]>) -> Grade {
        let width = self.width(measured) + 1e-12;
        let [lo, hi] = interval.unwrap_or([measured, measured]);
        if (hi - lo) / 2.0 > width {
            return Grade::Undetermined;
        }
        let distance = if predicted < lo {
            lo - predicted
        } else if predicted > hi {
            predicted - hi
        } else {
            0.0
        };
        if distance <= width {
            Grade::Consistent
        } else {
            Grade::Inconsistent
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

/// A prediction against the measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// Within the tolerance of the measurement's range.
    Consistent,
    /// Farther than the tolerance from every value the measurement allows.
    Inconsistent,
    /// The measurement's range is wider than the tolerance, or it has no spread at all.
    Undetermined,
    /// No prediction, or no measured figure to grade it against.
    NotGraded,
}

impl Grade {
    pub fn words(self) -> &'static str {
        match self {
            Grade::Consistent => "consistent",
            Grade::Inconsistent => "inconsistent",
            Grade::Undetermined => "undetermined",
            Grade::NotGraded => "not graded",
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
    /// Per trial.
    pub timeout: std::time::Duration,
    /// The version of the interpreter the lab's Python rows run on.
    pub python_version: String,
    /// `lab run --python`: the interpreter the countdown's Python rows run on (None: the
    /// embedded one).
    pub python: Option<crate::domain::ExternalPython>,
}

/// Where a figure came from. Only `Measured` figures are graded or decide a check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// Measured in this run.
    #[default]
    Measured,
    /// The GIL model's answer (`source` names its parameters' origin).
    Model,
    /// A published figure (`source` names the publication).
    Published,
}

impl Provenance {
    pub fn word(self) -> &'static str {
        match self {
            Provenance::Measured => "measured",
            Provenance::Model => "model",
            Provenance::Published => "published",
        }
    }
}

/// A quantity a lab reports, as gilsim defines it: the one source of its label, unit and the
/// range of values it can physically take (a class summary skips values outside it).
#[derive(Clone, Debug)]
pub struct QuantityDef {
    pub name: String,
    pub label: String,
    pub unit: &'static str,
    /// Inclusive bounds of a physically possible value.
    pub range: (f64, f64),
    /// A count or a flag, the same in every run: graded by its value alone. Other figures
    /// are graded against the range their runs allow, and without one are undetermined.
    pub exact: bool,
}

impl QuantityDef {
    /// A quantity whose physical range follows from its unit.
    pub fn new(name: impl Into<String>, label: impl Into<String>, unit: &'static str) -> Self {
        let range = match unit {
            // Ratios of times or rates of runs that finished: never 0 or negative.
            "×" => (1e-3, 1e3),
            "%" => (0.0, 100.0),
            // Yes/no flags.
            "" => (0.0, 1.0),
            "s" => (0.0, 1e5),
            "ms" => (0.0, 1e8),
            "µs" => (0.0, 1e11),
            "/s" => (0.0, 1e9),
            "KiB" => (0.0, 1e10),
            _ => (f64::MIN, f64::MAX),
        };
        QuantityDef {
            name: name.into(),
            label: label.into(),
            unit,
            range,
            exact: false,
        }
    }

    /// The same quantity, graded by its value alone (see `exact`).
    pub fn exact(self) -> Self {
        QuantityDef {
            exact: true,
            ..self
        }
    }

    /// The same quantity with its own physical range.
    pub fn within(self, low: f64, high: f64) -> Self {
        QuantityDef {
            range: (low, high),
            ..self
        }
    }

    pub fn allows(&self, v: f64) -> bool {
        v.is_finite() && v >= self.range.0 && v <= self.range.1
    }
}

/// A check a lab decides, as gilsim defines it.
#[derive(Clone, Debug)]
pub struct CheckDef {
    pub name: String,
    pub description: String,
}

impl CheckDef {
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        CheckDef {
            name: name.into(),
            description: description.into(),
        }
    }
}

/// Every figure and check a lab can report.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub quantities: Vec<QuantityDef>,
    pub checks: Vec<CheckDef>,
}

impl Figures {
    pub fn quantity(&self, name: &str) -> Option<&QuantityDef> {
        self.quantities.iter().find(|q| q.name == name)
    }

    pub fn check(&self, name: &str) -> Option<&CheckDef> {
        self.checks.iter().find(|c| c.name == name)
    }
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
    #[serde(skip)]
    figures: Figures,
}

/// One figure: measured, the model's or published.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Quantity {
    pub name: String,
    pub label: String,
    pub value: Option<f64>,
    pub unit: String,
    #[serde(default)]
    pub provenance: Provenance,
    /// The model's parameters or the publication, where the figure is not measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The range the measurement's runs allow (low, high); absent when there is no spread to
    /// speak of (fewer than 3 runs, or a count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<[f64; 2]>,
}

impl Measured {
    /// An empty measurement of the lab whose figures are `figures`.
    pub fn new(figures: Figures) -> Measured {
        Measured {
            figures,
            ..Measured::default()
        }
    }

    fn push(&mut self, name: &str, value: Option<f64>, provenance: Provenance) -> &mut Quantity {
        let def = self.figures.quantity(name).cloned();
        debug_assert!(def.is_some(), "quantity {name} is not in its lab's figures");
        let def = def.unwrap_or_else(|| QuantityDef::new(name, name, ""));
        self.quantities.push(Quantity {
            name: def.name,
            label: def.label,
            value: value.filter(|v| v.is_finite()),
            unit: def.unit.into(),
            provenance,
            source: None,
            interval: None,
        });
        self.quantities.last_mut().expect("just pushed")
    }

    /// A figure measured in this run.
    pub fn quantity(&mut self, name: &str, value: Option<f64>) {
        self.push(name, value, Provenance::Measured);
    }

    /// A measured figure with the range its runs allow.
    pub fn quantity_within(&mut self, name: &str, value: Option<f64>, interval: Option<[f64; 2]>) {
        let q = self.push(name, value, Provenance::Measured);
        if q.value.is_some() {
            q.interval = interval.filter(|[lo, hi]| lo.is_finite() && hi.is_finite() && lo <= hi);
        }
    }

    /// The model's figure; `source` says where its parameters came from.
    pub fn modelled(&mut self, name: &str, value: Option<f64>, source: &str) {
        self.push(name, value, Provenance::Model).source = Some(source.into());
    }

    /// A measured figure's value (a model's figure is never returned here).
    pub fn value(&self, name: &str) -> Option<f64> {
        self.quantities
            .iter()
            .find(|q| q.name == name && q.provenance == Provenance::Measured)
            .and_then(|q| q.value)
    }

    /// A figure's value whatever its provenance, for discussion beside measured ones.
    pub fn any_value(&self, name: &str) -> Option<f64> {
        self.quantities
            .iter()
            .find(|q| q.name == name)
            .and_then(|q| q.value)
    }

    /// A check decided on measured figures; `needs` unmet (the reason) skips it.
    pub fn check(
        &mut self,
        name: &str,
        needs: Option<String>,
        passed: Option<bool>,
        detail: String,
    ) {
        let description = self.figures.check(name).map(|c| c.description.clone());
        debug_assert!(
            description.is_some(),
            "check {name} is not in its lab's figures"
        );
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
            description: description.unwrap_or_else(|| name.into()),
            outcome,
            detail,
            provenance: Provenance::Measured,
        });
    }
}

/// The limit a check puts on a figure that varies from run to run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    AtLeast(f64),
    AtMost(f64),
    Within(f64, f64),
}

impl Bound {
    /// Whether every value in `lo..=hi` meets the bound (Some(true)), none does (Some(false)),
    /// or the range straddles it (None).
    pub fn decide(self, lo: f64, hi: f64) -> Option<bool> {
        match self {
            Bound::AtLeast(x) if lo >= x => Some(true),
            Bound::AtLeast(x) if hi < x => Some(false),
            Bound::AtMost(x) if hi <= x => Some(true),
            Bound::AtMost(x) if lo > x => Some(false),
            Bound::Within(a, b) if lo >= a && hi <= b => Some(true),
            Bound::Within(a, b) if hi < a || lo > b => Some(false),
            _ => None,
        }
    }
}

impl Measured {
    /// A check on a figure that varies from run to run, decided by the whole range its runs
    /// allow: passed when every value in it meets `bound`, failed when none does, and skipped
    /// as undetermined when the range straddles the limit or there is no range.
    pub fn check_range(
        &mut self,
        name: &str,
        needs: Option<String>,
        figure: (Option<f64>, Option<[f64; 2]>),
        bound: Bound,
        detail: String,
    ) {
        let (passed, undetermined) = match figure {
            (None, _) => (None, None),
            (Some(_), None) => (
                None,
                Some("undetermined: the figure has no range (fewer than 3 runs)".to_string()),
            ),
            (Some(_), Some([lo, hi])) => match bound.decide(lo, hi) {
                Some(p) => (Some(p), None),
                None => (
                    None,
                    Some(format!(
                        "undetermined: the runs' range {} – {} straddles the limit",
                        report::number(lo),
                        report::number(hi)
                    )),
                ),
            },
        };
        self.check(name, needs.or(undetermined), passed, detail);
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
    /// Checks are decided on measured figures only.
    #[serde(default)]
    pub provenance: Provenance,
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

#[cfg(test)]
mod tests {
    use super::Bound;

    #[test]
    fn a_bound_decides_only_when_the_whole_range_is_on_one_side() {
        assert_eq!(Bound::AtLeast(1.4).decide(1.5, 1.9), Some(true));
        assert_eq!(Bound::AtLeast(1.4).decide(1.0, 1.3), Some(false));
        assert_eq!(Bound::AtLeast(1.4).decide(1.3, 1.5), None);
        assert_eq!(Bound::AtMost(1.1).decide(0.9, 1.05), Some(true));
        assert_eq!(Bound::AtMost(1.1).decide(1.2, 1.3), Some(false));
        assert_eq!(Bound::Within(0.9, 1.1).decide(0.95, 1.05), Some(true));
        assert_eq!(Bound::Within(0.9, 1.1).decide(1.2, 1.3), Some(false));
        // Both ends outside, the middle inside: not a failure.
        assert_eq!(Bound::Within(0.9, 1.1).decide(0.8, 1.2), None);
    }
}
