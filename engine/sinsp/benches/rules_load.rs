//! Load + compile time of the three official rules files together with the real field
//! catalog (what `falco -r` does before the first event), harness = false.
//! Run: `cargo bench -p falco-sinsp --bench rules_load`. falco-rules' `load` bench times the
//! same with a permissive catalog.

#[path = "../../rules/benches/common/official_load.rs"]
mod official_load;

use falco_rules::load::{load, LoadOptions};
use falco_sinsp::fields::SyscallCatalog;
use official_load::bench_official_load;

fn main() {
    let opts = LoadOptions::default();
    bench_official_load("real catalog", |files| {
        // The catalog is built per load, as a fresh `falco` process does.
        let catalog = SyscallCatalog::new();
        let (rs, res) = load(files, &catalog, &opts);
        assert!(res.successful(), "{}", res.to_text());
        rs.rules().len()
    });
}
