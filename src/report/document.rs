//! The stable JSON shape (`gilsim.v1`) shared by every command.
use crate::domain::PythonInfo;
use serde::Serialize;

pub const SCHEMA: &str = "gilsim.v1";

#[derive(Debug, Serialize)]
pub struct Document<R, V = String> {
    pub schema: &'static str,
    pub command: String,
    pub params: serde_json::Value,
    pub host: Host,
    pub results: Vec<R>,
    /// The words computed from the measurement: a string, or an object that also names its
    /// kind (`scale`).
    pub verdict: V,
}

/// A verdict as the table and Markdown show it.
pub trait VerdictText: Serialize {
    fn text(&self) -> &str;
}

impl VerdictText for String {
    fn text(&self) -> &str {
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Host {
    pub cpus: usize,
    pub python: Option<HostPython>,
    /// Said in the table's header line (e.g. "uncalibrated"); JSON carries it in `params`.
    #[serde(skip)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HostPython {
    /// `platform.python_version()` of the embedded interpreter.
    pub version: String,
    pub implementation: String,
    pub libpython: Option<String>,
    pub gil_enabled: bool,
    pub sys_version: String,
    pub default_switch_interval_s: f64,
}

impl Host {
    pub fn new(python: Option<&PythonInfo>) -> Host {
        Host {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            python: python.map(|p| HostPython {
                version: p.version.clone(),
                implementation: p.implementation.clone(),
                libpython: p.libpython.clone(),
                gil_enabled: p.gil_enabled,
                sys_version: p.sys_version.clone(),
                default_switch_interval_s: p.switch_interval_s,
            }),
            note: None,
        }
    }

    /// One line naming the machine and interpreter, for table headers.
    pub fn describe(&self) -> String {
        let machine = match &self.python {
            Some(p) => format!(
                "{} {}{} · {} CPU{}",
                p.implementation,
                p.version,
                if p.gil_enabled {
                    ""
                } else {
                    " (free-threaded)"
                },
                self.cpus,
                if self.cpus == 1 { "" } else { "s" }
            ),
            None => format!("{} CPU{}", self.cpus, if self.cpus == 1 { "" } else { "s" }),
        };
        match &self.note {
            Some(note) => format!("{machine} · {note}"),
            None => machine,
        }
    }
}
