//! W0301: a policy tests whether an optional context value is set (`is
//! null`, or `coalesce`). A condition that compares with an unset value is
//! NULL and lets no row through — safe; one that *tests* for the unset value
//! decides what a session without it may do, and is where "every row" slips
//! in (`ctx.user_id is null or …`).

use super::at;
use crate::diagnostics::{codes, Diagnostic};
use crate::passes::Context;
use crate::semantic::ir::{Expr, Ir};

pub fn run(ir: &Ir, cx: &Context) -> Vec<Diagnostic> {
    let optional: Vec<&str> = ir.context.iter().filter(|c| c.nullable).map(|c| c.name.as_str()).collect();
    let mut out = Vec::new();
    for policy in &ir.policies {
        let mut tested: Vec<String> = Vec::new();
        for condition in policy.using.iter().chain(&policy.check) {
            condition.visit(&mut |e| {
                let inner: Vec<&Expr> = match e {
                    Expr::IsNull { expr, .. } => vec![expr],
                    Expr::Call { function, args } if function == "coalesce" => args.iter().collect(),
                    _ => Vec::new(),
                };
                for i in inner {
                    i.visit(&mut |x| {
                        if let Expr::Context { name, .. } = x {
                            if optional.contains(&name.as_str()) && !tested.contains(name) {
                                tested.push(name.clone());
                            }
                        }
                    });
                }
            });
        }
        for name in tested {
            let d = Diagnostic::new(
                codes::W0301,
                format!("policy `{}` decides what sessions without `ctx.{name}` may do", policy.name),
            );
            out.push(
                at(d, cx, &policy.id, "tests whether an optional context value is set")
                    .note(format!(
                        "`ctx.{name}` is optional: comparing with it when unset lets no row through, \
                         but this test can let every row through"
                    ))
                    .help(format!("make sure the unset case does not widen access, or declare `{name}` required")),
            );
        }
    }
    out
}
