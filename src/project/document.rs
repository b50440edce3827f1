//! Spans of keys and values in the project file's text.

use crate::diagnostics::{FileId, Span};
use crate::formats::yaml::{self, Part};

pub(super) struct Document<'t> {
    pub text: &'t str,
    pub file: FileId,
}

impl Document<'_> {
    /// The key at `path`, or the closest enclosing key that exists, or the file's start.
    pub fn key(&self, path: &[&str]) -> Span {
        for depth in (1..=path.len()).rev() {
            if let Some(range) = yaml::locate(self.text, &path[..depth], Part::Key) {
                return Span::new(self.file, range.start, range.end);
            }
        }
        Span::new(self.file, 0, 0)
    }

    /// The scalar value at `path`; its key when the value is empty or not a scalar.
    pub fn value(&self, path: &[&str]) -> Span {
        match yaml::locate(self.text, path, Part::Value) {
            Some(range) if !range.is_empty() && !self.opens_block(range.start) => {
                Span::new(self.file, range.start, range.end)
            }
            _ => self.key(path),
        }
    }

    /// A value located at the start of a line is a block collection: its first key, not itself.
    fn opens_block(&self, offset: usize) -> bool {
        let before = &self.text[..offset.min(self.text.len())];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let prefix = &before[line_start..];
        prefix.chars().all(|c| c == ' ' || c == '-')
            && !matches!(self.text.as_bytes().get(offset), Some(b'{' | b'['))
    }

    /// A span at a byte offset reported by the YAML parser, covering the token there.
    pub fn at_offset(&self, offset: usize) -> Span {
        let start = offset.min(self.text.len());
        let end = yaml::token_end(self.text, start).max(
            self.text
                .get(start..)
                .and_then(|rest| rest.chars().next())
                .map_or(start, |c| start + c.len_utf8()),
        );
        Span::new(self.file, start, end)
    }
}
