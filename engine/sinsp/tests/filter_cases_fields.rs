//! The shared compiler.yaml cases with the real field catalog, through the rules crate's
//! data-driven runner (`falco_rules::testcases`):
//!
//! - `kind: compile`: the rules compiler over [`SyscallCatalog`] (plus the mock `c.*`
//!   fields libs' compiler test registers next to the real ones, with their types);
//! - `kind: eval_event`: the filter evaluated on the synthetic event its `context_hint`
//!   describes, built with `ringbuf_abi::encode_record`, run through [`State`] and read
//!   through [`EventContext`] (plus the `sample.*` fields of libs' test plugin, which the
//!   libs test registers for a few cases).
//!
//! Each table lists the cases where we differ from libs, with the reason; a test fails when a
//! listed case starts to agree (remove it) or an unlisted one differs.

mod common;

use common::P;
use falco_rules::field::{
    EventFields, FieldArg, FieldCatalog, FieldClass, FieldError, FieldType, ResolvedField, Value,
};
use falco_rules::testcases::{
    cases_dir, check_compile, check_eval, compiler_cases, run_table, CompilerCase,
};
use falco_sinsp::fields::{EventContext, Scratch, SyscallCatalog};
use falco_sinsp::state::{Bootstrap, State, StateLimits, ThreadInfo, UserInfo};
use ringbuf_abi::{ids, Record};

/// The real catalog plus the fields of libs' `mock_compiler_filter_check`
/// (`filter_compiler.ut.cpp`): `c.true`, `c.false`, `c.doublequote`, `c.singlequote` are
/// `PT_CHARBUF` (the mock's default field info), `c.buffer` is `PT_BYTEBUF`.
struct WithMocks(SyscallCatalog);

const MOCK_FIELDS: &[&str] = &[
    "c.true",
    "c.false",
    "c.buffer",
    "c.doublequote",
    "c.singlequote",
];

impl FieldCatalog for WithMocks {
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        match MOCK_FIELDS.iter().position(|f| *f == name) {
            Some(i) => Ok(ResolvedField {
                id: u32::MAX - i as u32,
                name: name.to_string(),
                arg: None,
                ftype: if name == "c.buffer" {
                    FieldType::Bytebuf
                } else {
                    FieldType::Charbuf
                },
                is_list: false,
            }),
            None => self.0.resolve(name, arg),
        }
    }
    fn classes(&self) -> &[FieldClass] {
        self.0.classes()
    }
}

/// `compile` cases where we differ, by libs test line.
const COMPILE_GAPS: &[(&str, &str)] = &[];

