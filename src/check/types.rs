//! The checker's types. Sources and sinks describe their records with these.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Type {
    /// Anything: JSON of unknown shape, such as a test input or a metadata value.
    #[default]
    Any,
    /// The type of `skip(...)` and `fail(...)`: they never produce a value.
    Never,
    Null,
    Bool,
    Int,
    Decimal,
    /// An integer count of a currency's minor unit, as Stripe sends amounts.
    MinorUnits,
    String,
    /// An instant.
    Timestamp,
    /// A calendar date with no time zone.
    Date,
    Duration,
    List(Box<Type>),
    Object(Arc<ObjectType>),
    /// May be null (or absent).
    Optional(Box<Type>),
    /// `omit`: leave the sink field out.
    Omit,
    /// A lookup table: reading it with `table[key]` can miss.
    Lookup {
        key: Box<Type>,
        value: Box<Type>,
    },
    /// One of several types (a parameter that takes int or decimal, say).
    Union(Vec<Type>),
    /// A closure argument.
    Closure,
    /// A string that identifies a record of one collection by one of its keys: Business
    /// Central's customer `id` (a GUID) is not its `number`, though both are strings. A key
    /// fits wherever a string does, but not where another collection's or another kind of key
    /// belongs (E0516).
    Key(Arc<KeyType>),
}

/// Which key of which collection a [`Type::Key`] holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyType {
    /// `acme.customers`
    pub collection: String,
    /// `number`
    pub key: String,
}

impl KeyType {
    pub fn new(collection: impl Into<String>, key: impl Into<String>) -> Self {
        KeyType {
            collection: collection.into(),
            key: key.into(),
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.collection, self.key)
    }
}

/// An object with known fields.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ObjectType {
    /// Schema name for messages, such as `stripe.charge`.
    pub name: Option<String>,
    pub fields: IndexMap<String, Field>,
    /// When set, keys not in `fields` are allowed and have this type (Stripe metadata: string).
    pub other_keys: Option<Box<Type>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub ty: Type,
    /// Must be set when writing (sinks) ...
    pub required: bool,
    /// ... or, for sources, is always present (absent only in malformed data).
    pub doc: Option<String>,
    /// Allowed string values, when the schema has an enum.
    pub allowed: Option<Vec<String>>,
    /// Maximum length in characters, when the target enforces one.
    pub max_length: Option<usize>,
    /// An object the target replaces as a whole when an update names it (Stripe's nested
    /// hashes other than metadata): an update that changes any of its fields sends all of them.
    pub whole_on_update: bool,
}

impl Field {
    pub fn new(ty: Type) -> Self {
        Field {
            ty,
            required: false,
            doc: None,
            allowed: None,
            max_length: None,
            whole_on_update: false,
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.doc = Some(doc.into());
        self
    }

    pub fn allowed(mut self, values: &[&str]) -> Self {
        self.allowed = Some(values.iter().map(|v| v.to_string()).collect());
        self
    }

    pub fn max_length(mut self, max: usize) -> Self {
        self.max_length = Some(max);
        self
    }
}

impl ObjectType {
    pub fn named(name: impl Into<String>) -> Self {
        ObjectType {
            name: Some(name.into()),
            ..ObjectType::default()
        }
    }

    pub fn field(mut self, name: &str, field: Field) -> Self {
        self.fields.insert(name.to_string(), field);
        self
    }

    pub fn other_keys(mut self, ty: Type) -> Self {
        self.other_keys = Some(Box::new(ty));
        self
    }
}

impl Type {
    pub fn object(object: ObjectType) -> Type {
        Type::Object(Arc::new(object))
    }

    pub fn key(collection: impl Into<String>, key: impl Into<String>) -> Type {
        Type::Key(Arc::new(KeyType::new(collection, key)))
    }

    /// The type with every key seen as the plain string it is, for rules about strings.
    pub fn plain(&self) -> Type {
        match self {
            Type::Key(_) => Type::String,
            Type::Optional(inner) => Type::optional(inner.plain()),
            Type::List(item) => Type::list(item.plain()),
            Type::Union(members) => Type::Union(members.iter().map(Type::plain).collect()),
            other => other.clone(),
        }
    }

    pub fn list(item: Type) -> Type {
        Type::List(Box::new(item))
    }

    /// `T?`; optional of optional, of null, of any and of never collapse.
    pub fn optional(inner: Type) -> Type {
        match inner {
            Type::Optional(_) | Type::Null | Type::Any => inner,
            Type::Never => Type::Null,
            other => Type::Optional(Box::new(other)),
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::Null | Type::Any)
    }

    /// The type without its optionality.
    pub fn non_null(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::Never => f.write_str("never"),
            Type::Null => f.write_str("null"),
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Decimal => f.write_str("decimal"),
            Type::MinorUnits => f.write_str("minor_units"),
            Type::String => f.write_str("string"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Date => f.write_str("date"),
            Type::Duration => f.write_str("duration"),
            Type::List(item) => write!(f, "list<{item}>"),
            Type::Object(object) => match &object.name {
                Some(name) => f.write_str(name),
                None => f.write_str("object"),
            },
            Type::Optional(inner) => write!(f, "{inner}?"),
            Type::Omit => f.write_str("omit"),
            Type::Lookup { key, value } => write!(f, "lookup<{key}, {value}>"),
            Type::Union(types) => {
                for (i, ty) in types.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{ty}")?;
                }
                Ok(())
            }
            Type::Closure => f.write_str("closure"),
            Type::Key(key) => write!(f, "string ({key})"),
        }
    }
}
