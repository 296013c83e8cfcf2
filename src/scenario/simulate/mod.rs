//! `gilsim simulate`: the model's prediction for one scenario (`--validate` is the sibling
//! `validate` scenario).
mod rows;

pub use rows::{SimRow, SimThread};

use crate::report::units::{seconds, thousands};
use crate::report::{Document, Host};
use crate::scenario::spec::SimulateSpec;
use crate::sim::{self, Outcome, Params, Policy, Scenario};
use anyhow::Result;
use rows::row;
use serde_json::json;
use std::time::Instant;

/// The parameters to use, and a sentence saying where they come from.
pub fn parameters(spec: &SimulateSpec) -> (Params, String) {
    let model = &spec.model;
    if model.calibrated {
        return (
            model.params.clone(),
            format!("Parameters: {}.", model.params.source),
        );
    }
    let defaults = Params::default();
    let note = format!(
        "No calibration found at {} (run `gilsim calibrate`): using documented defaults ({:.0} ns per iteration, {} wake-up, {} timer lateness, {} per hand-off).",
        model.path.display(),
        defaults.iteration_s * 1e9,
        seconds(defaults.wakeup_s),
        seconds(defaults.timeout_latency_s),
        seconds(defaults.switch_cost_s)
    );
    (defaults, note)
}

pub fn one(spec: &SimulateSpec) -> Result<(Document<SimRow>, Outcome, Scenario)> {
    if spec.threads.len() > 1 || spec.switch_interval.len() > 1 {
        crate::usage_bail!("lists of --threads or --switch-interval go with --validate");
    }
    let (params, note) = parameters(spec);
    let calibrated = params.source != Params::default().source;
    let threads = spec.threads.first().copied().unwrap_or(2);
    let cores = spec
        .cores
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let scenario = Scenario {
        cpu_threads: threads,
        count: spec.count.unwrap_or(50_000_000),
        io_threads: spec.io_threads as usize,
        cores,
        switch_interval_s: spec
            .switch_interval
            .first()
            .copied()
            .unwrap_or(crate::domain::DEFAULT_SWITCH_INTERVAL_S),
        policy: spec.gil,
        seed: spec.seed,
        duration_s: spec.duration,
        record: spec.record,
        // The study note's script: one thread runs in the main thread, several are started by it.
        main_thread: threads > 1 && spec.gil == Policy::New,
        exact: spec.exact,
    };
    if threads == 0 && spec.io_threads == 0 {
        crate::usage_bail!("nothing to simulate: give --threads or --io-threads at least 1");
    }
    if threads == 0 && spec.io_threads > 0 && spec.duration.is_none() {
        crate::usage_bail!("with only I/O threads the run never ends by itself: give --duration");
    }
    let note = note + &defaults_relied_on(&params, &scenario, calibrated);
    let started = Instant::now();
    let outcome = sim::simulate(&params, &scenario);
    let took = started.elapsed().as_secs_f64();
    let row = row(&params, &scenario, &outcome, took);
    let verdict = format!(
        "The model predicts {} for {} thread{} ({} policy, {} switch interval, {} cores): {} hand-offs ({:.0} per second){}. {note} Simulated {} events in {}.",
        seconds(row.predicted_wall_s),
        threads,
        if threads == 1 { "" } else { "s" },
        format!("{:?}", spec.gil).to_lowercase(),
        seconds(scenario.switch_interval_s),
        cores,
        thousands(row.predicted_switches),
        row.switches_per_s,
        row.requests_per_s.map_or(String::new(), |r| format!(
            "; the I/O threads served {} requests/s",
            thousands(r.round() as u64)
        )),
        thousands(row.events),
        seconds(took)
    ) + &how_complete(&row);
    let doc = Document {
        schema: crate::report::document::SCHEMA,
        command: "simulate".into(),
        params: json!({
            "threads": threads,
            "cores": cores,
            "switch_interval_s": scenario.switch_interval_s,
            "count": scenario.count,
            "io_threads": spec.io_threads,
            "gil": spec.gil,
            "seed": spec.seed,
            "exact": spec.exact,
            "calibrated": calibrated,
            "model": params,
        }),
        host: Host {
            note: (!calibrated).then(|| "uncalibrated".to_string()),
            ..Host::new(None)
        },
        results: vec![row],
        verdict,
    };
    Ok((doc, outcome, scenario))
}

/// The parameters a scenario's answer rests on, beyond the countdown's own (fitted by
/// `calibrate`).
fn relied_on(s: &Scenario) -> Vec<&'static str> {
    let mut fields = Vec::new();
    match s.policy {
        Policy::Old => fields.extend([
            "old_release_cost_s",
            "old_check_ticks",
            "old_ticks_per_iteration",
            "old_win_probability",
        ]),
        Policy::New if s.cpu_threads + s.io_threads > 1 => {
            fields.push("jitter");
            if s.cpu_threads + s.io_threads > 2 || s.io_threads > 0 {
                fields.push("requester_wins");
            }
            if s.cores == 1 {
                fields.push("single_core_slice_s");
            }
        }
        _ => {}
    }
    if s.main_thread {
        fields.push("thread_start_s");
    }
    if s.io_threads > 0 {
        fields.extend(["io_request_cpu_s", "io_outside_s"]);
    }
    fields
}

