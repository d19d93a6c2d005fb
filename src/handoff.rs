//! Composing a shift handoff note from live data, and editing it in the user's editor with a
//! draft that survives a dropped link: what `sretop handoff new` (and the TUI) run.
//!
//! The note is prefilled at the moment of writing:
//! - **Open incidents**: every alert firing now (pages first), then the previous note's
//!   incidents that were not resolved, marked as carried over;
//! - **Ongoing issues**: every SLO in yellow, red or exhausted with its remaining budget and
//!   burn rate, alerts pending now, then the previous note's unticked items;
//! - **Upcoming maintenance**: silences that end before the next shift does (their alerts
//!   come back), then the previous note's entries;
//! - **Tips**: the previous note's tips.
//!
//! When a source cannot be read, the section it would fill says so and why, so a note written
//! during an outage never looks like a quiet shift.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::app::alerts::AlertFeed;
use crate::app::App;
use crate::domain::alerts::{AlertState, Severity};
use crate::domain::format;
use crate::domain::handoff::{Incident, Item, Maintenance, Note};
use crate::domain::silence::format_matcher;
use crate::domain::slo::Band;
use crate::store::handoff::{HandoffStore, StoreError};

/// Statuses of a carried-over incident that mean it is over.
const CLOSED: [&str; 5] = ["resolved", "closed", "done", "mitigated", "fixed"];

/// Why live data is missing, per part (alerts, SLOs, silences): `None` when it was read.
fn unavailable(app: &App) -> (Option<String>, Option<String>, Option<String>) {
    let prom_down = app.sources.iter().find_map(|(name, s)| {
        s.down_since
            .map(|_| format!("{name}: {}", s.last_error.as_deref().unwrap_or("down")))
    });
    let failing = |silences: bool| -> Option<String> {
        let errors: Vec<String> = app
            .alerts
            .polls
            .iter()
            .filter(|p| (p.feed == AlertFeed::AmSilences) == silences && p.last_ok.is_none())
            .filter_map(|p| {
                p.last_error
                    .as_ref()
                    .map(|(_, e)| format!("{} {}: {e}", p.source, p.feed.label()))
            })
            .collect();
        (!errors.is_empty()).then(|| errors.join("; "))
    };
    let slo_failed = app
        .slos
        .iter()
        .flat_map(|s| s.feeds.iter())
        .filter_map(|q| app.queries.get(*q))
        .find_map(|q| match (&q.last_ok, &q.last_error) {
            (None, Some((_, e))) => Some(format!("{}: {e}", q.plan.source())),
            _ => None,
        });
    (failing(false), slo_failed.or(prom_down), failing(true))
}

