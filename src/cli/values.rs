//! The value checks behind the options: each rejects bad input up front with gilsim's own
//! one-line message (clap exits with code 2).
use std::path::PathBuf;
use std::time::Duration;

/// FILE:FUNC, with FILE an existing Python file and FUNC a Python name.
pub(super) fn scale_target(text: &str) -> Result<(PathBuf, String), String> {
    let (file, func) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("the target takes FILE:FUNC, got '{text}'"))?;
    python_name(func, "FUNC")?;
    let path = PathBuf::from(file);
    if !path.is_file() {
        return Err(format!("{file}: no such file"));
    }
    Ok((path, func.to_string()))
}

/// FILE:NAME for --inputs-from.
pub(super) fn scale_inputs_from(text: &str) -> Result<String, String> {
    let (file, name) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("--inputs-from takes FILE:ITERABLE, got '{text}'"))?;
    python_name(name, "ITERABLE")?;
    if !std::path::Path::new(file).is_file() {
        return Err(format!("{file}: no such file"));
    }
    Ok(text.to_string())
}

/// A Python identifier.
fn python_name(name: &str, what: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("{what} must be a Python name, got '{name}'"))
    }
}

/// The model's GIL policies by name (the model crate knows nothing of clap).
pub(super) fn gil_policy() -> impl clap::builder::TypedValueParser<Value = crate::sim::Policy> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(crate::sim::Policy::ALL.map(crate::sim::Policy::name))
        .map(|name| name.parse().expect("a listed policy"))
}

fn whole_number(text: &str, what: &str) -> Result<u64, String> {
    let cleaned = text.replace('_', "");
    cleaned
        .parse::<u64>()
        .map_err(|_| format!("{what} must be a whole number, got '{text}'"))
}

pub(super) fn positive_u64(text: &str) -> Result<u64, String> {
    match whole_number(text, "count")? {
        0 => Err("count must be at least 1".into()),
        n => Ok(n),
    }
}

pub(super) fn worker_count(text: &str) -> Result<usize, String> {
    match whole_number(text, "a worker count")? {
        0 => Err("a worker count must be at least 1".into()),
        n if n > 256 => Err(format!(
            "{n} workers is more than gilsim runs (at most 256)"
        )),
        n => Ok(n as usize),
    }
}

/// A whole number from 1 to `max` (`max_text` as the message writes it).
fn count_up_to(text: &str, what: &str, max: u64, max_text: &str) -> Result<usize, String> {
    match whole_number(text, what)? {
        0 => Err(format!("{what} must be at least 1")),
        n if n > max => Err(format!("{what} must be at most {max_text}")),
        n => Ok(n as usize),
    }
}

pub(super) fn item_count(text: &str) -> Result<usize, String> {
    count_up_to(text, "items", 100_000_000, "100,000,000")
}

pub(super) fn chunk_size(text: &str) -> Result<usize, String> {
    count_up_to(text, "chunksize", u64::MAX, "")
}

pub(super) fn iterations(text: &str) -> Result<u64, String> {
    whole_number(text, "work")
}

pub(super) fn message_count(text: &str) -> Result<usize, String> {
    count_up_to(text, "messages", 10_000_000, "10,000,000")
}

pub(super) fn interval_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("the interval must be a number of seconds, got '{text}'"))?;
    if !value.is_finite() || !(0.0..=60.0).contains(&value) {
        return Err(format!(
            "the interval must be between 0 and 60 seconds, got '{text}'"
        ));
    }
    Ok(value)
}

/// The most threads a real run starts.
pub const MAX_REAL_THREADS: usize = 64;
/// The most threads the model simulates: it has no limit of its own; this keeps one run's
/// memory and time bounded (each thread is a few words and events per hand-off).
pub const MAX_MODEL_THREADS: usize = 10_000;

pub(super) fn thread_count_or_zero(text: &str) -> Result<usize, String> {
    match whole_number(text, "a thread count")? {
        n if n > MAX_REAL_THREADS as u64 => Err(format!(
            "{n} threads is more than gilsim runs here (at most {MAX_REAL_THREADS})"
        )),
        n => Ok(n as usize),
    }
}

/// A simulated CPU-bound thread count, up to [`MAX_MODEL_THREADS`].
pub(super) fn model_thread_count(text: &str) -> Result<usize, String> {
    match whole_number(text, "a thread count")? {
        n if n > MAX_MODEL_THREADS as u64 => Err(format!(
            "{n} threads is more than the model simulates (at most {MAX_MODEL_THREADS})"
        )),
        n => Ok(n as usize),
    }
}

pub(super) fn repeat_count(text: &str) -> Result<usize, String> {
    count_up_to(text, "repeat", 1000, "1000")
}

fn positive_seconds(text: &str, what: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{what} must be a number of seconds, got '{text}'"))?;
    if !value.is_finite() || value <= 0.0 {
        return Err(format!(
            "{what} must be greater than 0 seconds, got '{text}'"
        ));
    }
    Ok(value)
}

pub(super) fn switch_interval(text: &str) -> Result<f64, String> {
    let value = positive_seconds(text, "the switch interval")?;
    // CPython stores it in whole microseconds; below 1 µs it would round to nothing.
    if !(1e-6..=60.0).contains(&value) {
        return Err(format!(
            "the switch interval must be between 0.000001 and 60 seconds, got '{text}'"
        ));
    }
    Ok(value)
}

/// Milliseconds in, seconds out.
pub(super) fn probe_ms(text: &str) -> Result<f64, String> {
    let ms: f64 = text.parse().map_err(|_| {
        format!("the probe interval must be a number of milliseconds, got '{text}'")
    })?;
    if !ms.is_finite() || !(0.01..=10_000.0).contains(&ms) {
        return Err(format!(
            "the probe interval must be between 0.01 and 10000 ms, got '{text}'"
        ));
    }
    Ok(ms / 1e3)
}

pub(super) fn start_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("--at must be a number of seconds, got '{text}'"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("--at must be 0 or more seconds, got '{text}'"));
    }
    Ok(value)
}

pub(super) fn timeout_seconds(text: &str) -> Result<Duration, String> {
    positive_seconds(text, "the timeout").and_then(|s| duration(s, text))
}

pub(super) fn watch_seconds(text: &str) -> Result<f64, String> {
    let value = positive_seconds(text, "the time")?;
    if !(0.01..=1e6).contains(&value) {
        return Err(format!(
            "the time must be between 0.01 and 1000000 seconds, got '{text}'"
        ));
    }
    Ok(value)
}

pub(super) fn budget_seconds(text: &str) -> Result<Duration, String> {
    positive_seconds(text, "the budget").and_then(|s| duration(s, text))
}

/// Seconds as a `Duration`, refused where one cannot hold them.
fn duration(seconds: f64, text: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("'{text}' seconds is too long"))
}

pub(super) fn window_seconds(text: &str) -> Result<f64, String> {
    positive_seconds(text, "the length")
}
