//! Reports: the `gilsim.v1` document every command produces, and its renderings.
pub mod chart;
pub mod document;
pub mod flamegraph;
pub mod output;
pub mod progress;
pub mod render;
pub mod speedscope;
pub mod timeline_svg;
pub mod units;

pub use document::{Document, Host};
pub use output::OutputSpec;
pub use render::{field, render, Cell, Format, Row};
