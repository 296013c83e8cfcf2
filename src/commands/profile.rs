//! `gilsim profile --pid PID` or `gilsim profile SCRIPT [ARGS…]`: which code holds the GIL,
//! which waits for it and behind which code, sampled from outside with the exact hand-off count
//! of the same run.
use crate::cli::{ProfileArgs, ProfileFormat};
use crate::files::{check_writable, write_atomically};
use crate::measure::outside::{memory, OutsideError};
use crate::report::flamegraph::{self, Stack};
use crate::report::{render, speedscope, Document, Format, Host};
use crate::scenario::profile::rows::{top_functions, top_pairs};
use crate::scenario::profile::{profile, verdict::verdict, GilUse, Profile, ProfileSpec};
use crate::usage_bail;
use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// How long a started script has to show a Python interpreter gilsim can read.
const ATTACH_WITHIN: Duration = Duration::from_secs(10);
/// Rows in each "top functions" table.
const TOP: usize = 8;

/// The JSON report: the usual envelope, with the profile's own parts beside the rows.
#[derive(Serialize)]
struct ProfileDocument<'a> {
    #[serde(flatten)]
    doc: Document<crate::scenario::profile::ThreadProfile>,
    #[serde(flatten)]
    profile: &'a Profile,
}

pub fn run(args: &ProfileArgs) -> Result<i32> {
    for path in [&args.output, &args.flamegraph].into_iter().flatten() {
        check_writable(path, "the profile")?;
    }
    // Where the script's interpreter says its pid and waits for the profiler to attach.
    let hold = tempfile::tempdir().context("creating a temporary directory")?;
    let (pid, mut script) = match (&args.pid, &args.script) {
        (Some(pid), None) => (*pid, None),
        (None, Some(script)) => {
            if let Err(code) = crate::commands::run::check_script(script) {
                return Ok(code);
            }
            let mut child = start_script(args, hold.path())?;
            match held_pid(&mut child, hold.path()) {
                Ok(pid) => (pid, Some(child)),
                Err(e) => {
                    stop_script(&mut child);
                    return Err(e);
                }
            }
        }
        _ => usage_bail!("give --pid PID or a SCRIPT to run, not both and not neither"),
    };
    let spec = ProfileSpec {
        pid,
        duration: args.duration.map(Duration::from_secs_f64),
        rate_hz: args.rate,
        release: script.is_some().then(|| hold.path().join("go")),
    };
    let p = match profile(&spec) {
        Ok(p) => p,
        Err(e) => {
            if let Some(child) = script.as_mut() {
                stop_script(child);
            }
            return Err(explained(e, pid));
        }
    };
    let verdict = verdict(&p);
    let doc = ProfileDocument {
        doc: Document {
            schema: crate::report::document::SCHEMA,
            command: "profile".into(),
            params: json!({ "pid": pid, "rate_hz": args.rate, "duration_s": args.duration,
                            "script": args.script }),
            host: Host::new(None),
            results: p.threads.clone(),
            verdict,
        },
        profile: &p,
    };
    let machine = match args.format {
        ProfileFormat::Table => None,
        ProfileFormat::Json => {
            Some(serde_json::to_string_pretty(&doc).expect("serializable") + "\n")
        }
        ProfileFormat::Speedscope => {
            Some(serde_json::to_string(&speedscope_of(&p)).expect("serializable") + "\n")
        }
    };
    if let Some(path) = &args.flamegraph {
        write_atomically(path, &flamegraph_of(&p)?)?;
    }
    // The file gets the chosen format; stdout the table, unless it carries a machine format.
    match (&args.output, machine) {
        (None, Some(text)) => print!("{text}"),
        (path, machine) => {
            let table = table(&doc, &p);
            if let Some(path) = path {
                write_atomically(path, machine.as_deref().unwrap_or(&table))?;
            }
            print!("{table}");
        }
    }
    // A script still running after --duration runs on to its end; the report comes first.
    if let Some(Ok(status)) = script.as_mut().map(|c| c.wait()) {
        if !status.success() && args.format == ProfileFormat::Table {
            eprintln!("gilsim: the profiled script exited with {status}");
        }
    }
    Ok(0)
}

/// A one-line reason, with what to do about it where something can be done.
fn explained(e: OutsideError, pid: i32) -> anyhow::Error {
    match e {
        OutsideError::Ended(_) if !memory::alive(pid) => {
            anyhow::anyhow!("profiling process {pid}: it ended before a sample could be taken")
        }
        e @ OutsideError::NotCPython(_) => anyhow::anyhow!(
            "profiling process {pid}: {e}{}",
            crate::commands::watch::child_hint(pid)
        ),
        e => anyhow::Error::new(e).context(format!("profiling process {pid}")),
    }
}

/// The script, run as by `gilsim run` (in the embedded interpreter, or `--python`'s), held at
/// its start until the profiler has attached (`protocol::HOLD_ENV`).
fn start_script(args: &ProfileArgs, hold: &std::path::Path) -> Result<Child> {
    let script = args.script.as_ref().expect("a script");
    let mut command = crate::install::gilsim_command().context("finding gilsim itself")?;
    command.arg("run").arg("--no-footer");
    if let Some(python) = &args.python {
        let python = crate::interpreters::resolve(python).map_err(crate::usage::UsageError)?;
        command.arg("--python").arg(&python.path);
    }
    command.arg(script).args(&args.args);
    // A report printed on stdout keeps it to itself: the script's output goes to stderr.
    if args.format != ProfileFormat::Table && args.output.is_none() {
        command.stdout(std::io::stderr());
    }
    command.stdin(Stdio::null());
    command.env(crate::protocol::HOLD_ENV, hold);
    command.spawn().context("starting the script")
}

