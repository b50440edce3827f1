//! What the `schemas_*_agree` tests share: reading the connector's schemas and reporting every
//! disagreement with the emulator at once.

use ferry::check::{ObjectType, Type};

/// The object a field holds, optional or not.
pub fn object(ty: &Type) -> Option<&ObjectType> {
    match ty {
        Type::Object(object) => Some(object),
        Type::Optional(inner) => object(inner),
        _ => None,
    }
}

/// `ty` without its optional wrapper and with keys as the strings they are on the wire.
pub fn plain(ty: &Type) -> Type {
    match ty {
        Type::Optional(inner) => plain(inner),
        other => other.plain(),
    }
}

/// The record a map target named `name` accepts.
pub fn target(name: &str) -> &'static ObjectType {
    let registry = ferry::connectors::schemas();
    object(&registry.targets[name].record).expect("an object record")
}

/// The record a source named `name` yields.
pub fn source(name: &str) -> &'static ObjectType {
    let registry = ferry::connectors::schemas();
    object(&registry.sources[name].record).expect("an object record")
}

/// Fails with every disagreement found, one a line.
pub fn assert_agree(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
