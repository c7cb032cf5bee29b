//! `schemac explain CODE`: prints a code's entry from spec/errors.md, which
//! is embedded in the binary so the explanation matches the compiler.

use super::UsageError;
use crate::diagnostics::codes::{self, Code};

const ERRORS_MD: &str = include_str!("../../spec/errors.md");

/// The section of spec/errors.md for `code` (from its heading to the next).
pub fn entry(code: Code) -> Option<&'static str> {
    let heading = format!("## {}", code.0);
    let start = ERRORS_MD.find(&heading)?;
    let rest = &ERRORS_MD[start..];
    let end = rest[heading.len()..].find("\n## ").map_or(rest.len(), |i| i + heading.len() + 1);
    Some(rest[..end].trim_end())
}

pub fn run(code: Option<String>, list: bool) -> Result<bool, UsageError> {
    if list || code.is_none() {
        for (code, title) in codes::ALL {
            super::out(&format!("{code}  {title}\n"));
        }
        return Ok(true);
    }
    let text = code.unwrap_or_default();
    let Some(code) = Code::parse(&text) else {
        return Err(UsageError(format!(
            "`{text}` is not a schemac diagnostic code; `schemac explain --list` shows them all"
        )));
    };
    match entry(code) {
        Some(entry) => {
            super::out(&format!("{entry}\n"));
            Ok(true)
        }
        None => Err(UsageError(format!("{code} has no entry in spec/errors.md"))),
    }
}
