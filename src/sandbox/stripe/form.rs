//! Stripe's form encoding: `application/x-www-form-urlencoded` with bracketed nesting
//! (`metadata[erp_id]=C-001`, `expand[0]=customer`, `expand[]=customer`,
//! `items[0][price]=price_1`).
//!
//! [`decode`] turns a body or query string into a JSON tree whose leaves are strings; a map whose
//! keys are exactly `0..n` becomes an array (so `metadata[0]=x` decodes as `["x"]`; the
//! validator turns it back into a map where the schema wants one). [`encode`], the inverse, is the
//! connector's own (`connectors::stripe::form`), re-exported here for the emulator's tests.

use indexmap::IndexMap;
use serde_json::Value;
use url::form_urlencoded;

pub use crate::connectors::stripe::form::encode;

enum Node {
    Leaf(String),
    Map(IndexMap<String, Node>),
    List(Vec<Node>),
}

/// Decodes a form body or query string; never fails (odd keys are kept whole, so the validator
/// reports them as unknown parameters).
pub fn decode(input: &[u8]) -> Value {
    let mut root: IndexMap<String, Node> = IndexMap::new();
    for (key, value) in form_urlencoded::parse(input) {
        let segments = split_key(&key);
        let Some((first, rest)) = segments.split_first() else {
            continue;
        };
        let slot = root
            .entry(first.clone())
            .or_insert_with(|| Node::Map(IndexMap::new()));
        insert(slot, rest, value.into_owned());
    }
    Value::Object(root.into_iter().map(|(k, v)| (k, finish(v))).collect())
}

/// `a[b][]` -> ["a", "b", ""]; a key with unbalanced brackets stays whole.
fn split_key(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_string()];
    };
    if open == 0 {
        return vec![key.to_string()];
    }
    let mut segments = vec![key[..open].to_string()];
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return vec![key.to_string()];
        };
        let Some(close) = inner.find(']') else {
            return vec![key.to_string()];
        };
        segments.push(inner[..close].to_string());
        rest = &inner[close + 1..];
    }
    segments
}

fn insert(node: &mut Node, path: &[String], value: String) {
    let Some((segment, rest)) = path.split_first() else {
        *node = Node::Leaf(value);
        return;
    };
    if segment.is_empty() {
        if !matches!(node, Node::List(_)) {
            *node = Node::List(Vec::new());
        }
        let Node::List(items) = node else { return };
        // `a[][x]=1&a[][y]=2` builds one element; a repeated key starts the next (as Rack does).
        let reuse = match (items.last(), rest.first()) {
            (Some(Node::Map(map)), Some(next)) => !next.is_empty() && !map.contains_key(next),
            _ => false,
        };
        if !reuse {
            items.push(Node::Map(IndexMap::new()));
        }
        if let Some(last) = items.last_mut() {
            insert(last, rest, value);
        }
        return;
    }
    if !matches!(node, Node::Map(_)) {
        *node = Node::Map(IndexMap::new());
    }
    let Node::Map(map) = node else { return };
    let child = map
        .entry(segment.clone())
        .or_insert_with(|| Node::Map(IndexMap::new()));
    insert(child, rest, value);
}

fn finish(node: Node) -> Value {
    match node {
        Node::Leaf(text) => Value::String(text),
        Node::List(items) => Value::Array(items.into_iter().map(finish).collect()),
        Node::Map(map) => {
            if let Some(order) = index_order(&map) {
                let mut entries: Vec<(usize, Node)> =
                    order.into_iter().zip(map.into_values()).collect();
                entries.sort_by_key(|(index, _)| *index);
                return Value::Array(entries.into_iter().map(|(_, n)| finish(n)).collect());
            }
            Value::Object(map.into_iter().map(|(k, v)| (k, finish(v))).collect())
        }
    }
}

/// The indexes of a map whose keys are exactly `0..n` in canonical form, else None.
fn index_order(map: &IndexMap<String, Node>) -> Option<Vec<usize>> {
    if map.is_empty() {
        return None;
    }
    let mut indexes = Vec::with_capacity(map.len());
    for key in map.keys() {
        if key.len() > 1 && key.starts_with('0') {
            return None;
        }
        let index: usize = key.parse().ok()?;
        if !key.bytes().all(|b| b.is_ascii_digit()) || index >= map.len() {
            return None;
        }
        indexes.push(index);
    }
    let mut seen = vec![false; map.len()];
    for &index in &indexes {
        if std::mem::replace(&mut seen[index], true) {
            return None;
        }
    }
    Some(indexes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_keys_and_both_array_styles() {
        let v =
            decode(b"metadata[erp_id]=C-001&expand[0]=a&expand[1]=b&tags[]=x&tags[]=y&name=A+B");
        assert_eq!(
            v,
            json!({"metadata": {"erp_id": "C-001"}, "expand": ["a", "b"], "tags": ["x", "y"], "name": "A B"})
        );
    }

    #[test]
    fn arrays_of_objects_and_sparse_indexes() {
        let v = decode(b"items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2&odd[1]=z");
        assert_eq!(
            v,
            json!({"items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}], "odd": {"1": "z"}})
        );
        let v = decode(b"a[][x]=1&a[][y]=2&a[][x]=3");
        assert_eq!(v, json!({"a": [{"x": "1", "y": "2"}, {"x": "3"}]}));
    }

    #[test]
    fn malformed_keys_stay_whole_and_last_value_wins() {
        assert_eq!(decode(b"a[b=1&[x]=2"), json!({"a[b": "1", "[x]": "2"}));
        assert_eq!(decode(b"email=a&email=b"), json!({"email": "b"}));
    }
}
