//! stadsatlas: a map server and web atlas of Sweden's segregated urban districts.
//!
//! Data flows one way:
//! SCB files → [`import`] → PostGIS ([`db`]) → read side → [`http`].

pub mod config;
pub mod db;
pub mod http;
pub mod import;
pub mod model;
pub mod status;
