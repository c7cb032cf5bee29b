//! `migrations.html`: the project's migration history, newest last, from
//! each migration's plan.json — its steps with phase and lock, and the
//! hazards that were acknowledged.

use std::fmt::Write;

use serde::Deserialize;

use super::page::{self, Frame};
use super::Input;
use crate::graph::escape_html as h;

/// One migration directory: its name and the plan it was written with.
pub struct Migration {
    pub name: String,
    pub plan: Option<Plan>,
}

#[derive(Deserialize)]
pub struct Plan {
    #[serde(default)]
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    summary: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    lock: String,
    #[serde(default)]
    hazards: Vec<Hazard>,
}

#[derive(Deserialize)]
struct Hazard {
    code: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    message: String,
}

impl Migration {
    /// A migration from its plan.json text (`None` when unreadable: the page
    /// then says so instead of failing the build).
    pub fn new(name: String, plan_json: Option<&str>) -> Migration {
        Migration { name, plan: plan_json.and_then(|text| serde_json::from_str(text).ok()) }
    }
}

pub fn page(input: &Input, nav: &str) -> String {
    let mut main = String::from("<h1>Migration history</h1>\n");
    let n = input.migrations.len();
    let _ = writeln!(
        main,
        "<p class=\"meta\">{n} migration{}, applied in this order by <code>schemac migrate apply</code>.</p>",
        if n == 1 { "" } else { "s" }
    );
    for migration in input.migrations {
        let _ = writeln!(
            main,
            "<section class=\"migration\" id=\"migration-{}\" aria-labelledby=\"migration-{0}-title\">\n<h2 id=\"migration-{0}-title\">{}</h2>",
            h(&migration.name),
            h(&migration.name)
        );
        let Some(plan) = &migration.plan else {
            main.push_str("<p>Its plan.json could not be read.</p>\n</section>\n");
            continue;
        };
        let hazards: Vec<(&Step, &Hazard)> =
            plan.steps.iter().flat_map(|s| s.hazards.iter().map(move |hz| (s, hz))).collect();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let _ = writeln!(
            main,
            "<p>{}, {}.</p>",
            plural(plan.steps.len(), "step"),
            plural(hazards.len(), "acknowledged hazard")
        );
        if !hazards.is_empty() {
            main.push_str("<ul class=\"hazards\">\n");
            for (_, hazard) in hazards {
                let _ = writeln!(
                    main,
                    "<li><code>{}</code> {}: {}</li>",
                    h(&hazard.code),
                    h(&hazard.object),
                    h(&hazard.message)
                );
            }
            main.push_str("</ul>\n");
        }
        main.push_str("<details><summary>Steps</summary>\n<ol>\n");
        for step in &plan.steps {
            let _ = writeln!(
                main,
                "<li>{} <span class=\"note\">{}, lock {}</span></li>",
                h(&step.summary),
                h(&step.phase),
                h(&step.lock)
            );
        }
        main.push_str("</ol>\n</details>\n</section>\n");
    }
    page::render(input, &Frame { title: "Migration history", root: "", nav }, &main)
}
