use super::*;
use crate::event::parse_payload;

fn event(text: &str) -> AuditEvent {
    let mut p = parse_payload(text.as_bytes(), usize::MAX);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    p.events.remove(0)
}

fn get(ev: &AuditEvent, name: &str, arg: Option<FieldArg>) -> Option<Vec<String>> {
    let f = AuditCatalog
        .resolve(name, arg.as_ref())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    AuditFields::new(ev, 1)
        .values(&f)
        .map(|v| v.into_iter().map(|c| c.into_owned()).collect())
}

const POD: &str = r#"{"kind":"Event","auditID":"x","stage":"ResponseComplete","stageTimestamp":"2018-10-25T13:58:49.730588Z","verb":"create","requestURI":"/api/v1/namespaces/default/pods?dryRun=All&x=a%20b","user":{"username":"admin","groups":["system:masters","system:authenticated"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","name":"p"},"responseStatus":{"code":201},"responseObject":{"metadata":{"name":"p"}},"requestObject":{"spec":{"hostNetwork":true,"securityContext":{"runAsUser":1000},"volumes":[{"name":"v","hostPath":{"path":"/var/run/docker.sock"}},{"name":"e","emptyDir":{}}],"containers":[{"name":"a","image":"nginx:1.7@sha256:x","command":["sh","-c"],"securityContext":{"privileged":false}},{"name":"b","image":"docker.io/falco","ports":[{"containerPort":80,"hostPort":8080}],"securityContext":{"privileged":true,"runAsUser":0}}]}}}"#;

#[test]
fn ka_fields_follow_the_plugin() {
    let ev = event(POD);
    let s = |v: &[&str]| Some(v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
    assert_eq!(get(&ev, "ka.user.name", None), s(&["admin"]));
    assert_eq!(
        get(&ev, "ka.user.groups", None),
        s(&["system:masters", "system:authenticated"])
    );
    assert_eq!(get(&ev, "ka.response.code", None), s(&["201"]));
    assert_eq!(get(&ev, "ka.target.pod.name", None), s(&["p"]));
    assert_eq!(get(&ev, "ka.req.pod.host_network", None), s(&["true"]));
    assert_eq!(get(&ev, "ka.req.pod.host_pid", None), None);
    assert_eq!(
        get(&ev, "ka.req.pod.containers.privileged", None),
        s(&["false", "true"])
    );
    assert_eq!(
        get(
            &ev,
            "ka.req.pod.containers.privileged",
            Some(FieldArg::Index(1))
        ),
        s(&["true"])
    );
    assert_eq!(get(&ev, "ka.req.container.privileged", None), s(&["true"]));
    assert_eq!(
        get(&ev, "ka.req.pod.containers.image.repository", None),
        s(&["nginx", "docker.io/falco"])
    );
    assert_eq!(
        get(&ev, "ka.req.container.image", None),
        s(&["nginx:1.7@sha256:x"])
    );
    assert_eq!(
        get(&ev, "ka.req.pod.containers.command", None),
        s(&["sh -c"])
    );
    assert_eq!(
        get(&ev, "ka.req.pod.containers.host_port", None),
        s(&["8080"])
    );
    assert_eq!(
        get(&ev, "ka.req.pod.containers.eff_run_as_user", None),
        s(&["1000", "0"])
    );
    assert_eq!(
        get(&ev, "ka.req.pod.volumes.hostpath", None),
        s(&["/var/run/docker.sock"])
    );
    assert_eq!(
        get(&ev, "ka.req.pod.volumes.volume_type", None),
        s(&["hostPath", "emptyDir"])
    );
    assert_eq!(
        get(
            &ev,
            "ka.req.volume.hostpath",
            Some(FieldArg::Key("/var/run/*".into()))
        ),
        s(&["true"])
    );
    assert_eq!(
        get(&ev, "ka.uri.param", Some(FieldArg::Key("x".into()))),
        s(&["a b"])
    );
    assert_eq!(
        get(&ev, "ka.uri.param", Some(FieldArg::Key("nope".into()))),
        None
    );
    assert_eq!(get(&ev, "ka.sourceips", None), s(&["10.0.0.1"]));
    assert_eq!(get(&ev, "ka.req.pod.initContainers.image", None), None);
    assert_eq!(
        get(
            &ev,
            "jevt.value",
            Some(FieldArg::Key("/user/groups/1".into()))
        ),
        s(&["system:authenticated"])
    );
    assert_eq!(
        get(
            &ev,
            "json.value",
            Some(FieldArg::Key("/responseStatus".into()))
        ),
        s(&[r#"{"code":201}"#])
    );
    assert_eq!(
        get(&ev, "json.value", Some(FieldArg::Key("/a~1~0b".into()))),
        None
    );
    assert_eq!(get(&ev, "jevt.rawtime", None), s(&["1540475929730588000"]));
}

#[test]
fn json_that_is_not_audit_has_no_ka_values() {
    let ev = event(r#"{"kind":"Event","stageTimestamp":"2018-10-25T13:58:49Z","verb":"get"}"#);
    assert_eq!(get(&ev, "ka.verb", None), None);
    assert!(get(&ev, "json.value", Some(FieldArg::Key("/verb".into()))).is_some());
}

#[test]
fn resolution() {
    assert!(matches!(
        AuditCatalog.resolve("proc.name", None),
        Err(FieldError::Unknown(_))
    ));
    assert!(AuditCatalog.resolve("json.value", None).is_err());
    assert!(AuditCatalog
        .resolve("ka.verb", Some(&FieldArg::Index(1)))
        .is_err());
    let f = AuditCatalog
        .resolve(
            "ka.req.pod.containers.image",
            Some(&FieldArg::Key("0".into())),
        )
        .unwrap();
    assert_eq!(f.arg, Some(FieldArg::Index(0)));
    assert!(f.is_list);
}
