//! Introspection: a live database's system catalog read into a backend's
//! physical model (one module per engine).
//!
//! Each reader runs read-only, parameterised queries against the catalog of
//! one namespace. It must not write to the database, splice user text into
//! SQL, or interpret what it reads beyond filling the model; comparing two
//! models is the backend's job (`backends::postgres::compare`).

pub mod mysql;
pub mod postgres;
pub mod sqlite;
