//! The function reference (docs/functions.md), generated from the specs so it cannot drift.

use super::Registry;
use crate::check::{Fallibility, Signature};

pub fn markdown(registry: &Registry) -> String {
    let mut out = String::from(
        "# Standard library\n\nGenerated from the function specs by `ferry explain --functions`; \
         do not edit by hand. Every example below runs as a test.\n",
    );
    let mut families: Vec<&str> = registry.specs().iter().map(|s| s.family).collect();
    families.dedup();
    let mut seen = Vec::new();
    for family in families {
        if seen.contains(&family) {
            continue;
        }
        seen.push(family);
        out.push_str(&format!("\n## {family}\n"));
        for spec in registry.specs().iter().filter(|s| s.family == family) {
            out.push_str(&format!("\n### `{}`\n\n", signature_line(&spec.signature)));
            out.push_str(&format!(
                "{}\n\n",
                spec.doc.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
            match spec.signature.fallibility {
                Fallibility::Infallible => {}
                Fallibility::Fallible(reason) => {
                    out.push_str(&format!(
                        "Fallible: {reason}. Handle with `??`, `!`, `skip` or `fail`.\n\n"
                    ));
                }
            }
            if spec.signature.needs_timezone {
                out.push_str(
                    "Needs a time zone for timestamps: the pipeline's `timezone` or `tz:`.\n\n",
                );
            }
            out.push_str("| example | result |\n|---|---|\n");
            for example in spec.examples {
                let result = match example.result {
                    Ok(json) => format!("`{json}`"),
                    Err(message) => format!("error: {message}"),
                };
                out.push_str(&format!(
                    "| `{}` | {} |\n",
                    example.call.replace('|', "\\|"),
                    result.replace('|', "\\|")
                ));
            }
        }
    }
    out
}

fn signature_line(signature: &Signature) -> String {
    let params: Vec<String> = signature
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let variadic = if signature.variadic && i + 1 == signature.params.len() {
                "..."
            } else {
                ""
            };
            match p.default {
                Some(default) => format!("{}{variadic}: {} = {default}", p.name, p.ty),
                None => format!("{}{variadic}: {}", p.name, p.ty),
            }
        })
        .collect();
    format!("{}({})", signature.name, params.join(", "))
}
