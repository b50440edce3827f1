use super::spec::FunctionSpec;
pub fn specs() -> Vec<FunctionSpec> {
    Vec::new()
}
