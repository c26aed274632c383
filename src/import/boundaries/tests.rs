//! Tests of the boundary readers on the real SCB files and on fixtures.