/// A new note for `author`, prefilled from what `app` holds now (poll it first) and from the
/// previous note; `shift` is the shift being handed off and `next_shift_end` the end of the
/// next one (for silences that end during it).
pub fn compose(
    app: &App,
    previous: Option<&Note>,
    author: &str,
    now: DateTime<Utc>,
    shift: Option<(DateTime<Utc>, DateTime<Utc>)>,
    next_shift_end: Option<DateTime<Utc>>,
    fired: &[Labels],
) -> Note {
    // Whole seconds: the file is read and edited by people.
    let now = chrono::SubsecRound::trunc_subsecs(now, 0);
    let mut note = Note::new(author, now);
    note.shift_start = shift.map(|s| s.0).or(previous.map(|p| p.created));
    note.shift_end = Some(shift.map_or(now, |s| s.1));
    let (alerts_missing, slos_missing, silences_missing) = unavailable(app);

    // Open incidents: what fires now, pages first.
    if let Some(why) = &alerts_missing {
        note.incidents.push(Incident {
            summary: format!("live alert data unavailable when this was written: {why}"),
            ..Incident::default()
        });
    }
    let mut firing: Vec<_> = app
        .alerts
        .merged
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    firing.sort_by_key(|a| (a.severity, a.since));
    for a in &firing {
        let service = ["service", "job", "instance"]
            .iter()
            .map(|l| a.label(l))
            .find(|v| !v.is_empty())
            .unwrap_or("");
        let since = a
            .since
            .map(|t| format!("firing for {}", format::age((now - t).num_seconds().max(0))))
            .unwrap_or_else(|| "firing".into());
        let summary = a.summary().unwrap_or("");
        note.incidents.push(Incident {
            id: a.name().to_string(),
            severity: match a.severity {
                Severity::Critical => "page".into(),
                _ => a.label("severity").to_string(),
            },
            status: since,
            summary: [service, summary]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(": "),
        });
    }
    // Alerts that fired during the shift but are quiet now (from `ALERTS`, see
    // [`fired_during`]).
    let mut seen = std::collections::BTreeSet::new();
    for labels in fired {
        let name = labels.get("alertname").map_or("", String::as_str);
        let service = ["service", "job", "instance"]
            .iter()
            .find_map(|l| labels.get(*l))
            .map_or("", String::as_str);
        let now_firing = firing.iter().any(|a| {
            a.name() == name
                && a.label("service") == labels.get("service").map_or("", String::as_str)
        });
        if name.is_empty() || now_firing || !seen.insert((name, service)) {
            continue;
        }
        note.incidents.push(Incident {
            id: name.to_string(),
            severity: labels.get("severity").cloned().unwrap_or_default(),
            status: "fired during the shift, quiet now".into(),
            summary: service.to_string(),
        });
    }
    if let Some(prev) = previous {
        for i in &prev.incidents {
            let closed = CLOSED
                .iter()
                .any(|c| i.status.to_ascii_lowercase().contains(c));
            let live = firing.iter().any(|a| a.name() == i.id && !i.id.is_empty());
            if !closed && !live && !i.summary.starts_with("live alert data unavailable") {
                let mut carried = i.clone();
                if !carried.summary.ends_with("(carried over)") {
                    carried.summary = format!("{} (carried over)", carried.summary)
                        .trim()
                        .to_string();
                }
                note.incidents.push(carried);
            }
        }
    }

    // Ongoing issues: budgets that are not green, pending alerts, open items carried over.
    if let Some(why) = &slos_missing {
        note.ongoing.push(Item {
            text: format!("SLO data unavailable when this was written: {why}"),
            done: false,
        });
    }
    for slo in &app.slos {
        let status = slo.status(&app.config.policy, now);
        if matches!(status.band, Band::Yellow | Band::Red | Band::Exhausted) {
            let left = status
                .budget
                .remaining
                .map(|r| format!("{:.1}% of the error budget left", r * 100.0))
                .unwrap_or_else(|| "error budget unknown".into());
            let burn = status
                .burn_1h
                .map(|b| format!(", burning {b:.1}x over the last hour"))
                .unwrap_or_default();
            note.ongoing.push(Item {
                text: format!(
                    "SLO {} is {}: {left}{burn}",
                    crate::ui::slos::slo_name(app, slo),
                    status.band.label().to_uppercase()
                ),
                done: false,
            });
        }
    }
    for a in app
        .alerts
        .merged
        .iter()
        .filter(|a| a.state == AlertState::Pending)
    {
        note.ongoing.push(Item {
            text: format!(
                "pending alert {} {}",
                a.name(),
                a.summary().map(|s| format!("({s})")).unwrap_or_default()
            )
            .trim()
            .to_string(),
            done: false,
        });
    }
    if let Some(prev) = previous {
        note.ongoing.extend(
            prev.ongoing
                .iter()
                .filter(|i| !i.done && !i.text.contains("unavailable when this was written"))
                .filter(|i| !i.text.starts_with("SLO ") && !i.text.starts_with("pending alert "))
                .cloned(),
        );
    }

    // Upcoming maintenance: silences that end before the next shift does.
    if let Some(why) = &silences_missing {
        note.maintenance.push(Maintenance {
            when: "unknown".into(),
            what: format!("silences unavailable when this was written: {why}"),
        });
    }
    let horizon = next_shift_end.unwrap_or(now + chrono::Duration::hours(24));
    for row in &app.alerts.silences {
        let s = &row.silence;
        let Some(ends) = s.ends_at.filter(|t| *t <= horizon) else {
            continue;
        };
        let matchers: Vec<String> = s.matchers.iter().map(format_matcher).collect();
        note.maintenance.push(Maintenance {
            when: ends.format("%Y-%m-%d %H:%M UTC").to_string(),
            what: format!(
                "silence {{{}}} by {} ends, its alerts notify again ({})",
                matchers.join(", "),
                s.created_by,
                s.comment
            ),
        });
    }
    if let Some(prev) = previous {
        note.maintenance.extend(
            prev.maintenance
                .iter()
                .filter(|m| {
                    !m.what.starts_with("silence {") && !m.what.starts_with("silences unavailable")
                })
                .cloned(),
        );
        note.tips = prev.tips.clone();
    }
    note
}

/// An alert's label set.
pub type Labels = std::collections::BTreeMap<String, String>;

