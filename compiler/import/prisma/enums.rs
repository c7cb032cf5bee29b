//! Prisma enums as IR enums. The values are the labels the database
//! stores (an `@map("…")` value, else the name as written), in order.
//!
//! Prisma names the PostgreSQL type exactly as the enum (`"Role"`, or the
//! `@@map` value); the language names it in snake_case (`role`). When the
//! two differ the enum is still imported and W1003 says the type name will
//! not be the same. Enum values keep no documentation (the IR has no place
//! for it).

use std::collections::BTreeMap;

use super::ast::Enum;
use super::lower::Lowering;
use crate::diagnostics::{codes, Diagnostic, Span};
use crate::semantic::ir;
use crate::semantic::snake_case;

/// What fields and defaults need to know of an enum.
pub struct EnumInfo {
    /// (Prisma name, stored label) of each value, in order.
    pub values: Vec<(String, String)>,
}

impl Lowering<'_> {
    pub fn enumeration(&mut self, block: &Enum) -> Option<(EnumInfo, ir::Enum)> {
        let name = &block.name.text;
        let mut values = Vec::new();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for value in &block.values {
            let mut label = value.name.text.clone();
            for attribute in &value.attributes {
                match (attribute.name.text.as_str(), attribute.arg("name", true).and_then(|a| a.value.as_str())) {
                    ("map", Some(mapped)) => label = mapped.to_string(),
                    _ => self.report(
                        Diagnostic::new(
                            codes::W1000,
                            format!("`@{}` on an enum value is not imported", attribute.name.text),
                        )
                        .at(attribute.span, "not imported"),
                    ),
                }
            }
            if let Some(first) = seen.get(&label) {
                self.report(
                    Diagnostic::new(codes::E1004, format!("enum `{name}` has the value `{label}` twice"))
                        .at(value.span, "again here")
                        .also(*first, "first here"),
                );
                continue;
            }
            seen.insert(label.clone(), value.span);
            values.push((value.name.text.clone(), label));
        }
        if values.is_empty() {
            self.report(
                Diagnostic::new(codes::E1002, format!("enum `{name}` has no values"))
                    .at(block.name.span, "empty enum")
                    .help("list at least one value, one per line"),
            );
            return None;
        }
        let mut stored = name.clone();
        for attribute in &block.attributes {
            match attribute.name.text.as_str() {
                "map" => match attribute.arg("name", true).and_then(|a| a.value.as_str()) {
                    Some(mapped) => stored = mapped.to_string(),
                    None => self.report(
                        Diagnostic::new(codes::E1002, "`@@map` takes the database name as a string")
                            .at(attribute.span, "write `@@map(\"name\")`"),
                    ),
                },
                other => self.report(
                    Diagnostic::new(codes::W1000, format!("`@@{other}` on enum `{name}` is not imported"))
                        .at(attribute.span, "not imported")
                        .note(if other == "schema" {
                            "the language puts every type in the build's one schema"
                        } else {
                            "the importer does not know this attribute"
                        }),
                ),
            }
        }
        if snake_case(name) != stored {
            self.report(
                Diagnostic::new(
                    codes::W1003,
                    format!("enum `{name}` is the type `{stored}` in the database; schemac will name it `{}`", snake_case(name)),
                )
                .at(block.name.span, "type name differs")
                .note("Prisma names the PostgreSQL type exactly as the enum (or its `@@map`); the language names it in snake_case")
                .help(format!(
                    "rename the type once in the database (`ALTER TYPE \"{stored}\" RENAME TO {}`) before applying the imported schema",
                    snake_case(name)
                )),
            );
        }
        let lowered = ir::Enum {
            id: format!("enum:{name}"),
            name: name.clone(),
            values: values.iter().map(|(_, label)| label.clone()).collect(),
            doc: (!block.doc.is_empty()).then(|| block.doc.join("\n")),
        };
        Some((EnumInfo { values }, lowered))
    }
}
