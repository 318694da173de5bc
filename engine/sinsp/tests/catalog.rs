//! Field-name resolution against the catalog.

use falco_rules::field::{FieldArg, FieldCatalog, FieldError, FieldType};
use falco_sinsp::fields::SyscallCatalog;

/// (written name, argument, resolved display name, type, is_list)
const CASES: &[(&str, Option<u64>, &str, FieldType, bool)] = &[
    ("proc.name", None, "proc.name", FieldType::Charbuf, false),
    (
        "proc.aname",
        Some(2),
        "proc.aname[2]",
        FieldType::Charbuf,
        false,
    ),
    ("proc.aname", None, "proc.aname", FieldType::Charbuf, true),
    (
        "evt.arg.flags",
        None,
        "evt.arg.flags",
        FieldType::Charbuf,
        false,
    ),
    ("evt.arg", Some(0), "evt.arg[0]", FieldType::Charbuf, false),
    ("fd.sport", None, "fd.sport", FieldType::Port, false),
    ("proc.tty", None, "proc.tty", FieldType::Uint32, false),
    (
        "user.loginuid",
        None,
        "user.loginuid",
        FieldType::Int64,
        false,
    ),
    ("evt.time", None, "evt.time", FieldType::Abstime, false),
    (
        "thread.cgroup.cpuacct",
        None,
        "thread.cgroup.cpuacct",
        FieldType::Charbuf,
        false,
    ),
    (
        "evt.type.is.open",
        None,
        "evt.type.is.open",
        FieldType::Uint32,
        false,
    ),
];

#[test]
fn resolves_names_and_arguments() {
    let cat = SyscallCatalog::new();
    for &(name, idx, shown, ftype, list) in CASES {
        let arg = idx.map(FieldArg::Index);
        let r = cat
            .resolve(name, arg.as_ref())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (r.name.as_str(), r.ftype, r.is_list),
            (shown, ftype, list),
            "{name}"
        );
    }
}

#[test]
fn rejects_unknown_fields_with_falco_text() {
    let cat = SyscallCatalog::new();
    let err = cat.resolve("proc.nme", None).unwrap_err();
    assert_eq!(err, FieldError::Unknown("proc.nme".into()));
    assert_eq!(
        err.to_string(),
        "filter_check called with nonexistent field proc.nme"
    );
    assert!(matches!(
        cat.resolve("evt.arg", None),
        Err(FieldError::BadArgument { .. })
    ));
    assert!(matches!(
        cat.resolve("proc.name", Some(&FieldArg::Index(1))),
        Err(FieldError::BadArgument { .. })
    ));
}

#[test]
fn every_field_resolves_to_itself() {
    let cat = SyscallCatalog::new();
    let mut n = 0;
    for class in cat.classes() {
        for f in class.fields {
            n += 1;
            // evt.rawarg takes its type from the named parameter: `res` is an errno.
            let rawarg = f.name == "evt.rawarg";
            let arg = match f.arg {
                falco_rules::field::ArgSpec::Required if rawarg => {
                    Some(FieldArg::Key("res".into()))
                }
                falco_rules::field::ArgSpec::Required if f.arg_key => {
                    Some(FieldArg::Key("x".into()))
                }
                falco_rules::field::ArgSpec::Required => Some(FieldArg::Index(0)),
                _ => None,
            };
            let r = cat
                .resolve(f.name, arg.as_ref())
                .unwrap_or_else(|e| panic!("{}: {e}", f.name));
            assert!(r.name.starts_with(f.name));
            if rawarg {
                assert_eq!(r.ftype, falco_rules::field::FieldType::Errno);
            } else {
                assert_eq!(r.ftype, f.ftype);
            }
        }
    }
    assert!(n > 200, "only {n} fields");
    // As libs: a raw argument must name a parameter some event has.
    let e = cat
        .resolve("evt.rawarg.nosuchparam", None)
        .expect_err("unknown parameter");
    assert!(
        e.to_string().contains("unknown event argument nosuchparam"),
        "{e}"
    );
    assert_eq!(
        cat.resolve("evt.rawarg.name", None).unwrap().ftype,
        falco_rules::field::FieldType::Fspath
    );
}