/// A sentence naming the documented defaults among the fields the answer rests on, when a
/// calibration is in use (without one, everything is a default and the note says so).
fn defaults_relied_on(params: &Params, s: &Scenario, calibrated: bool) -> String {
    if !calibrated {
        return String::new();
    }
    let defaulted: Vec<&str> = relied_on(s)
        .into_iter()
        .filter(|f| params.source_of(f) == sim::FieldSource::Default)
        .collect();
    if defaulted.is_empty() {
        String::new()
    } else {
        format!(
            " This answer also rests on documented defaults, fitted on the developers' machine, \
             not here: {}.",
            defaulted.join(", ")
        )
    }
}

/// What the prediction rests on: every event, a fast-forward with its bound, or a run the
/// event limit cut short (then it is no prediction at all).
fn how_complete(row: &SimRow) -> String {
    if !row.complete {
        return format!(
            " INCOMPLETE: the run reached the limit of {} events at {} of simulated time, so {} is only how far it got, not the predicted wall (the work alone takes at least {}); use fewer iterations or no --exact.",
            thousands(row.event_limit),
            seconds(row.simulated_to_s),
            seconds(row.predicted_wall_s),
            seconds(row.serial_floor_s)
        );
    }
    match &row.extrapolated {
        Some(x) => format!(
            " Extrapolated: after {} of simulated time the last {} windows of {} hand-offs agreed on the work rate within {:.2} %, so {} were fast-forwarded at those rates and the end simulated again; {}{} (--exact simulates every event).",
            seconds(x.from_s),
            x.windows,
            thousands(x.window_hand_offs),
            x.rate_spread * 100.0,
            seconds(x.skipped_s),
            if x.wall_bound_s > 0.0 {
                format!(
                    "the predicted wall is within ±{} of an event-by-event run at that spread",
                    seconds(x.wall_bound_s)
                )
            } else {
                "the run ended at its --duration, which is its wall".into()
            },
            if row.io_threads > 0 {
                format!(
                    ", and the requests within ±{} (the windows' request rates times the skipped time)",
                    thousands(x.requests_bound.round() as u64)
                )
            } else {
                String::new()
            }
        ),
        None => " Every event was simulated.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(exact: bool) -> Scenario {
        Scenario {
            exact,
            ..Scenario::cpu_bound(8, 3_000_000_000, 0.001, 2)
        }
    }

    #[test]
    fn a_calibrated_answer_names_the_defaults_it_rests_on() {
        let mut p = Params::default();
        p.mark(
            &crate::sim::params::COUNTDOWN_FIELDS,
            sim::FieldSource::Calibrated,
        );
        let old = Scenario {
            policy: Policy::Old,
            ..Scenario::cpu_bound(2, 1_000, 0.005, 2)
        };
        let text = defaults_relied_on(&p, &old, true);
        assert!(text.contains("old_win_probability"), "{text}");
        let one = Scenario::cpu_bound(1, 1_000, 0.005, 2);
        assert_eq!(defaults_relied_on(&p, &one, true), "");
        p.mark(&["jitter", "thread_start_s"], sim::FieldSource::Calibrated);
        let two = Scenario::cpu_bound(2, 1_000, 0.005, 2);
        assert_eq!(defaults_relied_on(&p, &two, true), "");
        let four = Scenario::cpu_bound(4, 1_000, 0.005, 1);
        let text = defaults_relied_on(&p, &four, true);
        assert!(text.contains("requester_wins") && text.contains("single_core_slice_s"));
    }

    #[test]
    fn a_cut_run_is_never_presented_as_the_prediction() {
        let p = Params::default();
        let s = scenario(true);
        let cut = row(&p, &s, &sim::simulate_with_limit(&p, &s, 5_000), 0.0);
        assert!(!cut.complete);
        let text = how_complete(&cut);
        assert!(
            text.contains("INCOMPLETE") && text.contains("not the predicted wall"),
            "{text}"
        );
        let cells = crate::report::Row::cells(&cut);
        assert!(cells.iter().any(|c| c.text.contains("(cut)")));
        let fields = crate::report::Row::fields(&cut);
        assert!(fields.contains(&("complete", "false".to_string())));
    }

    #[test]
    fn the_answer_says_how_it_was_reached() {
        let p = Params::default();
        let s = scenario(true);
        let exact = row(&p, &s, &sim::simulate(&p, &s), 0.0);
        assert!(how_complete(&exact).contains("Every event was simulated"));
        let long = Scenario {
            count: 100_000_000_000,
            ..scenario(false)
        };
        let fast = row(&p, &long, &sim::simulate(&p, &long), 0.0);
        assert!(fast.extrapolated.is_some());
        assert!(how_complete(&fast).contains("fast-forwarded"));
        assert!(fast.predicted_wall_s >= fast.serial_floor_s);
    }
}
