//! The one place that touches serde_yaml.

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    /// Byte offset of the problem, when known.
    pub offset: Option<usize>,
    /// One-based line, when known.
    pub line: Option<usize>,
}

pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|error| {
        let location = error.location();
        YamlError {
            message: error.to_string(),
            offset: location.as_ref().map(|l| l.index()),
            line: location.as_ref().map(|l| l.line()),
        }
    })
}
