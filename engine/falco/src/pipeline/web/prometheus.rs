//! `/metrics`: the [`MetricsHub`] in the Prometheus text format (0.0.4) through
//! prometheus-client's encoder, with Falco 0.44's metric names and labels
//! (`falcosecurity_falco_*`, `falcosecurity_scap_*`, `falcosecurity_evt_hostname_info`). The
//! `metrics.*_enabled` toggles select the categories as they do for the periodic snapshot.

use super::super::metrics::{sanitize, DropLabel, MetricsHub, Resources, DROP_LABELS};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::fmt::Error;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The `# HELP` text Falco gives every metric.
const HELP: &str = "https://falco.org/docs/metrics/";

/// `Content-Type` of the exposition.
pub use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

type Labels = Vec<(String, String)>;

/// The hub as a prometheus-client collector, read on each scrape.
#[derive(Debug)]
struct HubCollector(Arc<MetricsHub>);

/// A registry holding the hub's collector.
pub fn registry(hub: Arc<MetricsHub>) -> Registry {
    let mut r = Registry::default();
    r.register_collector(Box::new(HubCollector(hub)));
    r
}

/// The exposition text.
///
/// # Errors
/// Only if formatting into a `String` fails, which it does not.
pub fn encode(registry: &Registry) -> Result<String, Error> {
    let mut out = String::with_capacity(8192);
    prometheus_client::encoding::prometheus_text::encode(&mut out, registry)?;
    Ok(out)
}

fn gauge(e: &mut DescriptorEncoder, name: &str, v: impl EncodeGaugeValue) -> Result<(), Error> {
    e.encode_descriptor(name, HELP, None, MetricType::Gauge)?
        .encode_gauge(&v)
}

/// A counter; the encoder adds `_total` to `base`.
fn counter(e: &mut DescriptorEncoder, base: &str, v: u64) -> Result<(), Error> {
    e.encode_descriptor(base, HELP, None, MetricType::Counter)?
        .encode_counter::<NoLabelSet, _, u64>(&v, None)
}

/// An info metric (`<base>_info{labels} 1`).
fn info(e: &mut DescriptorEncoder, base: &str, labels: &[Labels]) -> Result<(), Error> {
    let mut m = e.encode_descriptor(base, HELP, None, MetricType::Info)?;
    for l in labels {
        m.encode_info(l)?;
    }
    Ok(())
}

