//! Debtors and categories as Pronto stores and shows them, and what every listed record has:
//! a natural key and its creation and update times.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::time::shown;
use super::wire::Fields;

/// When a record was created and last changed (to the second; bodies show minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamps {
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Stamps {
    pub fn at(at: Timestamp) -> Self {
        Stamps {
            created_at: at,
            updated_at: at,
        }
    }

    /// Adds `created_at` and `updated_at` to a shown record.
    pub fn show_in(&self, record: &mut Value) {
        if let Value::Object(object) = record {
            object.insert("created_at".into(), shown(self.created_at).into());
            object.insert("updated_at".into(), shown(self.updated_at).into());
        }
    }
}

/// A record one of the listings serves.
pub trait Listed {
    fn stamps(&self) -> Stamps;
    fn shown(&self) -> Value;
}

/// `address1..address7` and `postcode`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub lines: [String; 7],
    pub postcode: String,
}

impl Address {
    pub fn shown(&self) -> Map<String, Value> {
        let mut object = Map::new();
        for (i, line) in self.lines.iter().enumerate() {
            object.insert(format!("address{}", i + 1), line.clone().into());
        }
        object.insert("postcode".into(), self.postcode.clone().into());
        object
    }

    pub fn read(fields: Option<&Fields<'_>>) -> Result<Self, String> {
        let mut address = Address::default();
        if let Some(fields) = fields {
            for (i, line) in address.lines.iter_mut().enumerate() {
                *line = fields.text(&format!("address{}", i + 1))?;
            }
            address.postcode = fields.text("postcode")?;
        }
        Ok(address)
    }
}

/// A Pronto customer account (debtor/v4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub code: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub fax: String,
    pub territory: String,
    pub website: String,
    pub warehouse: String,
    pub customer_type: String,
    pub delivery_address: Address,
    pub stamps: Stamps,
}

impl Debtor {
    /// A debtor from the shape debtor/v4 shows (times are the caller's to set).
    pub fn read(value: &Value, stamps: Stamps) -> Result<Self, String> {
        let fields = Fields::of("debtor", value)?;
        let code = fields.text("code")?;
        if code.is_empty() {
            return Err("debtor.code is missing".into());
        }
        Ok(Debtor {
            code,
            name: fields.text("name")?,
            email: fields.text("email")?,
            phone: fields.text("phone")?,
            fax: fields.text("fax")?,
            territory: fields.text("territory")?,
            website: fields.text("website")?,
            warehouse: fields.text("warehouse")?,
            customer_type: fields.text("customer_type")?,
            delivery_address: Address::read(fields.object("delivery_address")?.as_ref())?,
            stamps,
        })
    }
}

impl Listed for Debtor {
    fn stamps(&self) -> Stamps {
        self.stamps
    }

    fn shown(&self) -> Value {
        let mut record = json!({
            "code": self.code,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "fax": self.fax,
            "territory": self.territory,
            "website": self.website,
            "warehouse": self.warehouse,
            "customer_type": self.customer_type,
            "delivery_address": self.delivery_address.shown(),
        });
        self.stamps.show_in(&mut record);
        record
    }
}

/// A web-shop category (category/v5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub slug: String,
    pub public_title: String,
    pub stamps: Stamps,
}

impl Category {
    pub fn url(slug: &str) -> String {
        format!("/products/{slug}")
    }

    pub fn search_url(slug: &str) -> String {
        format!("/search?category={slug}")
    }
}

impl Listed for Category {
    fn stamps(&self) -> Stamps {
        self.stamps
    }

    fn shown(&self) -> Value {
        let mut record = json!({
            "slug": self.slug,
            "url": Category::url(&self.slug),
            "public_title": self.public_title,
        });
        self.stamps.show_in(&mut record);
        record
    }
}
