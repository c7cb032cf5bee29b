//! The stable diagnostic codes. A code never changes meaning once released;
//! spec/errors.md documents each one with a minimal example (a test keeps the
//! two in step). E = error, W = warning (a lint level may raise it),
//! H = migration hazard.

use serde::Serialize;

use super::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(pub &'static str);

impl Code {
    pub fn default_severity(self) -> Severity {
        if self.0.starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    pub fn title(self) -> &'static str {
        ALL.iter().find(|(c, _)| *c == self).map_or("", |(_, t)| t)
    }

    pub fn parse(text: &str) -> Option<Code> {
        ALL.iter().map(|(c, _)| *c).find(|c| c.0.eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

macro_rules! codes {
    ($($name:ident = $title:literal;)*) => {
        $(pub const $name: Code = Code(stringify!($name));)*
        /// Every code with its one-line title, in code order.
        pub const ALL: &[(Code, &str)] = &[$(($name, $title)),*];
    };
}

codes! {
    E0001 = "syntax error";
    E0002 = "unclosed block";
    E0003 = "file is not valid UTF-8";
    E0004 = "nesting too deep";
    E0005 = "invalid literal";
    E0100 = "duplicate definition";
    E0101 = "unknown type";
    E0102 = "unknown entity";
    E0103 = "unknown field";
    E0104 = "unknown pattern";
    E0105 = "unknown module or import";
    E0106 = "duplicate member";
    E0107 = "unknown enum value";
    E0108 = "unknown role";
    E0109 = "unknown context value";
    E0110 = "unknown function";
    E0111 = "name not allowed here";
    E0112 = "unknown hazard code";
    E0113 = "invalid PostgreSQL schema name";
    E0200 = "default does not match the field's type";
    E0201 = "condition is not boolean";
    E0202 = "operand types do not match";
    E0203 = "wrong function arguments";
    E0204 = "invalid type arguments";
    E0205 = "null default on a required field";
    E0206 = "invalid generated value";
    E0207 = "invalid pii protection";
    E0208 = "invalid denormalized source";
    E0300 = "navigation name already in use";
    E0301 = "set null on a required relation";
    E0302 = "relation target has no primary key";
    E0303 = "invalid relation shape";
    E0304 = "conflicting relation options";
    E0400 = "cyclic pattern application";
    E0401 = "pattern member conflicts with the entity";
    E0402 = "invalid pattern argument";
    E0403 = "unknown behaviour";
    E0404 = "member not allowed here";
    E0405 = "invalid behaviour argument";
    E0406 = "behaviour attached twice";
    E0500 = "entity has no primary key";
    E0501 = "more than one primary key";
    E0502 = "invalid index";
    E0503 = "invalid partitioning";
    E0504 = "invalid search";
    E0505 = "attribute given twice";
    E0600 = "invalid policy";
    E0601 = "invalid grant";
    E0602 = "cyclic role inheritance";
    E0700 = "invalid workload query";
    E0701 = "invalid view";
    E0702 = "invalid function or trigger";
    E0800 = "name too long for the backend";
    E0801 = "two objects with one name on the backend";
    E0802 = "not expressible on the backend";
    E0900 = "invalid project file";
    // Import, Prisma schemas: E1000–E1019 (errors), W1000–W1019 (warnings).
    E1000 = "Prisma syntax error";
    E1001 = "unknown name in a Prisma schema";
    E1002 = "invalid Prisma attribute or relation";
    E1003 = "Prisma model without a primary key";
    E1004 = "duplicate name in a Prisma schema";
    // Import, SQL dumps: E1020–E1039, W1020–W1039.
    E1020 = "SQL dump failed to load";
    E1021 = "dump needs a role the server lacks";
    E1022 = "dump needs an extension the server lacks";
    E1023 = "unterminated quote or comment in SQL dump";
    // Import, live PostgreSQL: E1040–E1059, W1040–W1059.
    H0001 = "table dropped";
    H0002 = "column dropped";
    H0003 = "table rewritten";
    H0004 = "existing rows may not satisfy the change";
    H0005 = "rename breaks running clients";
    H0006 = "constraint removed";
    H0007 = "partition dropped";
    H0008 = "change needs a manual migration";
    H0009 = "drop and add that may be a rename";
    H0010 = "trigger removed";
    H0011 = "row-level security weakened";
    W0001 = "empty file";
    W0100 = "naming convention";
    W0101 = "unused import";
    W0102 = "raw SQL escape hatch";
    W0200 = "text primary key";
    W0201 = "foreign key without an index";
    W0202 = "nullable boolean";
    W0203 = "timestamp without time zone";
    W0204 = "money stored as floating point";
    W0205 = "redundant index";
    W0206 = "hard delete cascades into soft-deleted rows";
    W0300 = "tenant data without row-level security";
    W0301 = "policy tests an optional context value";
    W0302 = "materialized view bypasses row-level security";
    W0400 = "no index serves a workload query";
    W0401 = "index no workload query uses";
    W0402 = "write-heavy entity with many indexes";
    W1000 = "Prisma feature not imported";
    W1001 = "value generated by Prisma Client";
    W1002 = "relations not enforced by the database";
    W1003 = "enum type named differently";
    W1004 = "native type imported as the closest type";
    W1005 = "relation imported as plain fields";
    W1006 = "name changed for the language";
    W1007 = "Prisma schema for another database";
    W1008 = "implicit many-to-many table keyed as Prisma 6 keys it";
    W1020 = "dump statement not run";
    W1021 = "psql meta-command not run";
    W1022 = "dump rows not loaded";
    W1023 = "dump ends inside a transaction";
    W1040 = "imported name cannot be kept";
    W1041 = "imported domain over a raw SQL type";
    W1042 = "imported column of a raw SQL type";
    W1043 = "imported serial column has an unusual sequence";
    W1044 = "imported table feature not carried";
    W1045 = "imported index method not supported";
    W1046 = "imported foreign key not carried";
    W1047 = "imported database objects not carried";
    W1048 = "imported table without a primary key";
    W1049 = "imported function, trigger or view not carried";
    W1050 = "imported pattern left spelled out";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_unique_and_titled() {
        for pair in ALL.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        assert!(ALL.iter().all(|(_, title)| !title.is_empty()));
    }

    #[test]
    fn codes_parse_case_insensitively() {
        assert_eq!(Code::parse("e0102"), Some(E0102));
        assert_eq!(Code::parse("E9999"), None);
    }
}
