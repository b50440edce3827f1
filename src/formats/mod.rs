//! File formats ferry reads and writes. serde_yaml stays behind `yaml`.

pub mod html;
pub mod url_password;
pub mod yaml;
