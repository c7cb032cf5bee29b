//! The search index: every entity and column as a compact JSON array in a
//! script (`window.SCHEMAC_SEARCH`), loaded with `<script src>` so search
//! works from `file://`, where pages cannot fetch.

use crate::graph::text::type_text;
use crate::semantic::ir::Ir;

/// `[[entity, column or "", detail], …]`: an entity hit when the column is
/// empty (detail: the first line of its doc), else a column (detail: its type).
pub fn index(ir: &Ir) -> String {
    let mut entries = Vec::new();
    for entity in &ir.entities {
        let doc = entity.doc.as_deref().and_then(|d| d.lines().next()).unwrap_or("");
        entries.push([entity.name.as_str().into(), String::new(), doc.to_string()]);
        for field in &entity.fields {
            let mut ty = type_text(&field.ty);
            if field.nullable {
                ty.push('?');
            }
            entries.push([entity.name.clone(), field.name.clone(), ty]);
        }
    }
    let json = serde_json::to_string(&entries).expect("strings serialize");
    format!("window.SCHEMAC_SEARCH = {json};\n")
}
