//! Generates `ringbuf-abi/src/event_table.rs` from libs' event table extracted as JSON.
//!
//! Usage: `cargo run -p gen-event-table -- [JSON] [OUT]`
//! (defaults: `../shared/reference/scap/event_table.json`, `ringbuf-abi/src/event_table.rs`).
//! `--check` compares instead of writing and exits 1 when the checked-in file is stale.

use gen_event_table::render;
use std::process::ExitCode;

const DEFAULT_JSON: &str = "../shared/reference/scap/event_table.json";
const DEFAULT_OUT: &str = "ringbuf-abi/src/event_table.rs";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    args.retain(|a| a != "--check");
    let json_path = args.first().map(String::as_str).unwrap_or(DEFAULT_JSON);
    let out_path = args.get(1).map(String::as_str).unwrap_or(DEFAULT_OUT);
    let text = match std::fs::read_to_string(json_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gen-event-table: cannot read {json_path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let generated = match render(&text) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("gen-event-table: {json_path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let current = std::fs::read_to_string(out_path).unwrap_or_default();
        if current != generated {
            eprintln!("gen-event-table: {out_path} is stale; run `cargo run -p gen-event-table`");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(out_path, generated) {
        eprintln!("gen-event-table: cannot write {out_path}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
