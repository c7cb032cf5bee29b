//! IR objects said in plain words for people who do not read SQL: what a
//! behaviour does, who a policy lets see or change which rows, why an index
//! exists, what protecting a personal field means.
//!
//! Returns HTML fragments (escaped); expressions appear as `<code>` in the
//! `.schema` spelling.

use crate::graph::escape_html as h;
use crate::graph::text::expr_text;
use crate::semantic::ir::{Behaviour, BehaviourKind, Origin, Pii, Policy, PolicyCommand, RefAction};

pub fn code(text: &str) -> String {
    format!("<code>{}</code>", h(text))
}

/// What a behaviour does to the table, with its arguments.
pub fn behaviour(b: &Behaviour) -> String {
    let arg = |i: usize| b.args.get(i).map(|e| code(&expr_text(e))).unwrap_or_else(|| "the column".into());
    match b.kind {
        BehaviourKind::Touch => format!("{} is set to the current time on every update.", arg(0)),
        BehaviourKind::Immutable => {
            let columns: Vec<String> = b.args.iter().map(|e| code(&expr_text(e))).collect();
            let (verb, them) = if columns.len() == 1 { ("keeps", "it") } else { ("keep", "them") };
            format!(
                "{} {verb} the value inserted; an update that changes {them} is refused.",
                columns.join(", ")
            )
        }
        BehaviourKind::SoftDelete => format!(
            "DELETE marks the row ({} is set) instead of removing it; unique keys hold among live rows only, and the <code>_live</code> view shows the rows not deleted.",
            arg(0)
        ),
        BehaviourKind::Audit => "Every insert, update and delete is recorded in the audit log with the old and new values, who made it and when.".into(),
        BehaviourKind::Temporal => format!(
            "Old versions are kept in a history table with the period they were valid (from {}); the <code>_as_of</code> function reads the table as it was at a given time.",
            arg(0)
        ),
        BehaviourKind::TenantIsolation => format!(
            "Rows are visible and writable only for the session's tenant ({} equals <code>ctx.tenant_id</code>); a session that has not set its tenant sees no rows. References to rows of another tenant are refused.",
            arg(0)
        ),
        BehaviourKind::OptimisticLock => format!(
            "{} is increased on every update; an update based on a stale version changes nothing.",
            arg(0)
        ),
    }
}

pub fn behaviour_name(kind: BehaviourKind) -> &'static str {
    BehaviourKind::ALL.iter().find(|(_, k)| *k == kind).map_or("behaviour", |(name, _)| name)
}

/// A policy as one sentence: who, which commands, which rows.
pub fn policy(p: &Policy) -> String {
    let who = if p.roles.is_empty() {
        "every role".to_string()
    } else {
        p.roles.iter().map(|r| code(r)).collect::<Vec<_>>().join(", ")
    };
    let commands: Vec<&str> = p
        .commands
        .iter()
        .map(|c| match c {
            PolicyCommand::All => "read and write",
            PolicyCommand::Select => "read",
            PolicyCommand::Insert => "insert",
            PolicyCommand::Update => "update",
            PolicyCommand::Delete => "delete",
        })
        .collect();
    let (mut text, rows) = if p.restrictive {
        (format!("<strong>Restricts</strong> {who}: they may {} only", commands.join(", ")), " rows")
    } else {
        (format!("<strong>Allows</strong> {who} to {}", commands.join(", ")), " rows")
    };
    match (&p.using, &p.check) {
        (Some(using), Some(check)) if using == check => {
            text.push_str(&format!("{rows} where {}", code(&expr_text(using))));
        }
        (using, check) => {
            if let Some(using) = using {
                text.push_str(&format!("{rows} where {}", code(&expr_text(using))));
            } else if !p.restrictive {
                text.push_str(" every row");
            }
            if let Some(check) = check {
                text.push_str(&format!("; rows written must satisfy {}", code(&expr_text(check))));
            }
        }
    }
    text.push('.');
    text
}

/// Why an index, unique key or check exists.
pub fn origin(origin: &Origin) -> String {
    match origin {
        Origin::Declared => "declared".into(),
        Origin::Pattern { pattern } => format!("from pattern {}", code(pattern)),
        Origin::Relation { relation } => format!(
            "foreign key of {}: deleting or updating a referenced row and joining along the relation use it instead of scanning the table",
            code(relation.strip_prefix("relation:").unwrap_or(relation))
        ),
        Origin::Query { queries } => {
            let names: Vec<String> = queries.iter().map(|q| code(q)).collect();
            format!("advised for the workload {} {}", if queries.len() == 1 { "query" } else { "queries" }, names.join(", "))
        }
    }
}

pub fn pii(mode: Pii) -> &'static str {
    match mode {
        Pii::Encrypt => "Stored encrypted (pgcrypto); readable in clear only by a session that sets the key <code>app.pii_key</code>. The key is never in the schema or the lock file.",
        Pii::Mask => "Roles without clearance read it masked, through the table's <code>_masked</code> view.",
        Pii::Hash => "Stored as a keyed hash (key <code>app.pii_hash_key</code>): equality lookups work, the value cannot be read back.",
    }
}

pub fn pii_name(mode: Pii) -> &'static str {
    match mode {
        Pii::Encrypt => "encrypt",
        Pii::Mask => "mask",
        Pii::Hash => "hash",
    }
}

pub fn action(a: RefAction) -> &'static str {
    match a {
        RefAction::NoAction => "no action",
        RefAction::Restrict => "restrict",
        RefAction::Cascade => "cascade",
        RefAction::SetNull => "set null",
        RefAction::SetDefault => "set default",
    }
}
