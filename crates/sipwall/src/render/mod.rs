//! Human-readable output. JSON output is serde's, straight from the models.

pub mod check;
pub mod profile;
