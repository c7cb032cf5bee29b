//! Generates realistic schemas of any size for benchmarks and scale tests:
//! N entities spread over N/50 files, each with a mix of field types,
//! defaults, checks, indexes, patterns, a many-to-one relation to an earlier
//! entity, every tenth a many-to-many; roles, grants, policies and queries.
//! Deterministic: the same N gives the same text.

/// The files of a generated project: (file name, source text).
pub fn project(entities: usize) -> Vec<(String, String)> {
    let per_file = 50;
    let mut files = Vec::new();
    let mut header = String::from("use std::patterns::timestamps\n\n");
    header.push_str(
        "context {\n  tenant_id uuid\n  user_id uuid?\n}\n\nrole app_user\nrole reader inherits app_user\n\n",
    );
    header.push_str("enum Status { draft, active, archived }\n\n");
    header.push_str("entity Tenant {\n  id uuid = uuid_v7() primary\n  name text\n  apply timestamps\n}\n");
    files.push(("common.schema".to_string(), header));
    let mut start = 0;
    while start < entities {
        let end = (start + per_file).min(entities);
        let mut text = String::from(
            "use std::patterns::{timestamps, soft_delete, audit, tenant_scoped}\nuse std::types::{email, money}\n\n",
        );
        for i in start..end {
            entity(&mut text, i);
        }
        files.push((format!("part_{:05}.schema", start / per_file), text));
        start = end;
    }
    files
}

fn entity(out: &mut String, i: usize) {
    use std::fmt::Write;
    let name = format!("Entity{i}");
    let _ = writeln!(out, "/// Generated entity number {i}.");
    let _ = writeln!(out, "entity {name} {{");
    let _ = writeln!(out, "  id         bigint = identity primary");
    let _ = writeln!(out, "  code       varchar(32) unique");
    let _ = writeln!(out, "  title      text check (length(title) between 1 and 200)");
    let _ = writeln!(out, "  contact    email?");
    let _ = writeln!(out, "  amount     money = 0 check (amount >= 0)");
    let _ = writeln!(out, "  quantity   int = 1");
    let _ = writeln!(out, "  status     Status = draft");
    let _ = writeln!(out, "  active     bool = true");
    let _ = writeln!(out, "  notes      text?");
    let _ = writeln!(out, "  due_on     date?");
    let _ = writeln!(out, "  payload    json = {{}}");
    let _ = writeln!(out, "  check (status != archived or active == false)");
    let _ = writeln!(out, "  index (status, due_on desc) where active");
    match i % 3 {
        0 => {
            let _ = writeln!(out, "  apply timestamps, soft_delete, tenant_scoped");
        }
        1 => {
            let _ = writeln!(out, "  apply timestamps, audit");
        }
        _ => {
            let _ = writeln!(out, "  apply timestamps");
        }
    }
    let _ = writeln!(out, "  volume {}k rows, grows {}/day", 1 + i % 500, 10 + i % 90);
    let _ = writeln!(out, "}}\n");
    if i > 0 {
        let parent = (i * 7 + 3) % i;
        let _ = writeln!(out, "relation {name}.parent -> Entity{parent}.children_{i} {{\n  on delete set null\n}}\n");
    }
    if i % 10 == 9 {
        let other = i - 5;
        let _ = writeln!(out, "relation {name}.links <-> Entity{other}.linked_{i}\n");
    }
    if i.is_multiple_of(3) {
        let _ = writeln!(
            out,
            "policy isolation on {name} {{\n  to app_user\n  using (tenant == ctx.tenant_id)\n  check (tenant == ctx.tenant_id)\n}}\n"
        );
    }
    let _ = writeln!(
        out,
        "grant select, insert, update on {name} to app_user\ngrant select (id, code, title) on {name} to reader\n"
    );
    if i.is_multiple_of(5) {
        let _ = writeln!(
            out,
            "workload w{i} {{\n  query by_status_{i}: {name} where status == $s and active order by due_on desc limit 50 at 100/s\n}}\n"
        );
    }
}
