//! Seeded drift in Business Central's customers, made as a user makes it on the Customer Card:
//! each change and addition gets a new version (so a new etag) and `lastModifiedDateTime`.

use jiff::Timestamp;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::ledger::mark;
use super::schema::CUSTOMERS;
use super::store::{BcData, Entity, blank, format_time};
use crate::sandbox::drift::{
    DriftAction, DriftError, DriftField, DriftKind, DriftPlan, DriftableCollection, Picked,
    driftable, token,
};

/// `stripe_customers_to_business_central` writes customers, always with a display name.
const COLLECTIONS: &[DriftableCollection] = &[DriftableCollection {
    system: "business_central",
    name: "customers",
    fields: &[
        DriftField::text("displayName"),
        DriftField::email("email"),
        DriftField::phone("phoneNumber"),
        DriftField::text("addressLine1"),
        DriftField::text("city"),
        DriftField::text("postalCode"),
    ],
    default_fields: &["displayName"],
}];

/// Drift in the first company, where the sandbox's data lives.
pub fn drift(
    data: &mut BcData,
    collection: &str,
    plan: &DriftPlan,
    rng: &mut StdRng,
) -> Result<Vec<DriftAction>, DriftError> {
    let customers = driftable(COLLECTIONS, "business_central", collection)?;
    let BcData {
        companies,
        ids,
        not_ferrys,
    } = data;
    let Some(company) = companies.first_mut() else {
        return Picked::new(customers, Vec::new(), plan, rng).map(|_| Vec::new());
    };
    let ferrys: Vec<String> = company
        .entities(&CUSTOMERS)
        .map(|entity| entity.id().to_string())
        .filter(|id| !not_ferrys.contains(id))
        .collect();
    let picked = Picked::new(customers, ferrys, plan, rng)?;
    let now = format_time(Timestamp::now());
    let mut actions = Vec::new();
    for (id, field) in picked.changes {
        let Some(entity) = company.find_mut(&CUSTOMERS, &id) else {
            continue;
        };
        let before = entity.fields.get(field.name).cloned().unwrap_or(Value::Null);
        let after = field.edited(&before, rng);
        entity.fields.insert(field.name.to_string(), after.clone());
        mark(entity, ids, &now);
        actions.push(action(
            DriftKind::Changed,
            id,
            Some(field.name.to_string()),
            Some(before),
            Some(after),
        ));
    }
    for id in picked.deletes {
        let before = company.remove(&CUSTOMERS, &id).map(|e| Value::Object(e.fields));
        actions.push(action(DriftKind::Deleted, id, None, before, None));
    }
    for _ in 0..plan.add {
        let token = token(rng);
        let mut fields = blank(&CUSTOMERS);
        let id = ids.guid();
        let number = company.next_number(&CUSTOMERS).unwrap_or_default();
        for (key, value) in [
            ("id", json!(id)),
            ("number", json!(number)),
            ("displayName", json!(format!("Walk-in {token}"))),
            ("type", json!("Company")),
            ("email", json!(format!("walk-in.{token}@example.net"))),
            ("currencyCode", json!("AUD")),
            ("lastModifiedDateTime", json!(now)),
        ] {
            fields.insert(key.to_string(), value);
        }
        let entity = Entity {
            seq: ids.next_seq(),
            version: ids.next_version(),
            fields,
        };
        let after = Value::Object(entity.fields.clone());
        company.insert(&CUSTOMERS, entity);
        not_ferrys.insert(id.clone());
        actions.push(action(DriftKind::Added, id, None, None, Some(after)));
    }
    Ok(actions)
}

fn action(
    kind: DriftKind,
    id: String,
    field: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
) -> DriftAction {
    DriftAction {
        action: kind,
        collection: "customers".to_string(),
        id,
        field,
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sandbox::business_central::{BusinessCentralConfig, BusinessCentralState};

    #[test]
    fn drift_changes_what_ferry_made_with_a_new_etag_and_leaves_seed_data_alone() {
        let state = BusinessCentralState::seeded(BusinessCentralConfig::default(), 4);
        let mut data = state.data();
        let seeded = data.not_ferrys.clone();
        let made: Vec<String> = (0..3)
            .map(|n| {
                let id = data.ids.guid();
                let mut fields = blank(&CUSTOMERS);
                fields.insert("id".into(), json!(id));
                fields.insert("displayName".into(), json!(format!("Made {n}")));
                let entity = Entity {
                    seq: data.ids.next_seq(),
                    version: data.ids.next_version(),
                    fields,
                };
                data.companies[0].insert(&CUSTOMERS, entity);
                id
            })
            .collect();
        let etags: Vec<String> = made
            .iter()
            .map(|id| data.companies[0].find(&CUSTOMERS, id).unwrap().etag())
            .collect();
        let plan = DriftPlan {
            change: 2,
            delete: 1,
            add: 2,
            fields: vec!["displayName".into()],
        };
        let actions = drift(&mut data, "customers", &plan, &mut StdRng::seed_from_u64(1)).unwrap();
        let company = &data.companies[0];
        for changed in &actions[..2] {
            let at = made.iter().position(|id| *id == changed.id).unwrap();
            let entity = company.find(&CUSTOMERS, &changed.id).unwrap();
            assert_eq!(Some(&entity.fields["displayName"]), changed.after.as_ref());
            assert_ne!(entity.etag(), etags[at]);
        }
        assert!(made.contains(&actions[2].id));
        assert!(company.find(&CUSTOMERS, &actions[2].id).is_none());
        for added in &actions[3..] {
            assert!(!seeded.contains(&added.id));
            let entity = company.find(&CUSTOMERS, &added.id).unwrap();
            assert!(entity.text("number").starts_with('C'), "{entity:?}");
        }
        let error = drift(&mut data, "items", &plan, &mut StdRng::seed_from_u64(1)).unwrap_err();
        assert_eq!(error.code(), crate::diagnostics::Code::DriftUnknownCollection);
    }
}