/// The label sets of the alerts that fired at some point between `since` and `now`, from
/// Prometheus' own `ALERTS` series (`alertstate` and `__name__` dropped).
pub async fn fired_during(
    client: &crate::prom::PromClient,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Labels>, crate::prom::PromError> {
    let secs = (now - since).num_seconds().clamp(60, 31 * 86_400);
    let promql = format!("max_over_time(ALERTS{{alertstate=\"firing\"}}[{secs}s])");
    let resp = client.query(&promql, now).await?;
    let series = match resp.data {
        crate::prom::QueryData::Vector(v) => v.into_iter().map(|s| s.metric).collect(),
        _ => Vec::new(),
    };
    Ok(series
        .into_iter()
        .map(|mut l: Labels| {
            l.remove("__name__");
            l.remove("alertstate");
            l
        })
        .collect())
}

/// The start of the shift being handed off: the rotation's, else the previous note's time,
/// else 12 hours ago.
pub fn shift_start(
    config: &crate::config::Config,
    previous: Option<&Note>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    shifts(config, now)
        .0
        .map(|s| s.0)
        .or(previous.map(|p| p.created))
        .unwrap_or(now - chrono::Duration::hours(12))
}

/// The editor to run: `$VISUAL`, else `$EDITOR`, else `vi`.
pub fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".into())
}

/// What came of an editing session.
#[derive(Debug)]
pub enum Edited {
    /// Saved to the store under this path.
    Saved(Box<Note>, PathBuf),
    /// The editor failed or the file does not parse: the draft is kept at this path.
    Kept { draft: PathBuf, reason: String },
}

/// Writes `note` as the user's draft, opens it in `editor` (run through `sh -c`, so
/// `EDITOR="code --wait"` works), then reads it back and saves it to the store. The draft
/// lives in the store's `drafts/` directory the whole time, so a dropped SSH link or a crash
/// loses at most what the editor had not written yet; [`HandoffStore::load_draft`] offers it
/// back next time. The draft is removed only once the note is saved.
pub fn edit_and_save(
    store: &HandoffStore,
    user: &str,
    note: &Note,
    editor: &str,
) -> Result<Edited, StoreError> {
    store.save_draft(note)?;
    let draft = store.draft_path(user)?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&draft)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            return Ok(Edited::Kept {
                draft,
                reason: format!("the editor ({editor}) exited with {s}"),
            })
        }
        Err(e) => {
            return Ok(Edited::Kept {
                draft,
                reason: format!("cannot run the editor ({editor}): {e}"),
            })
        }
    }
    save_draft_file(store, user, &draft)
}

/// Parses the user's draft file and saves it as a note; on a parse error the draft stays.
pub fn save_draft_file(
    store: &HandoffStore,
    user: &str,
    draft: &Path,
) -> Result<Edited, StoreError> {
    let mut note = match store.load_draft(user) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return Ok(Edited::Kept {
                draft: draft.to_path_buf(),
                reason: "the draft is gone (deleted in the editor?); nothing was saved".into(),
            })
        }
        Err(e) => {
            return Ok(Edited::Kept {
                draft: draft.to_path_buf(),
                reason: e.to_string(),
            })
        }
    };
    store.save(&mut note, None)?;
    let path = store.note_path(&note.id)?;
    store.discard_draft(user)?;
    Ok(Edited::Saved(Box::new(note), path))
}

/// `(start, end)` of the shift being handed off, and the end of the next shift.
pub type Shifts = (
    Option<(DateTime<Utc>, DateTime<Utc>)>,
    Option<DateTime<Utc>>,
);

/// The shift being handed off and the end of the next one, from the `oncall:` rotation
/// (the current primary's shift, up to `now`).
pub fn shifts(config: &crate::config::Config, now: DateTime<Utc>) -> Shifts {
    use crate::domain::oncall::{who_is_on_call, Role};
    let now = chrono::SubsecRound::trunc_subsecs(now, 0);
    let Some(oc) = &config.oncall else {
        return (None, None);
    };
    let current = who_is_on_call(oc, Role::Primary, now);
    let next = current
        .as_ref()
        .and_then(|s| who_is_on_call(oc, Role::Primary, s.end));
    (
        current.map(|s| (s.start, s.end.min(now))),
        next.map(|s| s.end),
    )
}