/// A labelled counter family (`<base>_total{...}`).
fn counter_family(
    e: &mut DescriptorEncoder,
    base: &str,
    series: &[(Labels, u64)],
) -> Result<(), Error> {
    let mut m = e.encode_descriptor(base, HELP, None, MetricType::Counter)?;
    for (labels, v) in series {
        m.encode_family(labels)?
            .encode_counter::<NoLabelSet, _, u64>(v, None)?;
    }
    Ok(())
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Collector for HubCollector {
    fn encode(&self, mut e: DescriptorEncoder) -> Result<(), Error> {
        let hub = &self.0;
        let c = &hub.config();
        let i = &hub.info;
        let p = hub.published();
        info(
            &mut e,
            "falcosecurity_falco_version",
            &[labels(&[("version", &i.version)])],
        )?;
        let files = |v: &[(String, String)]| -> Vec<Labels> {
            v.iter()
                .map(|(n, s)| labels(&[("file_name", n), ("sha256", s)]))
                .collect()
        };
        if !i.rules_files.is_empty() {
            info(
                &mut e,
                "falcosecurity_falco_sha256_rules_files",
                &files(&i.rules_files),
            )?;
        }
        if !i.config_files.is_empty() {
            info(
                &mut e,
                "falcosecurity_falco_sha256_config_files",
                &files(&i.config_files),
            )?;
        }
        counter(
            &mut e,
            "falcosecurity_falco_outputs_queue_num_drops",
            p.outputs_shed,
        )?;
        gauge(
            &mut e,
            "falcosecurity_falco_reload_timestamp_nanoseconds",
            p.reload_ts,
        )?;
        if c.rules_counters {
            // Falco lists the rules that matched at least once, labelled by name, priority
            // number, source and one `tag_<tag>="true"` label per tag.
            let series: Vec<(Labels, u64)> = hub
                .rule_matches()
                .into_iter()
                .filter(|(_, _, n)| *n > 0)
                .map(|(name, meta, n)| {
                    let mut l = labels(&[
                        ("priority", &meta.priority.to_string()),
                        ("rule_name", &name),
                        ("source", &meta.source),
                    ]);
                    for t in &meta.tags {
                        l.push((format!("tag_{}", sanitize(t)), "true".into()));
                    }
                    (l, n)
                })
                .collect();
            if !series.is_empty() {
                counter_family(&mut e, "falcosecurity_falco_rules_matches", &series)?;
            }
        }
        let sources: Vec<Labels> = i
            .sources
            .iter()
            .map(|s| labels(&[("engine_name", &i.engine_name), ("evt_source", s)]))
            .collect();
        info(&mut e, "falcosecurity_scap_engine_name", &sources)?;
        if c.resource_utilization {
            let r = Resources::read(hub.started());
            gauge(
                &mut e,
                "falcosecurity_falco_cpu_usage_ratio",
                r.cpu_usage_perc / 100.0,
            )?;
            gauge(&mut e, "falcosecurity_falco_memory_rss_bytes", r.memory_rss)?;
            gauge(&mut e, "falcosecurity_falco_memory_vsz_bytes", r.memory_vsz)?;
            gauge(&mut e, "falcosecurity_falco_memory_pss_bytes", r.memory_pss)?;
            gauge(
                &mut e,
                "falcosecurity_falco_container_memory_used_bytes",
                r.container_memory_used,
            )?;
            gauge(
                &mut e,
                "falcosecurity_falco_host_cpu_usage_ratio",
                r.host_cpu_usage_perc / 100.0,
            )?;
            gauge(
                &mut e,
                "falcosecurity_falco_host_memory_used_bytes",
                r.host_memory_used,
            )?;
            gauge(
                &mut e,
                "falcosecurity_falco_host_procs_running_total",
                r.host_procs_running,
            )?;
            gauge(
                &mut e,
                "falcosecurity_falco_host_open_fds_total",
                r.host_open_fds,
            )?;
        }
        if c.state_counters {
            gauge(&mut e, "falcosecurity_scap_n_threads_total", p.n_threads)?;
            gauge(&mut e, "falcosecurity_scap_n_fds_total", p.n_fds)?;
        }
        if c.kernel_event_counters {
            // A replay has no driver: its events are the engine's, and nothing was dropped.
            let (evts, drops) = p
                .driver
                .unwrap_or((p.events, [0; ringbuf_abi::ring::DROP_CATEGORIES]));
            counter(&mut e, "falcosecurity_scap_n_evts", evts)?;
            counter(&mut e, "falcosecurity_scap_n_drops", drops.iter().sum())?;
            let mut buffer: Vec<(Labels, u64)> = Vec::new();
            for (label, n) in DROP_LABELS.iter().zip(drops) {
                match label {
                    DropLabel::Buffer(dir, drop) => {
                        buffer.push((labels(&[("dir", dir), ("drop", drop)]), n));
                    }
                    DropLabel::Own(name) => {
                        counter(&mut e, &format!("falcosecurity_scap_{name}"), n)?
                    }
                }
            }
            counter_family(&mut e, "falcosecurity_scap_n_drops_buffer", &buffer)?;
        }
        info(
            &mut e,
            "falcosecurity_falco_kernel_release",
            &[labels(&[("kernel_release", &i.kernel_release)])],
        )?;
        info(
            &mut e,
            "falcosecurity_evt_hostname",
            &[labels(&[("hostname", &i.hostname)])],
        )?;
        gauge(
            &mut e,
            "falcosecurity_falco_start_timestamp_nanoseconds",
            i.start_ts,
        )?;
        counter(
            &mut e,
            "falcosecurity_falco_duration_seconds",
            hub.duration_sec(),
        )?;
        gauge(
            &mut e,
            "falcosecurity_falco_host_boot_timestamp_nanoseconds",
            i.host_boot_ts,
        )?;
        gauge(
            &mut e,
            "falcosecurity_falco_host_num_cpus_total",
            i.host_num_cpus,
        )?;
        // Ours, beside Falco's: the engine's own event count and where events wait.
        counter(&mut e, "falcosecurity_falco_num_evts", p.events)?;
        gauge(
            &mut e,
            "falcosecurity_falco_source_queue_depth",
            p.source_queue,
        )?;
        gauge(
            &mut e,
            "falcosecurity_falco_evaluator_queue_depth",
            p.evaluator_queue,
        )?;
        gauge(
            &mut e,
            "falcosecurity_falco_reorder_queue_depth",
            p.reorder_queue,
        )?;
        counter(
            &mut e,
            "falcosecurity_falco_evaluator_stalls",
            hub.pipeline.evaluator_stalls.load(Ordering::Relaxed),
        )?;
        gauge(
            &mut e,
            "falcosecurity_falco_outputs_queued",
            p.outputs_queued,
        )?;
        counter(&mut e, "falcosecurity_falco_outputs_lost", p.outputs_lost)?;
        outputs(&mut e, &p.outputs)?;
        Ok(())
    }
}

/// The outputs that batch and retry, whose message counters are exported.
const CHAT_OUTPUTS: [&str; 4] = ["slack", "teams", "googlechat", "webhook"];

/// Per output, labelled `output="<name>"` (extensions; Falco exports the drops only):
/// alerts delivered, failed and shed, and for the chat outputs the messages sent, the retries,
/// the 429 answers and the alerts that went out summarised.
fn outputs(e: &mut DescriptorEncoder, stats: &[falco_outputs::OutputStats]) -> Result<(), Error> {
    if stats.is_empty() {
        return Ok(());
    }
    type Read = fn(&falco_outputs::OutputStats) -> u64;
    let every: [(&str, Read); 3] = [
        ("falcosecurity_falco_outputs_delivered", |o| o.delivered),
        ("falcosecurity_falco_outputs_failed", |o| o.failed),
        ("falcosecurity_falco_outputs_shed", |o| o.shed),
    ];
    let chat: [(&str, Read); 4] = [
        ("falcosecurity_falco_outputs_messages", |o| o.messages),
        ("falcosecurity_falco_outputs_retries", |o| o.retries),
        ("falcosecurity_falco_outputs_rate_limited", |o| {
            o.rate_limited
        }),
        ("falcosecurity_falco_outputs_batched", |o| o.batched),
    ];
    for (name, read) in every {
        let series: Vec<(Labels, u64)> = stats
            .iter()
            .map(|o| (labels(&[("output", o.name)]), read(o)))
            .collect();
        counter_family(e, name, &series)?;
    }
    let chats: Vec<&falco_outputs::OutputStats> = stats
        .iter()
        .filter(|o| CHAT_OUTPUTS.contains(&o.name))
        .collect();
    if chats.is_empty() {
        return Ok(());
    }
    for (name, read) in chat {
        let series: Vec<(Labels, u64)> = chats
            .iter()
            .map(|o| (labels(&[("output", o.name)]), read(o)))
            .collect();
        counter_family(e, name, &series)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::metrics::{EngineInfo, Published};
    use super::*;
    use crate::config::model::MetricsConfig;

    fn output(
        name: &'static str,
        delivered: u64,
        failed: u64,
        retries: u64,
    ) -> falco_outputs::OutputStats {
        falco_outputs::OutputStats {
            name,
            capacity: 10,
            queued: 0,
            enqueued: delivered + failed,
            shed: 0,
            delivered,
            failed,
            discarded: 0,
            timeouts: 0,
            reopens: 0,
            respawns: 0,
            resent: 0,
            lost_after_write: 0,
            messages: delivered / 2,
            retries,
            rate_limited: 1,
            batched: delivered,
            blocked: false,
        }
    }

    #[test]
    fn outputs_are_exported_per_output_with_the_chat_counters() {
        let hub = Arc::new(MetricsHub::new(
            EngineInfo::default(),
            MetricsConfig {
                enabled: true,
                interval_secs: 1,
                output_rule: false,
                output_file: None,
                rules_counters: false,
                resource_utilization: false,
                state_counters: false,
                kernel_event_counters: false,
                kernel_event_counters_per_cpu: false,
                convert_memory_to_mb: false,
                include_empty_values: false,
            },
        ));
        hub.publish(Published {
            outputs: vec![output("file", 7, 0, 0), output("slack", 4, 3, 5)],
            ..Published::default()
        });
        let text = encode(&registry(hub)).expect("encoded");
        for line in [
            "falcosecurity_falco_outputs_delivered_total{output=\"file\"} 7",
            "falcosecurity_falco_outputs_delivered_total{output=\"slack\"} 4",
            "falcosecurity_falco_outputs_failed_total{output=\"slack\"} 3",
            "falcosecurity_falco_outputs_retries_total{output=\"slack\"} 5",
            "falcosecurity_falco_outputs_rate_limited_total{output=\"slack\"} 1",
            "falcosecurity_falco_outputs_messages_total{output=\"slack\"} 2",
            "falcosecurity_falco_outputs_batched_total{output=\"slack\"} 4",
        ] {
            assert!(text.contains(line), "{line} missing in:\n{text}");
        }
        // Message counters are the chat outputs' only.
        assert!(!text.contains("falcosecurity_falco_outputs_retries_total{output=\"file\"}"));
    }
}
