//! The web UI's store: the most recent alerts, at most `webserver.ui.max_alerts`, each as the
//! JSON object the UI shows, numbered in arrival order. Fed by one thread from an
//! [`Outputs::subscribe`](falco_outputs::Outputs::subscribe) queue (a full queue sheds, so
//! the store never holds back detection), optionally filled at start from the JSON alerts
//! file; live alerts also go to a broadcast channel the UI's event streams follow.

use falco_outputs::{Alert, Subscription};
use serde_json::{Map, Value as Json};
use std::collections::VecDeque;
use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Alerts queued between the outputs and the store's thread.
pub const FEED_CAPACITY: usize = 8192;
/// Alerts a lagging event stream may fall behind before it catches up from the store.
const LIVE_CAPACITY: usize = 1024;
/// Lines longer than this in the alerts file are skipped at load (no alert is that long).
const MAX_LINE: usize = 1 << 20;
/// At most this much of the end of the alerts file is read at load.
const MAX_LOAD_BYTES: u64 = 256 << 20;

/// One stored alert.
#[derive(Debug)]
pub struct StoredAlert {
    /// Its number, 1 for the first alert since start, consecutive.
    pub id: u64,
    /// The JSON object the UI receives: Falco's alert object (`output`, `priority`, `rule`,
    /// `source`, `tags`, `time`, `hostname`, `output_fields`) plus `id`.
    pub json: String,
}

/// The bounded store of recent alerts.
pub struct AlertStore {
    cap: usize,
    inner: Mutex<VecDeque<Arc<StoredAlert>>>,
    next_id: Mutex<u64>,
    live: tokio::sync::broadcast::Sender<Arc<StoredAlert>>,
    /// Alerts the outputs could not queue for the store (it fell behind a flood).
    shed: AtomicU64,
}

impl AlertStore {
    /// An empty store keeping the last `cap` alerts.
    pub fn new(cap: usize) -> Arc<AlertStore> {
        let (live, _) = tokio::sync::broadcast::channel(LIVE_CAPACITY);
        Arc::new(AlertStore {
            cap: cap.max(1),
            inner: Mutex::new(VecDeque::with_capacity(cap.clamp(1, 65_536))),
            next_id: Mutex::new(1),
            live,
            shed: AtomicU64::new(0),
        })
    }

    /// The most alerts kept.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Stores one alert object (dropping the oldest past the cap) and announces it.
    pub fn push(&self, mut object: Map<String, Json>) {
        let Ok(mut next) = self.next_id.lock() else {
            return;
        };
        let id = *next;
        *next += 1;
        object.insert("id".into(), Json::from(id));
        if let Some(Json::Object(fields)) = object.get_mut("output_fields") {
            exact_in_javascript(fields);
        }
        let json = Json::Object(object).to_string();
        let stored = Arc::new(StoredAlert { id, json });
        if let Ok(mut alerts) = self.inner.lock() {
            while alerts.len() >= self.cap {
                alerts.pop_front();
            }
            alerts.push_back(stored.clone());
        }
        // No stream listening is fine.
        let _ = self.live.send(stored);
    }

    /// The stored alerts with an id above `after`, oldest first.
    pub fn since(&self, after: u64) -> Vec<Arc<StoredAlert>> {
        let Ok(alerts) = self.inner.lock() else {
            return Vec::new();
        };
        let Some(first) = alerts.front().map(|a| a.id) else {
            return Vec::new();
        };
        let skip = after
            .saturating_sub(first)
            .saturating_add(u64::from(after >= first));
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        alerts.iter().skip(skip).cloned().collect()
    }

    /// Alerts that never reached the store because its queue was full.
    pub fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }

    /// How many alerts are stored.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |a| a.len())
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A receiver of the alerts stored from now on.
    pub fn follow(&self) -> tokio::sync::broadcast::Receiver<Arc<StoredAlert>> {
        self.live.subscribe()
    }

    /// Fills the store from a file of JSON alert lines (a `file_output` with `json_output`),
    /// reading at most its last [`MAX_LOAD_BYTES`]; lines that are not alert objects (text
    /// alerts, a torn last line) are skipped. Returns how many were loaded.
    ///
    /// # Errors
    /// The file cannot be opened or read.
    pub fn load_file(&self, path: &Path) -> std::io::Result<usize> {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let start = size.saturating_sub(MAX_LOAD_BYTES);
        file.seek(SeekFrom::Start(start))?;
        let mut reader = std::io::BufReader::new(file);
        let mut line = Vec::new();
        if start > 0 {
            // Starting mid-file: the first line is partial.
            reader.read_until(b'\n', &mut line)?;
        }
        let mut loaded = 0;
        loop {
            line.clear();
            let n = (&mut reader)
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if line.last() != Some(&b'\n') && n == MAX_LINE {
                // Too long: skip the rest of it.
                let mut rest = Vec::new();
                reader.read_until(b'\n', &mut rest)?;
                continue;
            }
            if let Ok(Json::Object(o)) = serde_json::from_slice::<Json>(&line) {
                if o.get("rule").is_some_and(Json::is_string)
                    && o.get("priority").is_some_and(Json::is_string)
                {
                    self.push(o);
                    loaded += 1;
                }
            }
        }
        Ok(loaded)
    }
}

