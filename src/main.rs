use clap::Parser;
use gilsim::cli::{Cli, Command};
use gilsim::embed::python_mode;
use gilsim::runner::{signals, RunError};
use gilsim::{commands, native, worker};
use std::ffi::OsString;

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    // Re-executed by multiprocessing as `python -c ...`, or by ourselves as a worker: neither
    // goes through the CLI.
    if python_mode::is_python_command_line(&args) {
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
    let cli = Cli::parse();
    signals::install();
    let code = match dispatch(cli) {
        Ok(code) => code,
        Err(err) => report(&err),
    };
    std::process::exit(code)
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        None => {
            // The seed demo: the countdown with the seed's figures.
            let Cli {
                command: Some(Command::Countdown(args)),
            } = Cli::parse_from(["gilsim", "countdown"])
            else {
                unreachable!("the demo's arguments parse as a countdown")
            };
            commands::countdown::run(&args)
        }
        Some(Command::Countdown(args)) => commands::countdown::run(&args),
        Some(Command::Pool(args)) => commands::pool::run(&args),
        Some(Command::Queue(args)) => commands::queue::run(&args),
        Some(Command::Share(args)) => commands::share::run(&args),
        Some(Command::Run(args)) => commands::run::run(&args),
        Some(Command::Timeline(args)) => commands::timeline::run(&args),
        Some(Command::Simulate(args)) => commands::simulate::run(&args),
        Some(Command::Calibrate(args)) => commands::simulate::calibrate(&args),
        Some(Command::Convoy(args)) => commands::simulate::convoy(&args),
        Some(Command::Doctor) => commands::doctor::run(),
        Some(Command::Worker) => unreachable!("handled before parsing"),
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
    run_error.map_or(1, RunError::exit_code)
}
