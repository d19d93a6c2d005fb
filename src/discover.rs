//! Zero-config discovery against a live server: three bounded requests, then the pure
//! decisions of [`crate::domain::discover`].
//!
//! 1. `/api/v1/label/__name__/values` over the last 10 minutes (an index lookup, cheap even on
//!    a big Prometheus; at most [`MAX_NAMES`] names);
//! 2. one instant `group by (__name__, service, job)` over the conventional names found (at
//!    most [`MAX_CANDIDATES`](crate::domain::discover::MAX_CANDIDATES) of them), which says
//!    which service has which metric;
//! 3. one instant `group by (__name__, <status labels>)` over the request counters, which says
//!    how their failures are labelled.
//!
//! Each request has the source's timeout and the client's caps on body size and series count.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::{self, Config, SourceConfig};
use crate::domain::discover::{self as pure, Discovery, Observed, StatusSeen, STATUS_LABELS};
use crate::prom::{PromClient, QueryData};

/// At most this many metric names are read from the server.
pub const MAX_NAMES: usize = 200_000;
/// Metric names are those seen in this window before now.
pub const NAMES_WINDOW: chrono::Duration = chrono::Duration::minutes(10);
/// At most this many values of one status label are kept per metric.
const MAX_STATUS_VALUES: usize = 64;

/// Runs discovery against `client`. `forced_label` is `--service-label`.
pub async fn discover(
    client: &PromClient,
    forced_label: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Discovery, String> {
    let source = client.name();
    let names = client
        .label_values("__name__", now - NAMES_WINDOW, now, MAX_NAMES)
        .await
        .map_err(|e| format!("cannot list the metric names of source {source:?}: {e}"))?;
    let candidates = pure::candidate_names(&names);
    if candidates.is_empty() {
        // The pure part words the "nothing found" message.
        return pure::discover(&[], &StatusSeen::new(), forced_label);
    }
    let mut by: Vec<&str> = vec!["__name__"];
    by.extend(pure::GROUP_LABELS);
    if let Some(label) = forced_label.filter(|l| !by.contains(l)) {
        by.push(label);
    }
    let promql = format!(
        "group by ({}) ({{__name__=~\"{}\"}})",
        by.join(", "),
        candidates.join("|")
    );
    let series: Vec<Observed> = vector(client, &promql, now)
        .await
        .map_err(|e| {
            format!("cannot read which services have which metrics from source {source:?}: {e}")
        })?
        .into_iter()
        .filter_map(|mut labels| {
            let name = labels.remove("__name__")?;
            Some(Observed { name, labels })
        })
        .collect();
    let traffic = pure::traffic_names(&candidates);
    let mut status = StatusSeen::new();
    if !traffic.is_empty() {
        let promql = format!(
            "group by (__name__, {}) ({{__name__=~\"{}\"}})",
            STATUS_LABELS.join(", "),
            traffic.join("|")
        );
        let rows = vector(client, &promql, now).await.map_err(|e| {
            format!(
                "cannot read the status labels of the request metrics from source {source:?}: {e}"
            )
        })?;
        for mut labels in rows {
            let Some(name) = labels.remove("__name__") else {
                continue;
            };
            let entry = status.entry(name).or_default();
            for (label, value) in labels {
                let values = entry.entry(label).or_default();
                if values.len() < MAX_STATUS_VALUES {
                    values.insert(value);
                }
            }
        }
    }
    pure::discover(&series, &status, forced_label)
}

/// The label sets of an instant vector query.
async fn vector(
    client: &PromClient,
    promql: &str,
    now: DateTime<Utc>,
) -> Result<Vec<std::collections::BTreeMap<String, String>>, crate::prom::PromError> {
    let resp = client.query(promql, now).await?;
    Ok(match resp.data {
        QueryData::Vector(samples) => samples.into_iter().map(|s| s.metric).collect(),
        _ => Vec::new(),
    })
}

/// The config of a discovery, through the normal loader (so it is exactly what
/// `sretop config init` writes and what a user loading that file gets).
pub fn to_config(discovery: &Discovery, url: &str) -> Result<Config, String> {
    let yaml = discovery.to_yaml(url, "", "");
    config::parse(&yaml, Path::new("(discovered)"))
        .map_err(|e| format!("the discovered configuration does not load (a bug): {e}"))
}

/// A client for `source`, for discovery.
pub fn client_for(source: &SourceConfig) -> Result<PromClient, String> {
    let options = source.client_options().map_err(|e| e.to_string())?;
    PromClient::new(options).map_err(|e| format!("source {:?}: {e}", source.name))
}

/// Writes `contents` to `path` atomically (a temp file in the same directory, synced, then
/// moved into place). Without `force`, an existing file is never replaced, not even by a
/// race: the temp file is hard-linked to the target, which fails if it exists.
pub fn write_new_file(path: &Path, contents: &str, force: bool) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    if !force && path.exists() {
        return Err(format!(
            "{} exists; pass --force to replace it",
            path.display()
        ));
    }
    let tmp = dir.join(format!(
        ".{}.sretop-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {}: {e}", tmp.display()));
    }
    let placed = if force {
        std::fs::rename(&tmp, path)
    } else {
        std::fs::hard_link(&tmp, path).and_then(|()| std::fs::remove_file(&tmp))
    };
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} exists; pass --force to replace it", path.display())
        } else {
            format!("cannot write {}: {e}", path.display())
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_file_refuses_to_overwrite_without_force() {
        let dir = std::env::temp_dir().join(format!("sretop-discover-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("config.yaml");
        let _ = std::fs::remove_file(&path);
        write_new_file(&path, "one\n", false).expect("new file");
        let err = write_new_file(&path, "two\n", false).expect_err("exists");
        assert!(err.contains("--force"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "one\n");
        write_new_file(&path, "three\n", true).expect("forced");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "three\n");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
