//! Load + compile time of the three official rules files together (harness = false).
//! Run: `cargo bench -p falco-rules --bench load`.

#[path = "common/official_load.rs"]
mod official_load;

use falco_rules::field::{
    FieldArg, FieldCatalog, FieldClass, FieldError, FieldType, ResolvedField,
};
use falco_rules::load::{load, LoadOptions};
use official_load::bench_official_load;

/// Resolves every dotted name (the real catalog lives in falco-sinsp).
struct AnyField;

impl FieldCatalog for AnyField {
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        let ftype = if name == "evt.buffer" {
            FieldType::Bytebuf
        } else {
            FieldType::Charbuf
        };
        Ok(ResolvedField {
            id: 0,
            name: name.to_string(),
            arg: arg.cloned(),
            ftype,
            is_list: false,
        })
    }
    fn classes(&self) -> &[FieldClass] {
        &[]
    }
}

fn main() {
    let opts = LoadOptions::default();
    bench_official_load("permissive catalog", |files| {
        let (rs, res) = load(files, &AnyField, &opts);
        assert!(res.successful(), "{}", res.to_text());
        rs.rules().len()
    });
}
