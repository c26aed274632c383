//! stadsatlas: a map server and web atlas of Sweden's segregated urban districts.
//!
//! Data flows one way:
//! SCB files → [`import`] → PostGIS ([`db`]) → [`tiles`] | [`features`] | [`api`] → [`http`].

pub mod api;
pub mod config;
pub mod db;
pub mod features;
pub mod http;
pub mod import;
pub mod model;
pub mod status;
pub mod tiles;
pub mod web;
