//! Field-level protection of personal data (`pii(…)`) on PostgreSQL.
//!
//! - `pii(encrypt)`: the column holds `bytea` ciphertext (pgcrypto,
//!   `pgp_sym_encrypt`). Writers store `schemac_pii_encrypt(value::text)`;
//!   readers with clearance get `schemac_pii_decrypt(column)`, executable by
//!   the roles granted SELECT on the column only. The key comes from the
//!   session (`app.pii_key`); it is never in the DDL, the lock file or the
//!   database. Without it both functions raise instead of writing NULL.
//! - `pii(hash)`: the column holds `bytea`, an HMAC-SHA-256 keyed by the
//!   session's `app.pii_hash_key` (`schemac_pii_hash(value)`), so equality
//!   lookups work and the clear value is never stored.
//! - `pii(mask)`: `<table>_masked` shows the table with masked columns
//!   (`schemac_pii_mask`: all but the last four characters starred) and
//!   without encrypted ones. It reads the table as its owner, so roles without
//!   the column's privilege see the masked value; it filters by tenant itself
//!   when the entity is tenant-isolated, applies the restrictive policies
//!   aimed at particular roles to those roles (`pg_has_role`), and is granted
//!   to every role that may read the entity.
//!
//! A check, default, index or key that reads an encrypted or hashed field
//! would see ciphertext: that is E0207, reported here.

use super::lower::Lowering;
use super::model::{Function, Grant, View};
use super::{expr, lower, quote};
use crate::diagnostics::{codes, Diagnostic};
use crate::semantic::ir::{self, Expr, Pii};

pub const ENCRYPT: &str = "schemac_pii_encrypt";
pub const DECRYPT: &str = "schemac_pii_decrypt";
pub const HASH: &str = "schemac_pii_hash";
pub const MASK: &str = "schemac_pii_mask";

/// A column's comment: the field's doc, and how to read and write it when
/// it is protected.
pub fn column_comment(field: &ir::Field) -> Option<String> {
    let Some(pii) = field.pii else { return field.doc.clone() };
    let how = match pii {
        Pii::Encrypt => format!(
            "Personal data, encrypted: write {ENCRYPT}(value::text), read {DECRYPT}({}) with app.pii_key set.",
            field.column
        ),
        Pii::Hash => format!("Personal data, keyed hash: look up with {} = {HASH}(value).", field.column),
        Pii::Mask => "Personal data: roles without clearance read it masked in the `_masked` view.".to_string(),
    };
    Some(match &field.doc {
        Some(doc) => format!("{doc}\n\n{how}"),
        None => how,
    })
}

/// Whether the field is stored as bytes the database cannot read.
pub fn opaque(field: &ir::Field) -> bool {
    matches!(field.pii, Some(Pii::Encrypt | Pii::Hash))
}

