//! `gilsim doctor`: how gilsim was installed, which interpreter it runs, and whether its
//! pieces agree.
use crate::domain::PythonInfo;
use crate::embed::home::{self, Venv};
use crate::embed::interpreter::{
    CONFIGURED_LIBDIR, CONFIGURED_LIBNAME, CONFIGURED_PYTHON, CONFIGURED_VERSION,
};
use crate::scenario::host;
use anyhow::{Context, Result};
use std::time::Duration;

pub fn run() -> Result<i32> {
    let package = crate::install::package();
    // Names a missing configured build before anything tries to start it.
    let venv = match package {
        None => Some(home::choose()?.venv),
        Some(_) => None,
    };
    let info =
        host::python_info(Duration::from_secs(60)).context("starting the embedded interpreter")?;
    let rows = [
        ("installed as", crate::install::install_kind()),
        ("embedded sys.version", info.sys_version.replace('\n', " ")),
        ("implementation", info.implementation.clone()),
        ("sys.prefix", info.prefix.clone()),
        ("sys.executable", info.executable.clone()),
        ("standard library", info.stdlib_dir.clone()),
        ("libpython (mapped)", info.libpython.clone().unwrap_or_else(|| "none found in /proc/self/maps".into())),
        ("libpython (stdlib's)", info.stdlib_libpython.clone().unwrap_or_else(|| "unknown".into())),
        (
            "configured at build",
            match package {
                None => format!("{CONFIGURED_VERSION} ({CONFIGURED_PYTHON}; lib{CONFIGURED_LIBNAME} in {CONFIGURED_LIBDIR})"),
                Some(_) => "none: the package's native module uses CPython's stable ABI (3.9+) and runs in whichever interpreter imports it".into(),
            },
        ),
        ("CPUs", info.cpu_count.to_string()),
        (
            "start methods",
            format!("{} (default {})", info.start_methods.join(", "), info.default_start_method),
        ),
        ("switch interval", format!("{} s", info.switch_interval_s)),
        ("GIL", if info.gil_enabled { "enabled".into() } else { "disabled (free-threaded)".into() }),
        ("python3 on PATH", path_python()),
        ("virtual env", match &venv {
            None if crate::install::prefix() != std::path::Path::new(&info.prefix) => {
                format!("{} (the hosting interpreter's)", info.prefix)
            }
            None => "none: the hosting interpreter runs outside one".into(),
            Some(Venv::None) => "none active".into(),
            Some(Venv::Used(path)) => format!("{} (same build: its site-packages are used)", path.display()),
            Some(Venv::Ignored { path, made_from }) => format!(
                "{} ignored: made from {made_from}, not the build gilsim embeds",
                path.display()
            ),
        }),
    ];
    for (name, value) in rows {
        println!("{name:<22} {value}");
    }
    let (speeds, load) = cpu_speeds();
    println!("{:<22} {speeds}", "CPU speeds");
    println!("{:<22} {load}", "other load");
    let problems = problems(&info);
    if problems.is_empty() {
        println!("{:<22} ok: one consistent interpreter", "check");
        return Ok(0);
    }
    for problem in &problems {
        eprintln!("gilsim doctor: {problem}");
    }
    Ok(1)
}

/// Rounds of the CPU speed check (one 60 ms slice per CPU each).
const SPEED_ROUNDS: usize = 12;
/// Below this 10th-percentile ratio of the slowest CPU's speed to the fastest's, the CPUs
/// are called unequal.
const UNEQUAL: f64 = 0.85;

/// Whether the CPUs run at one speed, and what else the machine did meanwhile, in words.
fn cpu_speeds() -> (String, String) {
    let window = crate::measure::load::LoadWindow::open();
    let speeds = match crate::measure::cpu_speed::measure(SPEED_ROUNDS) {
        Ok(Some(s)) => {
            let (median, low) = s.summary();
            let each = s
                .cpus
                .iter()
                .zip(&s.relative_median)
                .map(|(c, r)| format!("cpu{c} {r:.2}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "slowest / fastest CPU per round of 60 ms slices: median {median:.2}, 10th \
                 percentile {low:.2} ({SPEED_ROUNDS} rounds; medians {each}){}",
                if low < UNEQUAL {
                    ": unequal. A lone thread stays on one CPU for its whole run, while threads \
                     handing the GIL over run on all of them, so 1-thread runs can take longer \
                     than 2-thread runs here"
                } else {
                    ": even"
                }
            )
        }
        Ok(None) => "one CPU: nothing to compare".into(),
        Err(e) => format!("unavailable ({e})"),
    };
    let load = match window.and_then(|w| w.close()) {
        Some(l) => format!(
            "{:.2} CPUs of other processes' work, {:.2} CPUs stolen by the hypervisor, during \
             the CPU speed check",
            l.other_cpus, l.steal_cpus
        ),
        None => "unavailable".into(),
    };
    (speeds, load)
}

/// Disagreements between the library that was loaded, the standard library and the build.
pub fn problems(info: &PythonInfo) -> Vec<String> {
    let mut out = Vec::new();
    if crate::install::package().is_some() {
        // The package runs in the interpreter that imported it, with whatever libpython that
        // interpreter has (none for a static build): nothing can disagree.
        return out;
    }
    if info.version != CONFIGURED_VERSION {
        out.push(format!(
            "the embedded interpreter is {} but gilsim was built against {CONFIGURED_VERSION}; rebuild (cargo build) or point PYO3_PYTHON at the interpreter you want",
            info.version
        ));
    }
    match (&info.libpython, &info.stdlib_libpython) {
        (None, _) => out.push("no libpython is mapped into the process; gilsim needs a CPython built with --enable-shared".into()),
        (Some(mapped), Some(expected)) if mapped != expected => out.push(format!(
            "the loaded libpython {mapped} is not the one the standard library in {} belongs to ({expected}): library and standard library may be different versions",
            info.stdlib_dir
        )),
        _ => {}
    }
    out
}

/// The `python3` a shell would run, and whether it is the build gilsim embeds (gilsim uses its
/// own build either way).
fn path_python() -> String {
    let probe = "import platform, sys; print(platform.python_version()); print(sys.base_prefix); print(sys.executable)";
    let Ok(out) = std::process::Command::new("python3")
        .args(["-c", probe])
        .output()
    else {
        return "none (gilsim does not need one)".into();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let [version, prefix, executable] = lines[..] else {
        return "present, but it did not describe itself".into();
    };
    let (mine, prefix_mine) = (crate::install::version(), crate::install::prefix());
    let same = version == mine
        && std::fs::canonicalize(prefix).ok() == std::fs::canonicalize(&prefix_mine).ok();
    if same {
        format!("{version} ({executable}): the build gilsim embeds")
    } else {
        format!(
            "{version} ({executable}): a different build; gilsim still embeds {mine} from {}",
            prefix_mine.display()
        )
    }
}
