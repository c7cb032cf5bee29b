//! Helpers shared by the integration tests: the design's sample schema, and
//! running a test body in a child process on a default-size stack with a time
//! limit (so a stack overflow or a hang fails one test instead of the run).
//! `pg` makes a throw-away PostgreSQL database per test; `edits` is the random
//! schema and edit generator of the migration property tests.

#![allow(dead_code)]

pub mod edits;
pub mod pg;
pub mod scenario;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The stack a thread gets by default; the tests prove inputs fit in it.
pub const DEFAULT_STACK: usize = 2 * 1024 * 1024;

const CHILD: &str = "SCHEMAC_TEST_CHILD";

/// The sample from the design's language sketch, with every kind of comment.
pub const SAMPLE: &str = r#"// examples/saas/app.schema
use std::patterns::{timestamps, soft_delete, audit, temporal, tenant_scoped}
use std::types::{email, slug, money}

enum Plan { free, pro, enterprise }

/// A customer organisation. Every row of tenant data belongs to one.
entity Tenant {
  id     uuid = uuid_v7()  primary
  slug   slug              unique
  plan   Plan = free
  apply timestamps
}

/// A person who signs in.
entity User {
  id        uuid = uuid_v7()  primary
  email     email                             // std type: text + check + citext on PG
  name      text?             check (length(name) between 1 and 200)
  settings  json = {}
  ssn       text?             pii(encrypt)     // stored encrypted; see policies
  phone     text?             pii(mask)
  unique (tenant, email)
  apply timestamps, soft_delete, audit, tenant_scoped
  volume 2M rows, grows 5k/day
}

entity Post {
  id          bigint = identity  primary
  title       text
  body        text
  published   bool = false
  published_at timestamptz?
  check (published = false or published_at is not null)
  index (author, published_at desc) include (title) where published
  search (title weight A, body weight B) language english   // tsvector + GIN
  apply timestamps, temporal                                  // history table + as-of
  partition by range (created_at) every 1 month               // optional
}

relation Post.author -> User.posts {       // many Post to one User: author_id + FK + index
  required
  on delete restrict
}
relation User.teams <-> Team.members {     // many-to-many through a junction
  through Membership { role Role = member  joined_at timestamptz = now() }
  on delete cascade
}
relation User.profile -- Profile.user {    // one-to-one: FK + UNIQUE
  on delete cascade
}

role app_user
role support inherits app_user

policy tenant_isolation on User, Post {     // row-level security
  to app_user
  for all
  using (tenant == ctx.tenant_id)           // ctx.* = per-session context, typed
}
grant select, insert, update on User, Post to app_user
grant select (id, name, email) on User to support

workload {
  query feed: Post where author == $user and published order by published_at desc limit 20 at 500/s
}
"#;

/// Runs `body` in a child process (this binary, filtered to `test`) on a
/// thread with the default stack, failing if the child crashes, fails, or
/// runs longer than `limit`.
pub fn isolated(test: &str, limit: Duration, body: fn()) {
    if std::env::var_os(CHILD).is_some() {
        let worker = std::thread::Builder::new()
            .name("default-stack".into())
            .stack_size(DEFAULT_STACK)
            .spawn(body)
            .expect("spawn the worker");
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
        return;
    }
    let binary = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(binary)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("RUST_MIN_STACK")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child test process");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{test}` did not finish within {limit:?}: the compiler hangs (or is far too slow) on this input");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    assert!(
        status.success() && stdout.contains("1 passed"),
        "`{test}` failed in its child process ({status}) after {:?}:\n{stdout}\n{stderr}",
        started.elapsed()
    );
}

/// The `.schema` files of a bundled example project, in path order.
pub fn example_inputs(dir: &Path) -> Vec<schemac::driver::Input> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("schema"))
        .expect("example has a schema/ directory")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "schema"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| schemac::driver::Input {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            bytes: std::fs::read(&p).unwrap(),
        })
        .collect()
}

/// A `.schema` text built as `schemac build` builds it, starting from the
/// compiled state `previous`: the IR after the passes, the PostgreSQL
/// catalog and schema.sql. Fails the test on any error.
pub fn build_state(
    name: &str,
    text: &str,
    previous: Option<&schemac::semantic::ir::Ir>,
) -> (schemac::semantic::ir::Ir, schemac::backends::postgres::Catalog, String) {
    let mut compilation = schemac::driver::compile_str(name, text);
    assert!(!compilation.has_errors(), "{name} does not compile: {:#?}", compilation.diagnostics);
    let options =
        schemac::pipeline::Options { previous: previous.cloned().map(std::sync::Arc::new), ..Default::default() };
    let output = schemac::pipeline::build(&mut compilation, &options);
    assert!(!output.diagnostics.iter().any(|d| d.is_error()), "{name}: {:#?}", output.diagnostics);
    let sql = output.artifacts.iter().find(|a| a.path == "postgres/schema.sql").expect("postgres artifact");
    (compilation.ir, output.postgres.expect("postgres catalog"), sql.contents.clone())
}

/// A program's output as text (lossy).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the target dir, removed first if it exists.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
