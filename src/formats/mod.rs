//! File formats read by ferry. serde_yaml stays behind `yaml`.

pub mod yaml;
