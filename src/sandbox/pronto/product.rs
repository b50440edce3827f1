//! A product as product/v4 shows it: one public price (`prices[0]`, debtor `""`), stock per
//! warehouse (which can be negative), units and categories.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::records::{Category, Listed, Stamps};
use super::wire::{Fields, price4, quantity_text};

/// Inclusive and exclusive of GST, both stored as given: Pronto never derives one from the
/// other, and neither may a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub inc_tax: Decimal,
    pub ex_tax: Decimal,
}

impl Price {
    fn shown(&self) -> Value {
        json!({
            "currency_code": "AUD",
            "inc_tax": price4(self.inc_tax),
            "ex_tax": price4(self.ex_tax),
        })
    }

    fn read(fields: &Fields<'_>) -> Result<Self, String> {
        Ok(Price {
            inc_tax: fields.decimal("inc_tax")?,
            ex_tax: fields.decimal("ex_tax")?,
        })
    }
}

/// A quantity break of the public price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceBreak {
    pub price_rule: String,
    pub price: Price,
    pub min_qty: Decimal,
    pub max_qty: Decimal,
}

/// One unit of measure a product is sold in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uom {
    pub code: String,
    pub conv: String,
    pub gtin: String,
    pub weight: String,
    pub height: String,
    pub width: String,
    pub depth: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub code: String,
    pub description: String,
    pub description1: String,
    pub description2: String,
    pub description3: String,
    pub apn: String,
    pub group_code: String,
    pub brand: String,
    pub stock_status: String,
    pub uom: String,
    pub pack_size: String,
    pub saleability: String,
    pub visibility: String,
    pub base_price: Price,
    pub breaks: Vec<PriceBreak>,
    /// Warehouse and quantity on hand.
    pub inventory: Vec<(String, Decimal)>,
    pub uoms: Vec<Uom>,
    /// Category slugs.
    pub categories: Vec<String>,
    pub stamps: Stamps,
}

impl Listed for Product {
    fn stamps(&self) -> Stamps {
        self.stamps
    }

    fn shown(&self) -> Value {
        let breaks: Vec<Value> = self
            .breaks
            .iter()
            .map(|b| {
                json!({
                    "price_rule": b.price_rule,
                    "currency_code": "AUD",
                    "inc_tax": price4(b.price.inc_tax),
                    "ex_tax": price4(b.price.ex_tax),
                    "min_qty": quantity_text(b.min_qty),
                    "max_qty": quantity_text(b.max_qty),
                })
            })
            .collect();
        let inventory: Vec<Value> = self
            .inventory
            .iter()
            .map(|(warehouse, quantity)| {
                json!({"warehouse": warehouse, "quantity": quantity_text(*quantity)})
            })
            .collect();
        let uoms: Vec<Value> = self
            .uoms
            .iter()
            .map(|u| {
                json!({"code": u.code, "conv": u.conv, "gtin": u.gtin, "weight": u.weight,
                    "height": u.height, "width": u.width, "depth": u.depth})
            })
            .collect();
        let categories: Vec<Value> = self
            .categories
            .iter()
            .map(|slug| {
                json!({"slug": slug, "url": Category::url(slug),
                    "search_url": Category::search_url(slug)})
            })
            .collect();
        json!({
            "code": self.code,
            "description": self.description,
            "description1": self.description1,
            "description2": self.description2,
            "description3": self.description3,
            "apn": self.apn,
            "group_code": self.group_code,
            "brand": self.brand,
            "stock_status": self.stock_status,
            "uom": self.uom,
            "pack_size": self.pack_size,
            "saleability": self.saleability,
            "visibility": self.visibility,
            "created_at": super::time::shown(self.stamps.created_at),
            "updated_at": super::time::shown(self.stamps.updated_at),
            "prices": [{
                "debtor": "",
                "breaks": breaks,
                "base_price": self.base_price.shown(),
            }],
            "inventory_quantities": inventory,
            "uoms": uoms,
            "categories": categories,
            "images": [],
        })
    }
}

impl Product {
    /// A product from the shape product/v4 shows (times are the caller's to set).
    pub fn read(value: &Value, stamps: Stamps) -> Result<Self, String> {
        let fields = Fields::of("product", value)?;
        let code = fields.text("code")?;
        if code.is_empty() {
            return Err("product.code is missing".into());
        }
        let public = fields.list("prices")?.first();
        let public = public.map(|p| Fields::of("product.prices[0]", p)).transpose()?;
        let base_price = match public.as_ref().map(|p| p.object("base_price")).transpose()? {
            Some(Some(base)) => Price::read(&base)?,
            _ => return Err("product.prices[0].base_price is missing".into()),
        };
        let mut breaks = Vec::new();
        if let Some(public) = &public {
            for (i, item) in public.list("breaks")?.iter().enumerate() {
                let b = Fields::of(&format!("product.prices[0].breaks[{i}]"), item)?;
                breaks.push(PriceBreak {
                    price_rule: b.text("price_rule")?,
                    price: Price::read(&b)?,
                    min_qty: b.decimal("min_qty")?,
                    max_qty: b.decimal("max_qty")?,
                });
            }
        }
        let mut inventory = Vec::new();
        for (i, item) in fields.list("inventory_quantities")?.iter().enumerate() {
            let q = Fields::of(&format!("product.inventory_quantities[{i}]"), item)?;
            inventory.push((q.text("warehouse")?, q.decimal("quantity")?));
        }
        let mut uoms = Vec::new();
        for (i, item) in fields.list("uoms")?.iter().enumerate() {
            let u = Fields::of(&format!("product.uoms[{i}]"), item)?;
            uoms.push(Uom {
                code: u.text("code")?,
                conv: u.text("conv")?,
                gtin: u.text("gtin")?,
                weight: u.text("weight")?,
                height: u.text("height")?,
                width: u.text("width")?,
                depth: u.text("depth")?,
            });
        }
        let mut categories = Vec::new();
        for (i, item) in fields.list("categories")?.iter().enumerate() {
            categories.push(Fields::of(&format!("product.categories[{i}]"), item)?.text("slug")?);
        }
        Ok(Product {
            code,
            description: fields.text("description")?,
            description1: fields.text("description1")?,
            description2: fields.text("description2")?,
            description3: fields.text("description3")?,
            apn: fields.text("apn")?,
            group_code: fields.text("group_code")?,
            brand: fields.text("brand")?,
            stock_status: fields.text("stock_status")?,
            uom: fields.text("uom")?,
            pack_size: fields.text("pack_size")?,
            saleability: fields.text("saleability")?,
            visibility: fields.text("visibility")?,
            base_price,
            breaks,
            inventory,
            uoms,
            categories,
            stamps,
        })
    }
}
