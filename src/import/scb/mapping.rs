//! (in progress)
pub struct Mapping;
pub struct MappedTable;