#[test]
fn compile_cases_accept_and_reject_like_libs() {
    let cases: Vec<CompilerCase> = compiler_cases(&cases_dir())
        .expect("compiler.yaml loads")
        .into_iter()
        .filter(|c| c.kind == "compile")
        .collect();
    let cat = WithMocks(SyscallCatalog::new());
    let r = run_table("compile", &cases, CompilerCase::key, COMPILE_GAPS, |c| {
        check_compile(&cat, c)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.run > 150, "only {} compile cases", r.run);
    eprintln!(
        "compile cases: {} agree, {} known differences",
        r.passed, r.known
    );
}

/// A record of `evtype` from tid 1 (libs' init thread).
fn event(evtype: u16, ts: u64, params: &[(&str, P<'_>)]) -> Vec<u8> {
    common::event(evtype, ts, 1, params)
}

/// libs' `add_default_init_thread`: pid 1 `init`, `/sbin/init`, cwd `/`, root.
fn init_state() -> State {
    let init = ThreadInfo {
        tid: 1,
        pid: 1,
        ptid: 0,
        sid: 0,
        vpgid: 1,
        comm: "init".into(),
        exe: "/sbin/init".into(),
        exepath: "/sbin/init".into(),
        cwd: "/".into(),
        loginuid: u32::MAX,
        vtid: 1,
        vpid: 1,
        ..ThreadInfo::default()
    };
    State::bootstrap(
        Bootstrap {
            threads: vec![init],
            users: vec![UserInfo {
                uid: 0,
                gid: 0,
                name: "root".into(),
                homedir: "/root".into(),
                shell: "/bin/bash".into(),
            }],
            ..Bootstrap::default()
        },
        StateLimits::default(),
    )
}

/// `family` byte then address and port, as in scap socket tuples and sockaddrs.
fn addr(ip: &[u8], port: u16) -> Vec<u8> {
    let mut v = ip.to_vec();
    v.extend_from_slice(&port.to_le_bytes());
    v
}

/// The events a case's libs test sends, in order (the last is the one evaluated).
fn events_for(c: &CompilerCase) -> Result<Vec<Vec<u8>>, String> {
    let hint = c.context_hint.as_ref().ok_or("no context_hint")?;
    let helpers = |h: &str| hint.helpers.iter().any(|x| x == h);
    let codes: Vec<&str> = hint.event_codes.iter().map(|s| s.as_str()).collect();
    let mut ts = 1_000u64;
    let mut next = || {
        ts += 1;
        ts
    };
    if helpers("generate_getcwd_failed_entry_event") {
        return Ok(vec![event(
            ids::PPME_SYSCALL_GETCWD_X,
            next(),
            &[("res", P::I64(-1)), ("path", P::Str("/test/dir"))],
        )]);
    }
    if helpers("generate_execve_enter_and_exit_event") {
        return Ok(vec![event(
            ids::PPME_SYSCALL_EXECVE_19_X,
            next(),
            &[
                ("res", P::I64(0)),
                ("exe", P::Str("/myexe")),
                ("tid", P::I64(1)),
                ("pid", P::I64(1)),
                ("ptid", P::I64(0)),
                ("cwd", P::Str("")),
                ("comm", P::Str("myexe")),
            ],
        )]);
    }
    if helpers("generate_socket_exit_event") {
        let v6 = c.test.contains("ipv6");
        let (family, domain) = if v6 { (10u8, 10u32) } else { (2u8, 2u32) };
        let (client, server): (Vec<u8>, Vec<u8>) = if v6 {
            let mut lo = [0u8; 16];
            lo[15] = 1;
            let g = [
                0x20, 0x01, 0x48, 0x60, 0x48, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x88,
            ];
            (addr(&lo, 54321), addr(&g, 443))
        } else {
            (
                addr(&[172, 40, 111, 222], 54321),
                addr(&[142, 251, 111, 147], 443),
            )
        };
        let mut tuple = vec![family];
        tuple.extend_from_slice(&client);
        tuple.extend_from_slice(&server);
        let mut sockaddr = vec![family];
        sockaddr.extend_from_slice(&server);
        let mut out = vec![event(
            ids::PPME_SOCKET_SOCKET_X,
            next(),
            &[("fd", P::I64(9)), ("domain", P::U32(domain))],
        )];
        if codes.contains(&"PPME_SOCKET_CONNECT_E") {
            out.push(event(
                ids::PPME_SOCKET_CONNECT_E,
                next(),
                &[("fd", P::I64(9)), ("addr", P::Bytes(&sockaddr))],
            ));
        }
        out.push(event(
            ids::PPME_SOCKET_CONNECT_X,
            next(),
            &[
                ("res", P::I64(0)),
                ("tuple", P::Bytes(&tuple)),
                ("fd", P::I64(9)),
            ],
        ));
        return Ok(out);
    }
    let open = |ts: u64, fd: i64, path: &str| {
        event(
            ids::PPME_SYSCALL_OPEN_X,
            ts,
            &[
                ("fd", P::I64(fd)),
                ("name", P::Str(path)),
                ("flags", P::U32(0)),
                ("mode", P::U32(0o666)),
                ("dev", P::U32(123)),
                ("ino", P::U64(456)),
            ],
        )
    };
    match codes.as_slice() {
        ["PPME_SYSCALL_EPOLL_CREATE_X", rest @ ..] => {
            let mut out = vec![event(
                ids::PPME_SYSCALL_EPOLL_CREATE_X,
                next(),
                &[("res", P::U64(-22i64 as u64)), ("size", P::U32(0))],
            )];
            if rest == ["PPME_SYSCALL_OPEN_X"] {
                let path = hint.string_params.first().map(|s| s.as_str()).unwrap_or("");
                out.push(open(next(), -1, path));
            }
            Ok(out)
        }
        ["PPME_SYSCALL_READ_X"] => {
            let data: &[u8] = if c.test.contains("matches_nul") {
                b"a\0b"
            } else {
                b"hello"
            };
            Ok(vec![event(
                ids::PPME_SYSCALL_READ_X,
                next(),
                &[("res", P::I64(0)), ("data", P::Bytes(data))],
            )])
        }
        ["PPME_SYSCALL_OPEN_X"] => {
            let path = hint
                .string_params
                .first()
                .map(|s| s.as_str())
                .unwrap_or("/tmp/file_to_run");
            Ok(vec![open(next(), 3, path)])
        }
        other => Err(format!(
            "no event builder for {other:?} / {:?}",
            hint.helpers
        )),
    }
}

/// The fields of libs' test plugin `sample_syscall_extract`
/// (`test/plugins/syscall_extract.cpp`) that the filter cases use, registered for this
/// runner next to the real catalog as libs' test registers the plugin's filtercheck:
/// `sample.is_open` (`uint64`, 1 on events of the open family), `sample.proc_name`
/// (`string`, the event thread's `comm` from the thread table), `sample.tick` (`string`,
/// "true" only on the plugin's ticker async event). Like the plugin, they extract only on
/// the event types it declares.
struct WithSamplePlugin(SyscallCatalog);

const SAMPLE_FIELDS: &[(&str, FieldType)] = &[
    ("sample.is_open", FieldType::Uint64),
    ("sample.proc_name", FieldType::Charbuf),
    ("sample.tick", FieldType::Charbuf),
];

/// Id of the first sample field: above the real catalog's ids.
const SAMPLE_ID: u32 = u32::MAX - 16;

impl FieldCatalog for WithSamplePlugin {
    fn resolve(&self, name: &str, arg: Option<&FieldArg>) -> Result<ResolvedField, FieldError> {
        match SAMPLE_FIELDS.iter().position(|(f, _)| *f == name) {
            Some(i) => Ok(ResolvedField {
                id: SAMPLE_ID + i as u32,
                name: name.to_string(),
                arg: None,
                ftype: SAMPLE_FIELDS[i].1,
                is_list: false,
            }),
            None => self.0.resolve(name, arg),
        }
    }
    fn classes(&self) -> &[FieldClass] {
        self.0.classes()
    }
}

/// The event types `sample_syscall_extract` extracts from (`plugin_get_extract_event_types`).
const SAMPLE_EVENT_TYPES: &[u16] = &[
    ids::PPME_SYSCALL_OPEN_E,
    ids::PPME_SYSCALL_OPEN_X,
    ids::PPME_SYSCALL_OPENAT_E,
    ids::PPME_SYSCALL_OPENAT_X,
    ids::PPME_SYSCALL_OPENAT_2_E,
    ids::PPME_SYSCALL_OPENAT_2_X,
    ids::PPME_SYSCALL_OPENAT2_E,
    ids::PPME_SYSCALL_OPENAT2_X,
    ids::PPME_SYSCALL_INOTIFY_INIT1_X,
    ids::PPME_ASYNCEVENT_E,
    ids::PPME_SYSCALL_GETCWD_X,
];

/// The real fields of the event, plus the sample plugin's.
struct SampleFields<'a, 'b> {
    ctx: EventContext<'a>,
    state: &'b State,
    tid: i64,
}

impl EventFields for SampleFields<'_, '_> {
    fn extract(&mut self, field: &ResolvedField, sink: &mut dyn FnMut(Value<'_>)) -> bool {
        if field.id < SAMPLE_ID || field.id >= SAMPLE_ID + SAMPLE_FIELDS.len() as u32 {
            return self.ctx.extract(field, sink);
        }
        let etype = self.ctx.event_type();
        if !SAMPLE_EVENT_TYPES.contains(&etype) {
            return false;
        }
        match SAMPLE_FIELDS[(field.id - SAMPLE_ID) as usize].0 {
            "sample.is_open" => sink(Value::Uint(SAMPLE_EVENT_TYPES[..8].contains(&etype) as u64)),
            "sample.proc_name" => {
                let Some(t) = self.state.threads.get(self.tid) else {
                    return false;
                };
                sink(Value::Str(t.comm.as_bytes()))
            }
            // Our events carry no plugin async events: never the ticker.
            _ => sink(Value::Str(b"false")),
        }
        true
    }

    fn event_type(&self) -> u16 {
        self.ctx.event_type()
    }
}

/// Builds the case's events on a fresh state and evaluates the filter on the last one, on
/// CPU 1 as libs' test input does.
fn check_event_case(cat: &WithSamplePlugin, c: &CompilerCase) -> Result<(), String> {
    let events = events_for(c)?;
    let mut st = init_state();
    let mut last = None;
    for rec in &events {
        let r = Record::parse(rec).map_err(|e| format!("record: {e:?}"))?;
        st.process(r, 1);
        last = Some(r);
    }
    let r = last.ok_or("no event")?;
    let mut scratch = Scratch::default();
    let mut fields = SampleFields {
        ctx: EventContext::new(&st, r, 1, &mut scratch),
        state: &st,
        tid: r.tid() as i64,
    };
    check_eval(cat, c, &mut fields)
}

/// `eval_event` cases where we differ, by libs test file and line, with the reason.
const EVAL_GAPS: &[(&str, &str)] = &[];

#[test]
fn eval_event_cases_evaluate_like_libs() {
    let cases: Vec<CompilerCase> = compiler_cases(&cases_dir())
        .expect("compiler.yaml loads")
        .into_iter()
        .filter(|c| c.kind == "eval_event")
        .collect();
    let cat = WithSamplePlugin(SyscallCatalog::new());
    let r = run_table("eval_event", &cases, CompilerCase::key, EVAL_GAPS, |c| {
        check_event_case(&cat, c)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.run > 200, "only {} eval_event cases", r.run);
    eprintln!(
        "eval_event cases: {} agree, {} known differences",
        r.passed, r.known
    );
}
