//! One convoy cell inside the worker: the Python echo server and CPU threads, and the host
//! client thread timing requests while the worker's main thread lets go of the GIL.
use crate::domain::{ConvoyOutcome, Percentiles};
use crate::embed::{error::python_error, interpreter, modules};
use crate::native::echo_client;
use crate::protocol::{ConvoyTrial, Measured, Record};
use crate::stats::percentile;
use anyhow::Result;
use pyo3::prelude::*;
use std::os::fd::BorrowedFd;
use std::time::Duration;

pub fn run(trial: &ConvoyTrial) -> Result<Record> {
    interpreter::start()?;
    Python::attach(|py| -> Result<Record> {
        py.import("sys")?
            .call_method1("setswitchinterval", (trial.switch_interval_s,))
            .map_err(|e| python_error(py, e))?;
        let convoy = modules::load(py, "gilsim_convoy")?
            .getattr("Convoy")?
            .call1((trial.cpu_threads,))
            .map_err(|e| python_error(py, e))?;
        let fd: i32 = convoy.call_method0("client_fd")?.extract()?;
        let duration = Duration::from_secs_f64(trial.duration_s);
        // The client must not hold the GIL, and neither may we while it runs.
        let result = py.detach(|| {
            // SAFETY: the socket stays open (owned by the Convoy object) until finish().
            echo_client::run(unsafe { BorrowedFd::borrow_raw(fd) }, duration)
        });
        convoy
            .call_method0("finish")
            .map_err(|e| python_error(py, e))?;
        let result = result?;
        let lat = &result.latencies_s;
        Ok(Record::Measured {
            wall_s: result.elapsed_s,
            usage: Default::default(),
            gil: None,
            data: Measured::Convoy(ConvoyOutcome {
                requests: result.requests,
                requests_per_s: result.requests as f64 / result.elapsed_s,
                latency_s: (!lat.is_empty()).then(|| Percentiles {
                    p50: percentile(lat, 50.0),
                    p99: percentile(lat, 99.0),
                }),
            }),
        })
    })
}
