//! The checked-in generated table must match what the generator renders from the shared JSON.

#[test]
fn checked_in_table_is_current() {
    let json = std::fs::read_to_string(falco_testdata::reference_path("scap/event_table.json"))
        .expect("shared event table JSON");
    let rendered = gen_event_table::render(&json).expect("renders");
    let root = falco_testdata::workspace_root();
    let checked_in = std::fs::read_to_string(root.join("ringbuf-abi/src/event_table.rs"))
        .expect("checked-in table");
    assert!(
        rendered == checked_in,
        "ringbuf-abi/src/event_table.rs is stale: run `cargo run -p gen-event-table`"
    );
}
