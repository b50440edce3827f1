//! The serde_json floor for `bench/map.sh`: read JSON lines, parse each into a
//! `serde_json::Value`, print it compactly, one per line, buffered. No mapping at all, so it is
//! the least a JSON-lines-to-JSON-lines tool built on serde_json can cost. It shares the crate's
//! serde_json features (`arbitrary_precision`, `preserve_order`), as ferry does.
//!
//! Usage: `json_floor [FILE]` (standard input when no file or `-`).

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| "-".to_string());
    let input: Box<dyn Read> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut bad = 0u64;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: reading after line {number}: {e}");
                return ExitCode::from(2);
            }
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<serde_json::Value>(&line) {
            Ok(value) => {
                let written =
                    serde_json::to_writer(&mut out, &value).is_ok() && out.write_all(b"\n").is_ok();
                if !written {
                    return ExitCode::SUCCESS; // stdout closed
                }
            }
            Err(e) => {
                bad += 1;
                eprintln!("line {number}: not JSON: {e}");
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::SUCCESS;
    }
    if bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
