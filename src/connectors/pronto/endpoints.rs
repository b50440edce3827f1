//! Where each Pronto Avenue resource lives on one tenant: `/<api_path>/json/<code>/<version>.json`.
//!
//! Tenants customise their endpoints (`debtor/v5_rgs`, `/userapi/json/product/v4_tasco.json`),
//! so every version is a setting of the connection, with the documented one as the default.

use crate::connectors::{ConnectorError, ResolvedConnection};

/// A resource and the setting that names its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Debtors,
    Orders,
    OrderCreate,
    Transactions,
    Products,
    Categories,
}

impl Resource {
    const ALL: [Resource; 6] = [
        Resource::Debtors,
        Resource::Orders,
        Resource::OrderCreate,
        Resource::Transactions,
        Resource::Products,
        Resource::Categories,
    ];

    /// The endpoint's code in the path.
    pub fn code(self) -> &'static str {
        match self {
            Resource::Debtors => "debtor",
            Resource::Orders | Resource::OrderCreate => "order",
            Resource::Transactions => "transaction",
            Resource::Products => "product",
            Resource::Categories => "category",
        }
    }

    /// The connection setting that overrides its version.
    pub fn setting(self) -> &'static str {
        match self {
            Resource::Debtors => "debtor_version",
            Resource::Orders => "order_version",
            Resource::OrderCreate => "order_create_version",
            Resource::Transactions => "transaction_version",
            Resource::Products => "product_version",
            Resource::Categories => "category_version",
        }
    }

    /// The version the Avenue documentation (or observed traffic) gives.
    fn default_version(self) -> &'static str {
        match self {
            Resource::Debtors | Resource::Orders | Resource::Products => "v4",
            Resource::OrderCreate => "v6",
            Resource::Transactions | Resource::Categories => "v5",
        }
    }

    /// The list's root key in a GET answer.
    pub fn root(self) -> &'static str {
        match self {
            Resource::Debtors => "debtors",
            Resource::Orders | Resource::OrderCreate => "orders",
            Resource::Transactions => "apitransactions",
            Resource::Products => "products",
            Resource::Categories => "categories",
        }
    }
}

/// Every setting this module reads, for the connector's descriptor.
#[cfg(test)]
pub const SETTINGS: [&str; 7] = [
    "api_path",
    "debtor_version",
    "order_version",
    "order_create_version",
    "transaction_version",
    "product_version",
    "category_version",
];

/// One tenant's endpoint paths.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `api`, or a tenant's own (`userapi`).
    api_path: String,
    versions: [String; 6],
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            api_path: "api".into(),
            versions: Resource::ALL.map(|r| r.default_version().to_string()),
        }
    }
}

impl Endpoints {
    /// The connection's paths: its settings over the documented defaults.
    pub fn of(connection: &ResolvedConnection) -> Result<Endpoints, ConnectorError> {
        let mut endpoints = Endpoints::default();
        if let Some(path) = connection.setting("api_path") {
            endpoints.api_path = checked(connection, "api_path", path)?;
        }
        for (slot, resource) in endpoints.versions.iter_mut().zip(Resource::ALL) {
            if let Some(version) = connection.setting(resource.setting()) {
                *slot = checked(connection, resource.setting(), version)?;
            }
        }
        Ok(endpoints)
    }

    /// `code/version` of `resource` (`debtor/v4`), as errors name it.
    pub fn name(&self, resource: Resource) -> String {
        format!("{}/{}", resource.code(), self.version(resource))
    }

    /// The path under the base URL: `api/json/debtor/v4.json`.
    pub fn path(&self, resource: Resource) -> String {
        format!("{}/json/{}.json", self.api_path, self.name(resource))
    }

    fn version(&self, resource: Resource) -> &str {
        let index = Resource::ALL
            .iter()
            .position(|r| *r == resource)
            .unwrap_or_default();
        &self.versions[index]
    }
}

/// A path segment made of letters, digits, `_`, `-` and `.`.
fn checked(
    connection: &ResolvedConnection,
    key: &str,
    value: &str,
) -> Result<String, ConnectorError> {
    let value = value.trim().trim_matches('/');
    let fine = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if fine {
        Ok(value.to_string())
    } else {
        Err(ConnectorError::Unsupported(format!(
            "connection `{}`: `{key}: {value}` is not a path segment (letters, digits, `_`, `-`)",
            connection.name
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_versions_are_the_defaults() {
        let endpoints = Endpoints::default();
        assert_eq!(endpoints.path(Resource::Debtors), "api/json/debtor/v4.json");
        assert_eq!(endpoints.path(Resource::OrderCreate), "api/json/order/v6.json");
        assert_eq!(endpoints.name(Resource::Transactions), "transaction/v5");
        assert_eq!(endpoints.name(Resource::Categories), "category/v5");
    }
}
