//! `allow H0002 order.note`: a migration hazard acknowledged in the source,
//! next to the change it is about (the doc comment says why). The IR keeps
//! the list in `--allow` spelling; the planner reads it. Only H codes of the
//! code table are accepted (E0112).

use super::lower::Analyzer;
use crate::diagnostics::{codes, Code, Diagnostic};
use crate::syntax::ast;

impl Analyzer<'_> {
    pub(super) fn lower_allow(&mut self, allow: &ast::Allow) {
        let known = Code::parse(&allow.code.name).filter(|c| c.0.starts_with('H'));
        let Some(code) = known else {
            let hazards = codes::ALL.iter().filter(|(c, _)| c.0.starts_with('H')).map(|(c, _)| c.0);
            let mut d = Diagnostic::new(codes::E0112, format!("`{}` is not a hazard code", allow.code.name))
                .at(allow.code.span, "unknown hazard");
            d = match crate::diagnostics::did_you_mean(&allow.code.name, hazards) {
                Some(near) => d.help(format!("did you mean `{near}`? `schemac explain {near}` says what it is")),
                None => d.help("hazard codes are H0001 to H0009; `schemac plan` shows which a change has"),
            };
            self.report(d);
            return;
        };
        self.ir.allows.push(format!("{}:{}", code.0, allow.object.name));
    }
}
