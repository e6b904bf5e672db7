//! Tools for tests, benchmarks and fuzzing only (feature `testing`, never in a shipped build): the forger, the fuzz targets' entry points, and fast synthetic histories.

pub mod bench;
pub mod forge;
pub mod fuzzing;