/// Composes a note from what `app` shows now (its live data, the latest note in `store`),
/// or continues `user`'s unsaved draft, and runs the editor on it: what the TUI's "new
/// handoff" key does, with the terminal handed to the editor meanwhile.
pub fn compose_from_app(
    app: &App,
    store: &HandoffStore,
    user: &str,
    now: DateTime<Utc>,
    fired: &[Labels],
) -> Result<Edited, StoreError> {
    let note = match store.load_draft(user)? {
        Some(draft) => draft,
        None => {
            let previous = store.latest().ok().flatten();
            let (shift, next_end) = shifts(&app.config, now);
            compose(app, previous.as_ref(), user, now, shift, next_end, fired)
        }
    };
    edit_and_save(store, user, &note, &editor_command())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn compose_lists_what_fires_what_burns_what_ends_and_what_was_left_open() {
        let mut app = fixture::app(&fixture::demo_names());
        let now = app.now;
        app.alerts.load_merged(fixture::alerts(8, now), &[]);
        app.alerts
            .am_silences
            .insert("am".into(), fixture::silences(now));
        app.alerts.rebuild_silences();
        let mut previous = Note::new("bob", now - chrono::Duration::hours(12));
        previous.incidents = vec![
            Incident {
                id: "INC-1".into(),
                severity: "SEV2".into(),
                status: "investigating".into(),
                summary: "payments latency".into(),
            },
            Incident {
                id: "INC-0".into(),
                severity: "SEV3".into(),
                status: "Resolved".into(),
                summary: "old".into(),
            },
        ];
        previous.ongoing = vec![
            Item {
                text: "rotate the TLS cert".into(),
                done: false,
            },
            Item {
                text: "done already".into(),
                done: true,
            },
        ];
        previous.tips = vec![Item {
            text: "restart search with care".into(),
            done: false,
        }];
        let fired: Vec<Labels> = vec![[
            ("alertname", "DiskFull"),
            ("service", "db"),
            ("severity", "warning"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()];
        let note = compose(&app, Some(&previous), "alice", now, None, None, &fired);
        assert!(note.incidents.iter().any(|i| i.id == "DiskFull"
            && i.status == "fired during the shift, quiet now"
            && i.summary == "db"));

        let firing = app
            .alerts
            .merged
            .iter()
            .filter(|a| a.state == AlertState::Firing)
            .count();
        let live: Vec<_> = note
            .incidents
            .iter()
            .filter(|i| !i.id.starts_with("INC") && i.id != "DiskFull")
            .collect();
        assert_eq!(live.len(), firing, "{:#?}", note.incidents);
        assert_eq!(live[0].severity, "page", "pages first: {live:#?}");
        assert!(note
            .incidents
            .iter()
            .any(|i| i.id == "INC-1" && i.summary == "payments latency (carried over)"));
        assert!(
            !note.incidents.iter().any(|i| i.id == "INC-0"),
            "resolved ones stay behind"
        );

        // The fixture's SLOs: green, exhausted, yellow, red, no data.
        let slos: Vec<&str> = note
            .ongoing
            .iter()
            .map(|i| i.text.as_str())
            .filter(|t| t.starts_with("SLO "))
            .collect();
        assert_eq!(slos.len(), 3, "{slos:#?}");
        assert!(
            slos.iter().any(|t| t.starts_with(
                "SLO checkout/availability is EXHAUSTED: -20.0% of the error budget left"
            )),
            "{slos:#?}"
        );
        assert!(slos.iter().any(|t| t.contains(" is RED: ")), "{slos:#?}");
        assert!(note.ongoing.iter().any(|i| i.text == "rotate the TLS cert"));
        assert!(!note.ongoing.iter().any(|i| i.text == "done already"));

        // Silences ending within the next day: the 2h one, not the 3-day one, not the pending
        // one that starts later and ends in 3h... which does end within the day.
        let ends: Vec<&str> = note.maintenance.iter().map(|m| m.when.as_str()).collect();
        assert_eq!(
            ends,
            ["2026-11-22 05:00 UTC", "2026-11-22 06:00 UTC"],
            "{:#?}",
            note.maintenance
        );
        assert_eq!(note.tips, previous.tips);
        assert_eq!(note.author, "alice");
        assert_eq!(note.shift_start, Some(previous.created));
    }

    #[test]
    fn compose_says_why_live_data_is_missing() {
        let mut app = fixture::app(&fixture::demo_names());
        let now = app.now + chrono::Duration::seconds(20);
        let cmds = app.update(crate::app::Msg::Tick, now);
        let err = crate::prom::PromError::Connect {
            reason: "connection refused".into(),
        };
        // Everything fails from now on, and nothing was ever read for the alerts.
        app.alerts.polls.iter_mut().for_each(|p| p.last_ok = None);
        fixture::answer(&mut app, cmds, now, Some(&err));
        let note = compose(&app, None, "carol", now, None, None, &[]);
        assert!(
            note.incidents[0]
                .summary
                .starts_with("live alert data unavailable when this was written: demo alerts: connection refused"),
            "{:#?}",
            note.incidents
        );
    }
}
