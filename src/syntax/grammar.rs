//! The pest parser generated from `grammar/ferry.pest`.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/ferry.pest"]
pub struct FerryParser;
