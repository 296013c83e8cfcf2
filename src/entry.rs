//! gilsim's command line: the cargo binary and the Python package's console script both
//! come here with their arguments.
use crate::cli::{Cli, Command};
use crate::embed::python_mode;
use crate::runner::{signals, RunError};
use crate::{commands, native, worker};
use std::ffi::OsString;

/// Runs gilsim with these arguments (the first is the program's name) and returns its exit
/// code; worker modes exit the process themselves.
pub fn main(args: Vec<OsString>) -> i32 {
    // Re-executed by multiprocessing as `python -c ...`, or by ourselves as a worker: neither
    // goes through the CLI. The package's multiprocessing children run Python itself.
    if crate::install::package().is_none() && python_mode::is_python_command_line(&args) {
        python_mode::main(&args);
    }
    if args.get(1).is_some_and(|a| a == "__worker") {
        worker::main();
    }
    if args.get(1).is_some_and(|a| a == native::pool::CHILD_ARG) {
        native::pool::child_main();
    }
    if args.get(1).is_some_and(|a| a == native::queue::SENDER_ARG) {
        native::queue::sender_main(&args);
    }
    // Output piped into `head` ends gilsim quietly, as it ends `cat`, instead of a panic on
    // the first write after the reader left (Rust and Python both ignore SIGPIPE).
    // SAFETY: restores a signal's default disposition; no handler runs.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    let cli = crate::cli::parse_from(args);
    signals::install();
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => report(&err),
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        None => {
            let args = demo_args();
            let code = commands::countdown::run(&args)?;
            eprintln!(
                "gilsim: this was the quick demo ({DEMO_RUNS} runs per row). `gilsim countdown` measures \
                 more runs; `gilsim --help` lists the other experiments."
            );
            Ok(code)
        }
        Some(Command::Countdown(args)) => commands::countdown::run(&args),
        Some(Command::Pool(args)) => commands::pool::run(&args),
        Some(Command::Queue(args)) => commands::queue::run(&args),
        Some(Command::Share(args)) => commands::share::run(&args),
        Some(Command::Sharing(args)) => commands::sharing::run(&args),
        Some(Command::Run(args)) => commands::run::run(&args),
        Some(Command::Scale(args)) => commands::scale::run(&args),
        Some(Command::Timeline(args)) => commands::timeline::run(&args),
        Some(Command::Simulate(args)) => commands::simulate::run(&args),
        Some(Command::Calibrate(args)) => commands::calibrate::run(&args),
        Some(Command::Convoy(args)) => commands::convoy::run(&args),
        Some(Command::Doctor) => commands::doctor::run(),
        Some(Command::Interpreters(args)) => commands::interpreters::run(&args),
        Some(Command::Watch(args)) => commands::watch::run(&args),
        Some(Command::Profile(args)) => commands::profile::run(&args),
        Some(Command::Lab(args)) => commands::lab::run(&args),
        Some(Command::Completions { shell }) => commands::completions::run(shell),
        Some(Command::Man) => commands::completions::man(),
        Some(Command::Worker) => unreachable!("handled before parsing"),
    }
}

/// Runs per row in the demo: the fewest that give a spread, so the demo costs a few times one
/// run of the study note's single-thread script (benches/demo.rs measures the ratio).
const DEMO_RUNS: &str = "3";

/// The demo: the study note's countdown (50,000,000 iterations; 1 and 2 threads, 2 processes,
/// Rust), with no warm-up (every trial is a fresh process) and held shares sampled from one
/// short untimed run per Python row.
fn demo_args() -> crate::cli::CountdownArgs {
    let demo = [
        "gilsim",
        "countdown",
        "--repeat",
        DEMO_RUNS,
        "--warmup",
        "0",
        "--sampled-count",
        "5000000",
        "--sampled-runs",
        "1",
    ];
    match crate::cli::parse_from(demo).command {
        Some(Command::Countdown(args)) => args,
        _ => unreachable!("the demo's arguments parse as a countdown"),
    }
}

/// One line naming the problem (a Python traceback first, where there is one); the exit code
/// follows the failure (124 timeout, 128+N signal, 1 otherwise).
fn report(err: &anyhow::Error) -> i32 {
    let run_error = err.chain().find_map(|c| c.downcast_ref::<RunError>());
    if let Some(RunError::Python {
        traceback: Some(tb),
        ..
    }) = run_error
    {
        eprint!("{tb}");
    }
    eprintln!("gilsim: {err:#}");
    if err.chain().any(|c| c.is::<crate::usage::UsageError>()) {
        return 2;
    }
    run_error.map_or(1, RunError::exit_code)
}
