//! Importers. Each input format is parsed into plain structs and validated first; then
//! everything is written in one database transaction, so a bad file changes nothing.

pub mod boundaries;
mod error;
pub mod scb;

pub use error::{ImportError, Location};