impl Lowering<'_> {
    /// Reports checks, defaults, indexes and keys that read an encrypted or
    /// hashed field of `entity`.
    pub(super) fn check_pii_uses(&mut self, entity: &ir::Entity) {
        let opaque_fields: Vec<&ir::Field> = entity.fields.iter().filter(|f| opaque(f)).collect();
        if opaque_fields.is_empty() {
            return;
        }
        let mut uses: Vec<(&str, &str)> = Vec::new();
        let read = |e: &Expr| e.columns();
        for f in &opaque_fields {
            if f.default.is_some() {
                uses.push((&f.name, "its default"));
            }
        }
        for check in &entity.checks {
            for c in read(&check.expr) {
                if let Some(f) = opaque_fields.iter().find(|f| f.name == c) {
                    uses.push((&f.name, "a check"));
                }
            }
        }
        for index in &entity.indexes {
            for key in &index.keys {
                let computed = !matches!(key.expr, Expr::Column { .. });
                for c in read(&key.expr) {
                    if let Some(f) =
                        opaque_fields.iter().find(|f| f.name == c && (computed || f.pii == Some(Pii::Encrypt)))
                    {
                        uses.push((&f.name, "an index"));
                    }
                }
            }
        }
        for unique in &entity.uniques {
            for c in &unique.columns {
                if let Some(f) = opaque_fields.iter().find(|f| &f.name == c && f.pii == Some(Pii::Encrypt)) {
                    uses.push((&f.name, "a unique key (ciphertext differs every time)"));
                }
            }
        }
        for (field, place) in uses {
            let d = Diagnostic::new(
                codes::E0207,
                format!("{place} reads `{}.{field}`, which is stored encrypted or hashed", entity.name),
            );
            let id = entity.field(field).map_or(entity.id.as_str(), |f| f.id.as_str()).to_string();
            let d = self.at(d, &id, "the database sees only bytes here");
            self.report(
                d.help("check and index the value in the application, or use `pii(hash)` for equality lookups"),
            );
        }
    }

    pub(super) fn lower_pii(&mut self) {
        let ir = self.ir;
        let fields = || ir.entities.iter().flat_map(|e| e.fields.iter().map(move |f| (e, f)));
        let encrypts = fields().any(|(_, f)| f.pii == Some(Pii::Encrypt));
        let hashes = fields().any(|(_, f)| f.pii == Some(Pii::Hash));
        let masks = fields().any(|(_, f)| f.pii == Some(Pii::Mask));
        if encrypts {
            self.pii_helper(
                ENCRYPT,
                "plain",
                "text",
                "bytea",
                &keyed_body("app.pii_key", "encrypted", "pgp_sym_encrypt(plain, key)"),
                false,
                "Encrypts with the session's `app.pii_key` (pgcrypto). Made by schemac for `pii(encrypt)`.",
            );
            self.pii_helper(DECRYPT, "cipher", "bytea", "text", &keyed_body("app.pii_key", "decrypted", "pgp_sym_decrypt(cipher, key)"), true, "Decrypts with the session's `app.pii_key`; executable by roles that may read an encrypted column. Made by schemac for `pii(encrypt)`.");
        }
        if hashes {
            self.pii_helper(HASH, "plain", "text", "bytea", &keyed_body("app.pii_hash_key", "hashed", "hmac(plain, key, 'sha256')"), false, "HMAC-SHA-256 keyed by the session's `app.pii_hash_key`, for equality lookups. Made by schemac for `pii(hash)`.");
        }
        if masks {
            self.pii_helper(
                MASK,
                "plain",
                "text",
                "text",
                MASK_BODY,
                false,
                "All but the last four characters starred. Made by schemac for `pii(mask)`.",
            );
            for entity in &ir.entities {
                if entity.fields.iter().any(|f| f.pii == Some(Pii::Mask)) {
                    self.masked_view(entity);
                }
            }
        }
        if encrypts {
            self.decrypt_grants();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pii_helper(&mut self, name: &str, param: &str, from: &str, to: &str, body: &str, revoke: bool, comment: &str) {
        self.routines.claim(name);
        self.catalog.functions.push(Function {
            name: name.into(),
            params: vec![(param.into(), from.into())],
            returns: to.into(),
            language: if body.contains("BEGIN") { "plpgsql" } else { "sql" }.into(),
            body: body.into(),
            volatility: Some(if name == MASK { "IMMUTABLE" } else { "STABLE" }.into()),
            revoke_public: revoke,
            helper: true,
            comment: Some(comment.into()),
            ..Function::default()
        });
    }

    /// `<table>_masked`: every column, masked ones masked, encrypted ones left out.
    fn masked_view(&mut self, entity: &ir::Entity) {
        let name = lower::generated_name(&entity.table, "masked");
        let what = format!("the masked view of `{}` (pii(mask))", entity.name);
        if !self.claim_user_name("relation", &name, &what, &entity.id) {
            return;
        }
        let Some(table) = self.table(&entity.table) else { return };
        let mut select = Vec::new();
        let mut columns = Vec::new();
        for c in &table.columns {
            let field = entity.fields.iter().find(|f| f.column == c.name);
            match field.and_then(|f| f.pii) {
                Some(Pii::Encrypt) => continue,
                Some(Pii::Mask) => select.push(format!(
                    "{}.{}({}) AS {}",
                    quote::ident(&self.options.schema),
                    MASK,
                    quote::ident(&c.name),
                    quote::ident(&c.name)
                )),
                _ => select.push(quote::ident(&c.name)),
            }
            columns.push(c.name.clone());
        }
        let mut query =
            format!("SELECT {} FROM {}", select.join(", "), quote::qualified(&self.options.schema, &entity.table));
        // It reads as its owner: hold it to the tenant itself, and to the
        // restrictive policies aimed at the roles that read it (those aimed
        // at every role bind the owner too: row-level security is forced).
        let mut conditions: Vec<String> = self.tenant_condition(entity).into_iter().collect();
        for policy in self.ir.policies.iter().filter(|p| {
            p.entity == entity.name
                && p.restrictive
                && !p.roles.is_empty()
                && p.commands.iter().any(|c| matches!(c, ir::PolicyCommand::All | ir::PolicyCommand::Select))
        }) {
            let Some(using) = &policy.using else { continue };
            let roles: Vec<String> =
                policy.roles.iter().map(|r| format!("pg_has_role({}, 'MEMBER')", quote::literal(r))).collect();
            conditions.push(format!(
                "(NOT ({}) OR ({}))",
                roles.join(" OR "),
                expr::print(using, &self.scope(Some(entity)))
            ));
        }
        if !conditions.is_empty() {
            query.push_str(" WHERE ");
            query.push_str(&conditions.join(" AND "));
        }
        self.catalog.views.push(View {
            name: name.clone(),
            materialized: false,
            security_invoker: false,
            query,
            columns,
            comment: Some(format!(
                "`{}` with personal data masked, for roles that may not read it. Made by schemac for pii(mask).",
                entity.table
            )),
        });
        let readers: Vec<String> = self
            .ir
            .grants
            .iter()
            .filter(|g| g.entity == entity.name && g.privilege == ir::Privilege::Select)
            .map(|g| g.role.clone())
            .collect();
        for role in readers {
            let grant = Grant {
                kind: "TABLE".into(),
                object: name.clone(),
                params: Vec::new(),
                role,
                privilege: "SELECT".into(),
                columns: Vec::new(),
            };
            if !self.catalog.grants.contains(&grant) {
                self.catalog.grants.push(grant);
            }
        }
        self.catalog.grants.sort();
    }

    /// EXECUTE on the decrypting function for every role that may read an
    /// encrypted column.
    fn decrypt_grants(&mut self) {
        let ir = self.ir;
        for grant in ir.grants.iter().filter(|g| g.privilege == ir::Privilege::Select) {
            let Some(entity) = ir.entity(&grant.entity) else { continue };
            let reads_encrypted = entity
                .fields
                .iter()
                .filter(|f| f.pii == Some(Pii::Encrypt))
                .any(|f| grant.columns.as_ref().is_none_or(|cols| cols.contains(&f.name)));
            let g = Grant {
                kind: "FUNCTION".into(),
                object: DECRYPT.into(),
                params: vec!["bytea".into()],
                role: grant.role.clone(),
                privilege: "EXECUTE".into(),
                columns: Vec::new(),
            };
            if reads_encrypted && !self.catalog.grants.contains(&g) {
                self.catalog.grants.push(g);
            }
        }
        self.catalog.grants.sort();
    }
}

/// A plpgsql body that reads its key from the session setting `setting`
/// and refuses to run without one (rather than return NULL and store it).
fn keyed_body(setting: &str, purpose: &str, call: &str) -> String {
    format!(
        "
DECLARE
  key text := NULLIF(current_setting('{setting}', true), '');
BEGIN
  IF key IS NULL THEN
    RAISE EXCEPTION '{setting} is not set: personal data cannot be {purpose}'
      USING ERRCODE = 'insufficient_privilege', HINT = 'SET {setting} for the session (never in the schema)';
  END IF;
  RETURN {call};
END
"
    )
}

const MASK_BODY: &str = "
  SELECT CASE WHEN length(plain) <= 4 THEN repeat('*', length(plain))
              ELSE repeat('*', length(plain) - 4) || right(plain, 4) END
";
