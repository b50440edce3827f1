//! The one place that touches serde_yaml: typed reads (lookup files), a plain tree of nodes for
//! documents checked key by key (the project file), and the byte position of any key or value.

use std::ops::Range;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    /// Byte offset of the problem, when known.
    pub offset: Option<usize>,
    /// One-based line, when known.
    pub line: Option<usize>,
}

impl YamlError {
    fn from_serde(error: serde_yaml::Error) -> Self {
        let location = error.location();
        YamlError {
            message: error.to_string(),
            offset: location.as_ref().map(|l| l.index()),
            line: location.as_ref().map(|l| l.line()),
        }
    }
}

pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(YamlError::from_serde)
}

/// A YAML document as plain data. Scalars keep their text; tags are dropped.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(String),
    String(String),
    Sequence(Vec<Node>),
    /// Entries in file order; keys that are not strings are shown as YAML text.
    Mapping(Vec<(String, Node)>),
}

impl Node {
    /// What the node is, for messages such as "expected a mapping, found a list".
    pub fn describe(&self) -> &'static str {
        match self {
            Node::Null => "nothing",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Sequence(_) => "a list",
            Node::Mapping(_) => "a mapping",
        }
    }
}

/// Parses one document into a [`Node`] tree.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(YamlError::from_serde)?;
    Ok(to_node(value))
}

fn to_node(value: serde_yaml::Value) -> Node {
    use serde_yaml::Value;
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(b),
        Value::Number(n) => Node::Number(n.to_string()),
        Value::String(s) => Node::String(s),
        Value::Sequence(items) => Node::Sequence(items.into_iter().map(to_node).collect()),
        Value::Mapping(entries) => Node::Mapping(
            entries
                .into_iter()
                .map(|(k, v)| (key_text(k), to_node(v)))
                .collect(),
        ),
        Value::Tagged(tagged) => to_node(tagged.value),
    }
}

fn key_text(key: serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(s) => s,
        other => serde_yaml::to_string(&other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

/// Which part of a mapping entry to locate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

/// The byte range of the key or value at `path` (mapping keys from the root), if it exists.
///
/// serde_yaml keeps no positions in its values, but it stamps every error raised while
/// deserializing a node with that node's start. So we walk to the node and fail there on purpose;
/// the end is found by scanning the token that starts at that position.
pub fn locate(text: &str, path: &[&str], part: Part) -> Option<Range<usize>> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let error = match (Seek { path, part }).deserialize(deserializer) {
        Ok(()) => return None,
        Err(error) => error,
    };
    if !error.to_string().contains(FOUND) {
        return None;
    }
    let start = (error.location()?.index()).min(text.len());
    Some(start..token_end(text, start))
}

const FOUND: &str = "ferry: located";

struct Seek<'p> {
    path: &'p [&'p str],
    part: Part,
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            deserializer.deserialize_any(Found)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any node")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (wanted, rest) = match self.path.split_first() {
            Some(split) => split,
            None => return Ok(()),
        };
        let stop_at_key = rest.is_empty() && self.part == Part::Key;
        while let Some(matched) = map.next_key_seed(KeySeed {
            wanted,
            stop: stop_at_key,
        })? {
            if matched {
                return map.next_value_seed(Seek {
                    path: rest,
                    part: self.part,
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Reads a mapping key; true when it is the wanted one. Stops there when asked.
struct KeySeed<'w> {
    wanted: &'w str,
    stop: bool,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        if key != self.wanted {
            Ok(false)
        } else if self.stop {
            Err(E::custom(FOUND))
        } else {
            Ok(true)
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        self.visit_str("null")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

/// Fails on whatever node it meets, so serde_yaml records that node's position.
struct Found;

impl<'de> Visitor<'de> for Found {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(FOUND)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
}

/// Where the token starting at `start` ends: a quoted string, a flow collection, or a plain
/// scalar (up to the end of the line, a comment, a `: `, or a flow separator).
pub fn token_end(text: &str, start: usize) -> usize {
    let Some(rest) = text.get(start..) else {
        return text.len();
    };
    let bytes = rest.as_bytes();
    let end = match bytes.first() {
        Some(b'"') => quoted_end(bytes, b'"'),
        Some(b'\'') => quoted_end(bytes, b'\''),
        Some(b'{') => bracket_end(bytes, b'{', b'}'),
        Some(b'[') => bracket_end(bytes, b'[', b']'),
        _ => plain_end(bytes),
    };
    start + end
}

fn quoted_end(bytes: &[u8], quote: u8) -> usize {
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\n' => return i,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn bracket_end(bytes: &[u8], open: u8, close: u8) -> usize {
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if b == open {
            depth += 1;
        } else if b == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i + 1;
            }
        }
    }
    bytes.len()
}

fn plain_end(bytes: &[u8]) -> usize {
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied();
        let stop = match b {
            b'\n' | b'\r' | b',' | b'}' | b']' => true,
            b'#' => i > 0 && bytes[i - 1].is_ascii_whitespace(),
            b':' => matches!(next, None | Some(b' ' | b'\t' | b'\n' | b'\r')),
            _ => false,
        };
        if stop {
            end = i;
            break;
        }
    }
    while end > 0 && bytes[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "version: 1\nconnections:\n  stripe:\n    kind: stripe\n    api_key: \"${KEY}\" # secret\n  capsule: { kind: capsule, token: abc }\n";

    fn at(path: &[&str], part: Part) -> Option<&'static str> {
        locate(TEXT, path, part).map(|r| &TEXT[r])
    }

    #[test]
    fn locates_keys_and_values_in_block_and_flow_style() {
        assert_eq!(at(&["version"], Part::Value), Some("1"));
        assert_eq!(at(&["connections", "stripe"], Part::Key), Some("stripe"));
        assert_eq!(
            at(&["connections", "stripe", "api_key"], Part::Value),
            Some("\"${KEY}\"")
        );
        assert_eq!(
            at(&["connections", "capsule", "kind"], Part::Value),
            Some("capsule")
        );
        assert_eq!(
            at(&["connections", "capsule", "token"], Part::Key),
            Some("token")
        );
        assert_eq!(at(&["connections", "pronto"], Part::Key), None);
    }

    #[test]
    fn plain_scalars_keep_colons_that_are_not_separators() {
        let text = "url: http://127.0.0.1:4010/stripe # local\n";
        let range = locate(text, &["url"], Part::Value).unwrap_or_default();
        assert_eq!(&text[range], "http://127.0.0.1:4010/stripe");
    }
}
