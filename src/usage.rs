//! Errors in how gilsim was called that only show after parsing (options that do not go
//! together, a window past the end of the run): they exit 2, like clap's own usage errors.

/// A usage error; `main` turns it into exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Returns early with a `UsageError` (as `anyhow::bail!` does for other errors).
#[macro_export]
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err($crate::usage::UsageError(format!($($arg)*)).into())
    };
}
