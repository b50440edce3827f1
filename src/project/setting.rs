//! A setting as written in the project file: text with `${VAR}` references, or `file:PATH`.

use std::fmt;
use std::path::Path;

use crate::diagnostics::Span;

/// One piece of a setting's text.
#[derive(Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    /// `${NAME}`: read from the process environment when an environment is resolved.
    Variable(String),
}

/// How a setting gets its value.
#[derive(Clone, PartialEq, Eq)]
pub enum Template {
    /// Literal text and `${VAR}` references, concatenated.
    Text(Vec<Piece>),
    /// `file:PATH`: the file's contents, trimmed (a mounted secret, say). Relative paths are
    /// relative to the project file.
    File(String),
}

impl Template {
    /// Reads `${VAR}` references and a leading `file:`. The error says what is wrong.
    pub fn parse(text: &str) -> Result<Template, String> {
        if let Some(path) = text.strip_prefix("file:") {
            let path = path.trim();
            if path.is_empty() {
                return Err("`file:` needs a path, such as `file:/run/secrets/api_key`".into());
            }
            return Ok(Template::File(path.to_string()));
        }
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            if open > 0 {
                pieces.push(Piece::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find('}') else {
                return Err("`${` is not closed with `}`".into());
            };
            let name = &after[..close];
            if !is_variable_name(name) {
                return Err(format!(
                    "`${{{name}}}` is not a variable name: use letters, digits and `_`, not starting with a digit"
                ));
            }
            pieces.push(Piece::Variable(name.to_string()));
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_string()));
        }
        Ok(Template::Text(pieces))
    }

    /// The text when it has no references at all.
    pub fn literal(&self) -> Option<String> {
        match self {
            Template::File(_) => None,
            Template::Text(pieces) => {
                let mut out = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Literal(text) => out.push_str(text),
                        Piece::Variable(_) => return None,
                    }
                }
                Some(out)
            }
        }
    }

    /// Expands the template. `lookup` reads environment variables; files are read relative to
    /// `base`.
    pub fn expand(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
        base: &Path,
    ) -> Result<String, ExpandError> {
        match self {
            Template::File(path) => {
                let full = base.join(path);
                let text = std::fs::read_to_string(&full).map_err(|e| ExpandError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    return Err(ExpandError::File {
                        path: path.clone(),
                        reason: "the file is empty".into(),
                    });
                }
                Ok(trimmed.to_string())
            }
            Template::Text(pieces) => {
                let mut out = String::new();
                let mut missing = Vec::new();
                for piece in pieces {
                    match piece {
                        Piece::Literal(text) => out.push_str(text),
                        Piece::Variable(name) => match lookup(name) {
                            Some(value) => out.push_str(&value),
                            None => missing.push(name.clone()),
                        },
                    }
                }
                if missing.is_empty() {
                    Ok(out)
                } else {
                    Err(ExpandError::Variables(missing))
                }
            }
        }
    }
}

/// Why a template could not be expanded. Never carries a value, only names.
#[derive(Debug, thiserror::Error)]
pub enum ExpandError {
    #[error("environment variable{} not set: {}", if .0.len() == 1 { " is" } else { "s are" }, .0.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "))]
    Variables(Vec<String>),
    #[error("cannot read secret file `{path}`: {reason}")]
    File { path: String, reason: String },
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A connection or store setting with where it was written.
#[derive(Clone)]
pub struct Setting {
    pub key: String,
    pub template: Template,
    /// Credentials are resolved into [`super::Secret`]s and never printed.
    pub secret: bool,
    pub key_span: Span,
    pub value_span: Span,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Template::File(path) => write!(f, "file:{path}"),
            Template::Text(pieces) => {
                for piece in pieces {
                    match piece {
                        Piece::Literal(text) => f.write_str(text)?,
                        Piece::Variable(name) => write!(f, "${{{name}}}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Setting");
        out.field("key", &self.key);
        // A credential written literally is still a credential: show only its references.
        if self.secret && self.template.literal().is_some() {
            out.field("template", &super::secret::REDACTED);
        } else if self.secret {
            out.field("template", &RedactedLiterals(&self.template));
        } else {
            out.field("template", &self.template);
        }
        out.finish_non_exhaustive()
    }
}

struct RedactedLiterals<'t>(&'t Template);

impl fmt::Debug for RedactedLiterals<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Template::File(path) => write!(f, "file:{path}"),
            Template::Text(pieces) => {
                for piece in pieces {
                    match piece {
                        Piece::Literal(_) => f.write_str(super::secret::REDACTED)?,
                        Piece::Variable(name) => write!(f, "${{{name}}}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let t = Template::parse("https://${HOST}/v1").unwrap_or(Template::File(String::new()));
        assert_eq!(format!("{t:?}"), "https://${HOST}/v1");
        assert_eq!(t.literal(), None);
        let lookup = |name: &str| (name == "HOST").then(|| "example.com".to_string());
        let expanded = t.expand(&lookup, Path::new(".")).ok();
        assert_eq!(expanded.as_deref(), Some("https://example.com/v1"));
        assert!(matches!(Template::parse("file:/run/x"), Ok(Template::File(p)) if p == "/run/x"));
        assert_eq!(
            Template::parse("plain $5").ok().and_then(|t| t.literal()),
            Some("plain $5".into())
        );
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in ["${UNCLOSED", "${}", "${1ABC}", "${A-B}", "file:"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn missing_variables_are_named() {
        let t = Template::parse("${A}:${B}").unwrap_or(Template::File(String::new()));
        let error = t.expand(&|_| None, Path::new(".")).err();
        assert_eq!(
            error.map(|e| e.to_string()).as_deref(),
            Some("environment variables are not set: `A`, `B`")
        );
    }
}
