//! Every standard-library function, in one list.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::spec::FunctionSpec;
use crate::check::{FunctionTable, Signature};

pub struct Registry {
    specs: Vec<FunctionSpec>,
    by_name: HashMap<&'static str, usize>,
}

impl Registry {
    /// The standard library.
    pub fn standard() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            let mut specs = Vec::new();
            specs.extend(super::control::specs());
            specs.extend(super::money::specs());
            specs.extend(super::text::specs());
            specs.extend(super::collections::specs());
            specs.extend(super::time::specs());
            specs.extend(super::conversion::specs());
            specs.extend(super::contact::specs());
            specs.extend(super::hash::specs());
            specs.extend(super::crossref::specs());
            specs.extend(super::fetch::specs());
            specs.extend(super::testing::specs());
            Registry::new(specs)
        })
    }

    fn new(specs: Vec<FunctionSpec>) -> Registry {
        let by_name = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.signature.name, i))
            .collect();
        Registry { specs, by_name }
    }

    pub fn get(&self, name: &str) -> Option<&FunctionSpec> {
        self.by_name.get(name).map(|&i| &self.specs[i])
    }

    pub fn specs(&self) -> &[FunctionSpec] {
        &self.specs
    }
}

impl FunctionTable for Registry {
    fn signature(&self, name: &str) -> Option<&Signature> {
        self.get(name).map(|s| &s.signature)
    }

    fn names(&self) -> Vec<&'static str> {
        self.specs.iter().map(|s| s.signature.name).collect()
    }
}