/// Ends the script: SIGTERM lets `gilsim run` kill everything it started, then reaps it.
fn stop_script(child: &mut Child) {
    crate::runner::signals::send(child.id() as i32, crate::runner::signals::Signal::SIGTERM);
    let _ = child.wait();
}

/// The pid of the process that runs the script, as it writes it in `hold` before the script
/// starts (the embedded interpreter's worker, or `--python`'s interpreter).
fn held_pid(child: &mut Child, hold: &std::path::Path) -> Result<i32> {
    let started = Instant::now();
    loop {
        if let Some(pid) = std::fs::read_to_string(hold.join("pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return Ok(pid);
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("the script ended ({status}) before its interpreter could be read");
        }
        if started.elapsed() > ATTACH_WITHIN {
            anyhow::bail!(
                "no Python interpreter started the script within {} s",
                ATTACH_WITHIN.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn table(doc: &ProfileDocument, p: &Profile) -> String {
    let mut out = render(&doc.doc, Format::Table, false);
    let section = |title: &str, body: String| format!("\n{title}\n{body}\n");
    for (state, title) in [
        (GilUse::Waiting, "Where threads waited for the GIL"),
        (GilUse::Held, "Where the GIL was held"),
        (GilUse::Released, "Where threads ran without the GIL"),
    ] {
        let rows = top_functions(p, state, TOP);
        if !rows.is_empty() {
            out += &section(title, crate::report::render::rows_table(&rows));
        }
    }
    let pairs = top_pairs(p, TOP);
    if !pairs.is_empty() {
        out += &section(
            "Who waited behind whom (at the same samples)",
            crate::report::render::rows_table(&pairs),
        );
    }
    let check = p.sampled_vs_exact_max_gap.map_or(String::new(), |gap| {
        format!(
            " Sampled against exact: each thread's sampled share on a CPU (held + ran without \
             it) is within {:.1} points of the kernel's (on CPU + run queue).",
            gap * 100.0
        )
    });
    let exact = match &p.gil {
        Some(gil) => format!(
            "{} GIL hand-offs (its switch counter, found {})",
            crate::report::units::thousands(gil.switches),
            crate::measure::outside::found_by(gil.source)
        ),
        None => "no GIL hand-offs to count (a free-threaded build without its GIL)".into(),
    };
    let footer = format!(
        "Process {} runs CPython {}: {} samples in {:.1} s at about {} Hz ({} due but missed; \
         the sampler used {:.3} s of CPU). Sampled: the holder (the GIL's own record), waiting \
         (asleep on the GIL's condition variable or mutex), running without the GIL (running by \
         the kernel, not holding), idle (asleep elsewhere). Exact, from the same run: {exact} \
         and each thread's on-CPU and run-queue shares (the kernel's accounting).{check}",
        p.pid, p.python, p.samples, p.seconds, p.rate_hz, p.missed, p.sampler_cpu_s,
    );
    out += &format!(
        "\n{}\n",
        crate::report::render::wrap(&footer, crate::report::render::WIDTH)
    );
    out
}

/// Every thread's stacks in one flame graph, under one root frame per state.
fn flamegraph_of(p: &Profile) -> Result<String> {
    let labels: Vec<String> = p
        .stacks
        .iter()
        .map(|s| format!("thread {}", thread_label(s.thread, &s.thread_name)))
        .collect();
    let stacks: Vec<Stack> = p
        .stacks
        .iter()
        .zip(&labels)
        .map(|(s, label)| Stack {
            frames: std::iter::once(state_words(p, s.state))
                .chain(s.waits_on.as_deref())
                .chain(std::iter::once(label.as_str()))
                .chain(s.frames.iter().map(String::as_str))
                .collect(),
            samples: s.samples,
        })
        .collect();
    flamegraph::svg(
        &format!("gilsim profile: process {} (CPython {})", p.pid, p.python),
        &stacks,
    )
}

/// A state as the build that was profiled has it.
fn state_words(p: &Profile, state: GilUse) -> &'static str {
    if p.gil.is_none() && p.build == "free-threaded" {
        state.words_without_gil()
    } else {
        state.words()
    }
}

fn thread_label(tid: Option<u64>, name: &str) -> String {
    match tid {
        Some(tid) => format!("{tid} {name}"),
        None => name.to_string(),
    }
}

/// One speedscope profile per thread and state.
fn speedscope_of(p: &Profile) -> serde_json::Value {
    let mut profiles = Vec::new();
    for t in &p.threads {
        for state in GilUse::ALL {
            let stacks: Vec<(&[String], u64)> = p
                .stacks
                .iter()
                .filter(|s| s.thread == t.tid && s.state == state)
                .map(|s| (s.frames.as_slice(), s.samples))
                .collect();
            if !stacks.is_empty() {
                profiles.push(speedscope::Profile {
                    name: format!(
                        "thread {}: {}",
                        thread_label(t.tid, &t.name),
                        state_words(p, state)
                    ),
                    stacks,
                });
            }
        }
    }
    speedscope::document(
        &format!("gilsim profile of process {} (CPython {})", p.pid, p.python),
        &profiles,
    )
}