/// Integers JavaScript's numbers cannot hold exactly (nanosecond times, 64-bit ids) become
/// strings, so the page shows the value the rule printed.
fn exact_in_javascript(fields: &mut Map<String, Json>) {
    const SAFE: u64 = (1 << 53) - 1;
    for v in fields.values_mut() {
        let unsafe_int = match v {
            Json::Number(n) => n.as_u64().map_or_else(
                || n.as_i64().is_some_and(|i| i.unsigned_abs() > SAFE),
                |u| u > SAFE,
            ),
            _ => false,
        };
        if unsafe_int {
            *v = Json::String(v.to_string());
        }
    }
}

/// The UI's object for `alert`: its JSON object when `line` is one, completed from the
/// alert's metadata where the configuration left keys out (a text alert is all metadata: its
/// line as `output`, its output fields as text).
pub fn alert_object(alert: &Alert) -> Map<String, Json> {
    let mut o = match alert
        .json
        .then(|| serde_json::from_str::<Json>(&alert.line))
    {
        Some(Ok(Json::Object(o))) => o,
        _ => Map::new(),
    };
    let mut put = |key: &str, value: Json| {
        o.entry(key.to_string()).or_insert(value);
    };
    put("priority", Json::from(alert.priority.name()));
    put("rule", Json::from(alert.rule.as_str()));
    put("source", Json::from(alert.source.as_str()));
    put("hostname", Json::from(alert.hostname.as_str()));
    put(
        "tags",
        Json::Array(alert.tags.iter().map(|t| Json::from(t.as_str())).collect()),
    );
    put(
        "output",
        Json::from(if alert.json {
            alert.message.as_str()
        } else {
            alert.line.as_str()
        }),
    );
    put(
        "output_fields",
        Json::Object(
            alert
                .output_fields
                .iter()
                .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                .collect(),
        ),
    );
    put(
        "time",
        Json::from(super::super::alert::time_json(alert.time_ns)),
    );
    o
}

/// Starts the thread moving alerts from `subscription` into `store`; it ends when the outputs
/// are dropped.
///
/// # Errors
/// The thread cannot be started.
pub fn start_feed(store: Arc<AlertStore>, subscription: Subscription) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ui-store".into())
        .spawn(move || {
            for alert in subscription.alerts.iter() {
                store.push(alert_object(&alert));
                store.shed.store(subscription.shed(), Ordering::Relaxed);
            }
        })
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(rule: &str) -> Map<String, Json> {
        let Json::Object(o) = serde_json::json!({"rule": rule, "priority": "Notice"}) else {
            unreachable!()
        };
        o
    }

    #[test]
    fn keeps_the_last_cap_alerts_and_answers_since() {
        let store = AlertStore::new(3);
        for i in 0..5 {
            store.push(obj(&format!("r{i}")));
        }
        assert_eq!(store.len(), 3);
        let ids: Vec<u64> = store.since(0).iter().map(|a| a.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        let ids: Vec<u64> = store.since(3).iter().map(|a| a.id).collect();
        assert_eq!(ids, [4, 5]);
        assert!(store.since(5).is_empty());
        assert!(store.since(99).is_empty());
        assert!(store.since(0)[0].json.contains("\"r2\""));
    }

    #[test]
    fn integers_javascript_would_round_become_strings() {
        let store = AlertStore::new(3);
        let Json::Object(o) = serde_json::json!({"rule": "r", "priority": "Notice",
            "output_fields": {"evt.time": 1795468419771709090u64, "proc.pid": 42, "neg": -9007199254740993i64}})
        else {
            unreachable!()
        };
        store.push(o);
        let json = &store.since(0)[0].json;
        assert!(
            json.contains("\"evt.time\":\"1795468419771709090\""),
            "{json}"
        );
        assert!(json.contains("\"proc.pid\":42"), "{json}");
        assert!(json.contains("\"neg\":\"-9007199254740993\""), "{json}");
    }

    #[test]
    fn loads_json_lines_and_skips_the_rest() {
        let dir = std::env::temp_dir().join(format!("ui-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.json");
        std::fs::write(
            &path,
            "{\"rule\":\"a\",\"priority\":\"Error\",\"output\":\"x\"}\nnot json\n00:00:00: Notice text\n{\"rule\":\"b\",\"priority\":\"Notice\"}\n{\"rule\":",
        )
        .unwrap();
        let store = AlertStore::new(10);
        assert_eq!(store.load_file(&path).unwrap(), 2);
        assert_eq!(store.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
