//! The compiled state (`schema.lock`): the IR after the passes, serialized
//! canonically — a format version, then the IR with its stable ids, in the
//! IR's deterministic order, no timestamps and no paths. It is the base of the
//! next diff. Reading checks the version: an older one is upgraded here, a
//! newer one is refused with a message that says which schemac wrote it.
//!
//! Text in, text out: reading and writing the file is the CLI's job.

use serde::{Deserialize, Serialize};

use crate::semantic::ir::Ir;

/// The version of the format this schemac writes.
pub const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Lock {
    /// `schemac.lock` files say what they are in their first line.
    format: u32,
    ir: Ir,
}

/// The lock file's text for a compiled state.
pub fn write(ir: &Ir) -> String {
    #[derive(Serialize)]
    struct LockRef<'a> {
        format: u32,
        ir: &'a Ir,
    }
    serde_json::to_string_pretty(&LockRef { format: FORMAT, ir }).expect("the IR serializes") + "\n"
}

/// Why a lock file cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum StateError {
    /// Not JSON, or not the shape of a lock file.
    Malformed(String),
    /// Written by a newer schemac.
    TooNew(u32),
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateError::Malformed(why) => {
                write!(f, "not a schemac compiled state ({why}); restore it from version control")
            }
            StateError::TooNew(v) => write!(
                f,
                "format {v} is newer than this schemac understands ({FORMAT}); \
                 upgrade schemac (the file was written by a newer version)"
            ),
        }
    }
}

/// The state a plan leaves when it re-created `columns` (table, column)
/// through shadow columns: each is the last column of its table, in the
/// order they were added. The column-order pass keeps the lock's order, so
/// the next build's DDL puts them where the migrated database has them.
pub fn move_to_end(ir: &mut Ir, columns: &[(String, String)]) {
    for (table, column) in columns {
        let Some(entity) = ir.entities.iter_mut().find(|e| e.table == *table) else { continue };
        if let Some(at) = entity.fields.iter().position(|f| f.column == *column) {
            let field = entity.fields.remove(at);
            entity.fields.push(field);
        }
    }
}

/// Reads a lock file; format versions before [`FORMAT`] are upgraded.
pub fn read(text: &str) -> Result<Ir, StateError> {
    #[derive(Deserialize)]
    struct Header {
        format: u32,
    }
    // One pass over the (large) file when it is of this format; the header
    // alone is read only to explain a file that is not.
    let parsed = serde_json::from_str::<Lock>(text);
    if let Ok(lock) = parsed {
        if lock.format == FORMAT {
            return Ok(lock.ir);
        }
    }
    let header: Header = serde_json::from_str(text).map_err(|e| StateError::Malformed(e.to_string()))?;
    match header.format {
        FORMAT => {
            let lock: Lock = serde_json::from_str(text).map_err(|e| StateError::Malformed(e.to_string()))?;
            Ok(lock.ir)
        }
        0 => Err(StateError::Malformed("format 0 does not exist".into())),
        newer => Err(StateError::TooNew(newer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reads_back_as_written() {
        let c = crate::driver::compile_str("t.schema", "entity A {\n  id int primary\n  n text?\n}\n");
        let text = write(&c.ir);
        assert!(text.starts_with("{\n  \"format\": 1,"));
        assert_eq!(read(&text).unwrap(), c.ir);
        assert_eq!(write(&read(&text).unwrap()), text, "canonical: a round trip changes nothing");
    }

    #[test]
    fn newer_and_broken_files_are_refused_with_a_reason() {
        assert_eq!(read("{\"format\": 9, \"ir\": {}}"), Err(StateError::TooNew(9)));
        assert!(matches!(read("not json"), Err(StateError::Malformed(_))));
        assert!(read("{\"format\": 9}").unwrap_err().to_string().contains("upgrade schemac"));
    }
}
