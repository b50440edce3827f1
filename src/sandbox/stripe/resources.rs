//! What each route does to the store, once its parameters are valid.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::query::{self, Query};
use super::store::{RequestInfo, Store};
use super::{
    catalog, charges, customers, disputes, feed, invoice_edits, invoice_items, invoices, list, payment_intents, payouts, refunds,
    subscriptions,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resource {
    Customer,
    Product,
    Price,
    Charge,
    PaymentIntent,
    Refund,
    Dispute,
    Event,
    BalanceTransaction,
    Payout,
    InvoiceItem,
    Invoice,
    Subscription,
}

impl Resource {
    pub fn object(self) -> &'static str {
        match self {
            Resource::Customer => "customer",
            Resource::Product => "product",
            Resource::Price => "price",
            Resource::Charge => "charge",
            Resource::PaymentIntent => "payment_intent",
            Resource::Refund => "refund",
            Resource::Dispute => "dispute",
            Resource::Event => "event",
            Resource::BalanceTransaction => "balance_transaction",
            Resource::Payout => "payout",
            Resource::InvoiceItem => "invoiceitem",
            Resource::Invoice => "invoice",
            Resource::Subscription => "subscription",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Resource::Customer => "customers",
            Resource::Product => "products",
            Resource::Price => "prices",
            Resource::Charge => "charges",
            Resource::PaymentIntent => "payment_intents",
            Resource::Refund => "refunds",
            Resource::Dispute => "disputes",
            Resource::Event => "events",
            Resource::BalanceTransaction => "balance_transactions",
            Resource::Payout => "payouts",
            Resource::InvoiceItem => "invoiceitems",
            Resource::Invoice => "invoices",
            Resource::Subscription => "subscriptions",
        }
    }

    /// The path parameter's name in Stripe's spec, which keys `params.json`.
    fn id_name(self) -> &'static str {
        match self {
            Resource::Customer => "{customer}",
            Resource::Product | Resource::Event | Resource::BalanceTransaction => "{id}",
            Resource::Price => "{price}",
            Resource::Charge => "{charge}",
            Resource::PaymentIntent => "{intent}",
            Resource::Refund => "{refund}",
            Resource::Dispute => "{dispute}",
            Resource::Payout => "{payout}",
            Resource::InvoiceItem => "{invoiceitem}",
            Resource::Invoice => "{invoice}",
            Resource::Subscription => "{subscription_exposed_id}",
        }
    }

    /// Fields a search query may use, and which of them are numeric.
    fn search_fields(self) -> &'static [&'static str] {
        match self {
            Resource::Customer => &["created", "email", "name", "phone"],
            Resource::Product => &[
                "active",
                "created",
                "description",
                "name",
                "shippable",
                "url",
            ],
            Resource::Price => &[
                "active",
                "created",
                "currency",
                "lookup_key",
                "product",
                "type",
            ],
            // Stripe's invoice search fields (metadata is searchable on every resource).
            Resource::Invoice => &[
                "created",
                "currency",
                "customer",
                "number",
                "receipt_number",
                "status",
                "subscription",
                "total",
            ],
            Resource::Charge
            | Resource::PaymentIntent
            | Resource::Refund
            | Resource::Dispute
            | Resource::Event
            | Resource::BalanceTransaction
            | Resource::Payout
            | Resource::InvoiceItem
            | Resource::Subscription => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Create(Resource),
    Retrieve(Resource, String),
    Update(Resource, String),
    Delete(Resource, String),
    List(Resource),
    Search(Resource),
    /// `POST /v1/invoices/{invoice}/finalize`.
    FinalizeInvoice(String),
    /// `POST /v1/invoices/{invoice}/pay`.
    PayInvoice(String),
    /// `POST /v1/payment_intents/{intent}/confirm`.
    ConfirmPaymentIntent(String),
    /// `POST /v1/disputes/{dispute}/close`.
    CloseDispute(String),
    /// Sandbox-only: add a charge (Stripe creates charges from payments, which we do not model).
    SeedCharge,
    /// Sandbox-only: pay out the available balance (Stripe does so on a schedule).
    SeedPayout,
}

impl Action {
    /// The `params.json` key, or None for sandbox-only routes (validated by hand).
    pub fn endpoint(&self) -> Option<String> {
        let (method, path) = match self {
            Action::Create(r) => ("POST", format!("/v1/{}", r.plural())),
            Action::Retrieve(r, _) => ("GET", format!("/v1/{}/{}", r.plural(), r.id_name())),
            Action::Update(r, _) => ("POST", format!("/v1/{}/{}", r.plural(), r.id_name())),
            Action::Delete(r, _) => ("DELETE", format!("/v1/{}/{}", r.plural(), r.id_name())),
            Action::List(r) => ("GET", format!("/v1/{}", r.plural())),
            Action::Search(r) => ("GET", format!("/v1/{}/search", r.plural())),
            Action::FinalizeInvoice(_) => ("POST", "/v1/invoices/{invoice}/finalize".to_string()),
            Action::PayInvoice(_) => ("POST", "/v1/invoices/{invoice}/pay".to_string()),
            Action::ConfirmPaymentIntent(_) => {
                ("POST", "/v1/payment_intents/{intent}/confirm".to_string())
            }
            Action::CloseDispute(_) => ("POST", "/v1/disputes/{dispute}/close".to_string()),
            Action::SeedCharge | Action::SeedPayout => return None,
        };
        Some(format!("{method} {path}"))
    }
}

pub fn execute(
    store: &mut Store,
    action: &Action,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let object = match action {
        Action::Create(Resource::Customer) => customers::create(store, params, request)?,
        Action::Create(Resource::Product) => catalog::create_product(store, params, request)?,
        Action::Create(Resource::Price) => catalog::create_price(store, params, request)?,
        Action::Update(Resource::Customer, id) => customers::update(store, id, params, request)?,
        Action::Update(Resource::Product, id) => {
            catalog::update_product(store, id, params, request)?
        }
        Action::Update(Resource::Price, id) => catalog::update_price(store, id, params, request)?,
        Action::Create(Resource::Charge) => charges::create(store, params, request)?,
        Action::Create(Resource::PaymentIntent) => payment_intents::create(store, params, request)?,
        Action::ConfirmPaymentIntent(id) => payment_intents::confirm(store, id, params, request)?,
        Action::Create(Resource::Refund) => refunds::create(store, params, request)?,
        Action::Update(Resource::Dispute, id) => disputes::update(store, id, params, request)?,
        Action::CloseDispute(id) => disputes::close(store, id, request)?,
        Action::Create(Resource::InvoiceItem) => {
            invoice_items::create_item(store, params, request)?
        }
        Action::Update(Resource::InvoiceItem, id) => {
            invoice_items::update_item(store, id, params, request)?
        }
        Action::Create(Resource::Invoice) => invoices::create(store, params, request)?,
        Action::Update(Resource::Invoice, id) => invoice_edits::update(store, id, params, request)?,
        Action::Delete(Resource::Invoice, id) => {
            return invoice_edits::delete(store, id, request);
        }
        Action::Delete(Resource::InvoiceItem, id) => {
            return invoice_edits::delete_item(store, id, request);
        }
        Action::FinalizeInvoice(id) => invoices::finalize(store, id, request)?,
        Action::PayInvoice(id) => invoices::pay(store, id, params, request)?,
        Action::Create(Resource::Subscription) => subscriptions::create(store, params, request)?,
        Action::Update(Resource::Subscription, id) => {
            subscriptions::update(store, id, params, request)?
        }
        Action::Delete(Resource::Subscription, id) => subscriptions::cancel(store, id, request)?,
        Action::Delete(Resource::Customer, id) => {
            return customers::delete(store, id, request);
        }
        Action::Delete(Resource::Product, id) => {
            return catalog::delete_product(store, id, request);
        }
        Action::Retrieve(resource, id) => retrieve(store, *resource, id)?,
        Action::List(resource) => return list_of(store, *resource, params),
        Action::Search(resource) => return search(store, *resource, params),
        Action::SeedCharge => feed::seed_charge(store, params, request)?,
        Action::SeedPayout => payouts::seed_payout(store, params, request)?,
        other => {
            return Err(ApiError::internal(format!("{other:?} is not routed")));
        }
    };
    expand(store, object, params.get("expand"))
}

fn retrieve(store: &Store, resource: Resource, id: &str) -> Result<Value, ApiError> {
    if resource == Resource::Event {
        let created = |event: &Value| event.get("created").and_then(Value::as_i64).unwrap_or(0);
        return store
            .events
            .get(id)
            .filter(|event| feed::kept(created(event), store.now()))
            .ok_or_else(|| ApiError::no_such("event", id, "id"));
    }
    if let Some(object) = store.collection(resource.object()).and_then(|c| c.get(id)) {
        return Ok(object.clone());
    }
    if store.deleted.get(id) == Some(&resource.object()) {
        return Ok(json!({"id": id, "object": resource.object(), "deleted": true}));
    }
    Err(ApiError::no_such(resource.object(), id, "id"))
}

fn list_of(
    store: &Store,
    resource: Resource,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let url = format!("/v1/{}", resource.plural());
    if resource == Resource::Event {
        let page = feed::list_events(&store.events, &url, params, store.now())?;
        return expand(store, page, params.get("expand"));
    }
    let collection = store
        .collection(resource.object())
        .ok_or_else(|| ApiError::internal("no collection".into()))?;
    let page = match resource {
        Resource::Customer => customers::list(store, &url, params)?,
        Resource::Product => catalog::list_products(collection, &url, params)?,
        Resource::Price => catalog::list_prices(collection, &url, params)?,
        Resource::Charge => charges::list(collection, &url, params)?,
        Resource::PaymentIntent => payment_intents::list(store, &url, params)?,
        Resource::Refund => refunds::list(store, &url, params)?,
        Resource::Dispute => disputes::list(store, &url, params)?,
        Resource::Event => feed::list_events(&store.events, &url, params, store.now())?,
        Resource::BalanceTransaction => payouts::list_balance_transactions(store, &url, params)?,
        Resource::Payout => list::page(collection, "payout", &url, params, |p| {
            list::same_fields(params, p, &["status"])
        })?,
        Resource::Invoice => invoices::list(store, &url, params)?,
        Resource::Subscription => subscriptions::list(store, &url, params)?,
        Resource::InvoiceItem => list::page(collection, "invoiceitem", &url, params, |i| {
            list::same_fields(params, i, &["customer", "invoice"])
        })?,
    };
    expand(store, page, params.get("expand"))
}

fn search(
    store: &Store,
    resource: Resource,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let text = params.get("query").and_then(Value::as_str).unwrap_or("");
    let parsed: Query = query::parse(text)
        .map_err(|e| ApiError::rule(None, "query", format!("Invalid query: {e}.")))?;
    let allowed = resource.search_fields();
    if let Some(bad) = parsed.plain_fields().find(|f| !allowed.contains(f)) {
        return Err(ApiError::rule(
            None,
            "query",
            format!(
                "Field `{bad}` is an unsupported search field for resource `{}`. See \
                 https://stripe.com/docs/search#query-fields-for-{} for a list of supported fields.",
                resource.plural(),
                resource.plural()
            ),
        ));
    }
    let url = format!("/v1/{}/search", resource.plural());
    let collection = store
        .collection(resource.object())
        .ok_or_else(|| ApiError::internal("no collection".into()))?;
    let page = list::search_page(collection, &url, params, |v| parsed.matches(v))?;
    expand(store, page, params.get("expand"))
}

/// Expands ids the emulator stores into objects (`customer` and `balance_transaction` on
/// charges and payouts, `product` on prices, `default_price` on products, `charge`,
/// `latest_charge` and `payment_intent` on payments and refunds, `invoice`, `latest_invoice`
/// and `subscription` on billing objects), with `data.` for lists; anything else is refused as Stripe
/// refuses unexpandable paths. Nested expansion beyond one level is not modelled.
fn expand(store: &Store, mut object: Value, paths: Option<&Value>) -> Result<Value, ApiError> {
    let Some(Value::Array(paths)) = paths else {
        return Ok(object);
    };
    let is_list = matches!(
        object.get("object").and_then(Value::as_str),
        Some("list" | "search_result")
    );
    for path in paths.iter().filter_map(Value::as_str) {
        let field = if is_list {
            path.strip_prefix("data.")
        } else {
            Some(path)
        };
        let target = field.and_then(|f| match f {
            "customer" => Some(("customer", f)),
            "product" => Some(("product", f)),
            "default_price" => Some(("price", f)),
            "balance_transaction" => Some(("balance_transaction", f)),
            "charge" | "latest_charge" => Some(("charge", f)),
            "payment_intent" => Some(("payment_intent", f)),
            "invoice" | "latest_invoice" => Some(("invoice", f)),
            "subscription" => Some(("subscription", f)),
            _ => None,
        });
        let Some((kind, field)) = target else {
            return Err(ApiError::rule(
                None,
                "expand",
                format!("This property cannot be expanded ({path})."),
            ));
        };
        let expand_one = |item: &mut Value| {
            let id = item.get(field).and_then(Value::as_str).map(str::to_string);
            if let Some(found) = id.and_then(|id| store.collection(kind).and_then(|c| c.get(&id))) {
                item[field] = found.clone();
            }
        };
        if is_list {
            if let Some(Value::Array(items)) = object.get_mut("data") {
                items.iter_mut().for_each(expand_one);
            }
        } else {
            expand_one(&mut object);
        }
    }
    Ok(object)
}
