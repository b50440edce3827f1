//! A table's fingerprint: how many rows, and a SHA-256 over their values in key order. Both
//! sides of a copy are read back through their own backend and fingerprinted by this one piece
//! of code, so equal fingerprints mean equal rows, whatever the databases.

use sha2::{Digest as _, Sha256};

use super::tables::Value;

/// How many rows a table holds and the SHA-256 of their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// Feeds rows, in key order, into a [`TableDigest`].
///
/// Each value is written unambiguously: `N` for null, `I` and 8 big-endian bytes for a number,
/// `T`, the length as 8 big-endian bytes and the UTF-8 bytes for text; a row is its values in
/// the order of its table's columns.
#[derive(Default)]
pub struct Fingerprint {
    rows: u64,
    hasher: Sha256,
}

impl Fingerprint {
    pub fn add(&mut self, row: &[Value]) {
        self.rows += 1;
        for value in row {
            match value {
                Value::Null => self.hasher.update(b"N"),
                Value::Integer(number) => {
                    self.hasher.update(b"I");
                    self.hasher.update(number.to_be_bytes());
                }
                Value::Text(text) => {
                    self.hasher.update(b"T");
                    self.hasher.update((text.len() as u64).to_be_bytes());
                    self.hasher.update(text.as_bytes());
                }
            }
        }
    }

    pub fn finish(self) -> TableDigest {
        TableDigest {
            rows: self.rows,
            sha256: hex::encode(self.hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(rows: &[Vec<Value>]) -> TableDigest {
        let mut fingerprint = Fingerprint::default();
        for row in rows {
            fingerprint.add(row);
        }
        fingerprint.finish()
    }

    #[test]
    fn null_empty_text_and_zero_differ() {
        let null = digest(&[vec![Value::Null]]);
        let empty = digest(&[vec![Value::Text(String::new())]]);
        let zero = digest(&[vec![Value::Integer(0)]]);
        assert_ne!(null, empty);
        assert_ne!(empty, zero);
        assert_ne!(null, zero);
    }

    #[test]
    fn values_do_not_run_into_each_other() {
        let split = digest(&[vec![Value::Text("ab".into()), Value::Text("c".into())]]);
        let joined = digest(&[vec![Value::Text("a".into()), Value::Text("bc".into())]]);
        assert_ne!(split, joined);
        assert_eq!(split.rows, 1);
    }
}
