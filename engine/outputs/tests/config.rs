//! The outputs configuration read from falco.yaml text, defaults as Falco's, validation that
//! reports every problem.

use falco_outputs::{OutputsConfig, OutputsError, Priority, DEFAULT_QUEUE_CAPACITY};

const FALCO_YAML: &str = r#"
rules_files:
  - /etc/falco/falco_rules.yaml
json_output: true
json_include_output_property: true
log_stderr: true
log_syslog: false
log_level: info
priority: debug
buffered_outputs: true
outputs_queue:
  capacity: 1000
output_timeout: 500
stdout_output:
  enabled: false
syslog_output:
  enabled: true
file_output:
  enabled: true
  keep_alive: true
  filename: /var/log/falco/events.txt
http_output:
  enabled: true
  url: "https://falcosidekick:2801/"
  user_agent: "falcosecurity/falco"
  insecure: false
  ca_cert: ""
  ca_bundle: ""
  ca_path: "/etc/falco/certs/"
  mtls: false
  client_cert: "/etc/falco/certs/client/client.crt"
  client_key: "/etc/falco/certs/client/client.key"
  echo: false
  compress_uploads: true
  keep_alive: true
  max_consecutive_timeouts: 3
program_output:
  enabled: true
  keep_alive: true
  program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
webserver:
  enabled: true
"#;

#[test]
fn reads_falco_yaml_keys() {
    let config: OutputsConfig = serde_yaml::from_str(FALCO_YAML).expect("deserialise");
    assert!(config.buffered_outputs);
    assert!(!config.log_syslog);
    assert_eq!(config.outputs_queue.capacity, 1000);
    assert_eq!(config.outputs_queue.effective_capacity(), 1000);
    assert_eq!(config.output_timeout, 500);
    assert!(!config.stdout_output.enabled);
    assert!(config.syslog_output.enabled);
    assert!(config.file_output.enabled && config.file_output.keep_alive);
    assert_eq!(config.file_output.filename, "/var/log/falco/events.txt");
    let http = &config.http_output;
    assert!(
        http.enabled && http.compress_uploads && http.keep_alive && !http.insecure && !http.mtls
    );
    assert_eq!(http.url, "https://falcosidekick:2801/");
    assert_eq!(http.ca_path, "/etc/falco/certs/");
    assert_eq!(http.max_consecutive_timeouts, 3);
    assert_eq!(http.timeout_ms, 5000, "extension keys default when absent");
    assert!(config.program_output.enabled && config.program_output.keep_alive);
    assert!(config.program_output.program.starts_with("jq "));
    assert_eq!(config.validate(), Ok(()));
}

#[test]
fn an_empty_document_gives_falcos_defaults() {
    let config: OutputsConfig = serde_yaml::from_str("{}").expect("deserialise");
    assert_eq!(config, OutputsConfig::default());
    assert!(config.stdout_output.enabled && config.syslog_output.enabled);
    assert!(
        !config.file_output.enabled
            && !config.program_output.enabled
            && !config.http_output.enabled
    );
    assert_eq!(config.file_output.filename, "./events.txt");
    assert_eq!(config.http_output.user_agent, "falcosecurity/falco");
    assert_eq!(config.http_output.max_consecutive_timeouts, 5);
    assert_eq!(config.output_timeout, 2000);
    assert!(!config.buffered_outputs && config.log_syslog);
    assert_eq!(
        config.outputs_queue.effective_capacity(),
        DEFAULT_QUEUE_CAPACITY
    );
}

#[test]
fn wrong_types_are_errors() {
    let error = serde_yaml::from_str::<OutputsConfig>("file_output: {enabled: maybe}")
        .expect_err("must fail");
    assert!(error.to_string().contains("file_output"), "{error}");
}

#[test]
fn every_problem_is_reported() {
    let yaml = r#"
output_timeout: 0
file_output: {enabled: true, filename: ""}
program_output: {enabled: true, program: " "}
http_output: {enabled: true, url: "ftp://example", mtls: true, client_key: ""}
"#;
    let config: OutputsConfig = serde_yaml::from_str(yaml).expect("deserialise");
    let keys: Vec<_> = config
        .validate()
        .expect_err("invalid")
        .iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(
        keys,
        [
            "output_timeout",
            "file_output.filename",
            "program_output.program",
            "http_output.url",
            "http_output.mtls"
        ]
    );
    match falco_outputs::Outputs::new(&config) {
        Err(OutputsError::Config(errors)) => assert_eq!(errors.len(), 5),
        Err(e) => panic!("unexpected {e}"),
        Ok(_) => panic!("an invalid configuration must not start"),
    }
}

#[test]
fn quoted_urls_are_unquoted_as_falco_does() {
    let config: OutputsConfig =
        serde_yaml::from_str("http_output: {enabled: true, url: \"'http://127.0.0.1:1/'\"}")
            .expect("deserialise");
    assert_eq!(config.validate(), Ok(()));
}

#[test]
fn priorities_read_as_falco_names_them() {
    for (text, priority) in [
        ("emergency", Priority::Emergency),
        ("critical", Priority::Critical),
        ("warning", Priority::Warning),
        ("informational", Priority::Informational),
        ("info", Priority::Informational),
        ("debug", Priority::Debug),
    ] {
        assert_eq!(
            serde_yaml::from_str::<Priority>(text).expect("priority"),
            priority
        );
    }
    let levels: Vec<_> = Priority::ALL.iter().map(|p| p.syslog_level()).collect();
    assert_eq!(levels, [0, 1, 2, 3, 4, 5, 6, 7]);
}
