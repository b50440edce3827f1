//! Test blocks: reading fixture files.

use super::arguments::{Outcome, failed, text};
use super::params::{any_result, param, signature};
use super::spec::{Example, FunctionSpec};
use crate::check::{Fallibility, Type};
use crate::value::CallArgs;
use crate::value::json::from_json;

pub fn specs() -> Vec<FunctionSpec> {
    vec![FunctionSpec {
        signature: signature(
            "json",
            vec![param("path", Type::String)],
            any_result,
            Fallibility::Fallible("a file that cannot be read or is not JSON"),
        ),
        family: "testing",
        doc: "Reads a JSON file, relative to the pipeline file's folder, as a value: valid in \
              test blocks (`input = json(\"fixtures/capsule_person.json\")`). Numbers are kept \
              exactly: whole numbers become ints, others exact decimals (`12.50` keeps its two \
              places), never floating point.",
        examples: &[
            Example {
                call: r#"json("no/such/file.json")"#,
                result: Err("cannot read no/such/file.json"),
            },
            Example {
                call: r#"json("no/such/file.json") ?? {}"#,
                result: Ok("{}"),
            },
        ],
        call: json,
    }]
}

fn json(args: &mut CallArgs) -> Outcome {
    let path = text(args, 0, "json", "path")?;
    let full = args.context.base_dir.join(path);
    let content = std::fs::read_to_string(&full).map_err(|e| {
        failed(format!(
            "cannot read {path} (looked in {}): {e}",
            full.display()
        ))
    })?;
    let parsed: serde_json::Value = serde_json::from_str(&content)
        .map_err(|e| failed(format!("{path} is not valid JSON: {e}")))?;
    Ok(from_json(&parsed))
}
