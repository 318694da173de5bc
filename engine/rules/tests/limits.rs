//! Limits on what the rules crate builds from its input (issue #21): a condition or a YAML
//! document cannot exhaust the stack, aliases cannot multiply a small document into gigabytes,
//! and a file larger than the cap is refused. Parsing runs on a thread with the main thread's
//! 8 MiB stack, as in the binaries.

use falco_rules::parser::parse;
use falco_rules::yaml;

fn on_main_sized_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no panic")
}

#[test]
fn a_long_chain_of_nots_parses_without_recursion() {
    let (even, odd) = on_main_sized_stack(|| {
        let even = parse(&format!("{}evt.type = open", "not ".repeat(30_000)));
        let odd = parse(&format!("{}evt.type = open", "not ".repeat(30_001)));
        (even, odd)
    });
    // libs toggles a flag per `not`: an even chain is the check itself, an odd one its negation.
    use falco_rules::ast::Expr;
    assert!(matches!(even.expect("even"), Expr::Check(_)));
    match odd.expect("odd") {
        Expr::Not(inner) => assert!(matches!(*inner, Expr::Check(_))),
        other => panic!("{other:?}"),
    }
    // The chain ahead of a syntax error does not hide the error's offset.
    let text = format!("{}evt.type = ", "not ".repeat(30_000));
    let e = on_main_sized_stack(move || parse(&text)).expect_err("syntax error");
    assert_eq!(e.offset, 30_000 * 4 + "evt.type = ".len(), "{e:?}");
}

#[test]
fn operators_keep_their_precedence_and_grouping() {
    use falco_rules::ast::Expr;
    let shape = |e: &Expr| -> String {
        fn go(e: &Expr, out: &mut String) {
            match e {
                Expr::And(c) | Expr::Or(c) => {
                    out.push_str(if matches!(e, Expr::And(_)) {
                        "and("
                    } else {
                        "or("
                    });
                    for x in c {
                        go(x, out);
                        out.push(' ');
                    }
                    out.push(')');
                }
                Expr::Not(x) => {
                    out.push_str("not(");
                    go(x, out);
                    out.push(')');
                }
                _ => out.push('x'),
            }
        }
        let mut s = String::new();
        go(e, &mut s);
        s
    };
    for (cond, want) in [
        ("a and b or c and d", "or(and(x x ) and(x x ) )"),
        ("a or b or c", "or(x x x )"),
        ("(a or b) or c", "or(or(x x ) x )"),
        (
            "not a and not not b or not (not c)",
            "or(and(not(x) x ) not(not(x)) )",
        ),
        ("a and (b and c) and d", "and(x and(x x ) x )"),
        ("not (a)", "not(x)"),
    ] {
        assert_eq!(shape(&parse(cond).expect(cond)), want, "{cond}");
    }
}

#[test]
fn deep_yaml_nesting_is_a_positioned_error() {
    for (text, col) in [
        ("- ".repeat(100_000) + "a\n", 257),
        ("{a: ".repeat(100_000) + "b", 0),
        ("[".repeat(100_000) + &"]".repeat(100_000), 0),
    ] {
        let e = on_main_sized_stack(move || yaml::parse(&text).map(|_| ())).expect_err("too deep");
        assert_eq!(e.pos.line, 1, "{e:?}");
        if col > 0 {
            assert_eq!(e.pos.col, col, "{e:?}");
            assert!(
                e.message.contains("nesting exceeds the limit of 128"),
                "{e:?}"
            );
        }
    }
    // 128 levels are fine.
    let ok = "- ".repeat(127) + "a\n";
    assert!(yaml::parse(&ok).is_ok());
}

#[test]
fn alias_expansion_is_bounded() {
    // Six levels of ten aliases: a million scalars from 300 bytes.
    let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..7 {
        let prev = format!("*a{}", i - 1);
        t.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    // (A document that parses is not printed: it is a million nodes.)
    let Err(e) = yaml::parse(&t).map(|_| ()) else {
        panic!("six levels of aliases parsed");
    };
    assert!(e.message.contains("aliases expand to more than"), "{e:?}");
    assert!(e.pos.line >= 6, "{e:?}");
    // Ordinary aliasing still works, and aliases do not reach into another document.
    let docs = yaml::parse("a: &x [1, 2]\nb: *x\n").expect("aliases");
    assert_eq!(docs.docs[0].get("b").map(|n| n.is_seq()), Some(true));
    let e = yaml::parse("a: &x 1\n---\nb: *x\n").expect_err("alias into an earlier document");
    assert_eq!(e.pos.line, 3, "{e:?}");
}

#[test]
fn nested_anchors_count_against_the_alias_budget() {
    // A hundred anchors nested around 400 KB: each anchor keeps its own copy.
    let payload = format!("[{}]", vec!["x".repeat(62); 6_000].join(","));
    let mut t: String = (0..100)
        .map(|i| format!("- &a{i}\n{}", "  ".repeat(i + 1)))
        .collect();
    t.push_str(&payload);
    let Err(e) = yaml::parse(&t).map(|_| ()) else {
        panic!("a hundred nested copies parsed");
    };
    assert!(e.message.contains("aliases expand to more than"), "{e:?}");
    assert!(e.pos.line > 1, "{e:?}");
}

#[test]
fn files_over_the_cap_are_refused_by_name() {
    let dir = std::env::temp_dir().join(format!("falco-rules-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let big = dir.join("big.yaml");
    // Sparse: 16 MiB of NULs that cost no disk.
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(16 << 20 | 1))
        .expect("sparse file");
    let (files, errors) = falco_rules::load::read_paths(std::slice::from_ref(&big));
    std::fs::remove_dir_all(&dir).ok();
    assert!(files.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .message
            .contains("big.yaml: larger than the limit of"),
        "{}",
        errors[0].message
    );
}
