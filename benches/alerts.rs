//! Cost of the alert list's pure logic on 10,000 alerts (a very bad day, or a big fleet).
//!
//! `cargo bench --bench alerts` prints criterion's figures for filtering, grouping, both,
//! and merging the same alerts as reported by one Prometheus and an HA pair of
//! Alertmanagers.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use sretop::domain::alerts::{
    firing_keys, group_alerts, group_matching, merge_alerts, new_firing, Alert, AlertState, Counts,
    Filter, SortBy,
};
use sretop::fixture;
use sretop::prom::alertmanager::{AmAlert, AmAlertState, AmAlertStatus};
use sretop::prom::alerts::{PromAlert, PromAlertState};

const FILTER: &str = "@firing severity=critical service=~\"check.*\"";

/// What Prometheus (`prometheus` external label) reports for the fixture alerts.
fn prom_alerts(alerts: &[Alert]) -> Vec<PromAlert> {
    alerts
        .iter()
        .map(|a| {
            let mut labels = a.labels.clone();
            labels.insert("prometheus".into(), "monitoring/k8s".into());
            PromAlert {
                labels,
                annotations: a.annotations.clone(),
                state: if a.state == AlertState::Pending {
                    PromAlertState::Pending
                } else {
                    PromAlertState::Firing
                },
                active_at: a.since,
                value: a.value,
            }
        })
        .collect()
}

/// What one Alertmanager reports for the fixture alerts that reached Alertmanager.
fn am_alerts(alerts: &[Alert]) -> Vec<AmAlert> {
    alerts
        .iter()
        .filter(|a| a.sources.len() > 1)
        .enumerate()
        .map(|(i, a)| AmAlert {
            labels: a.labels.clone(),
            annotations: a.annotations.clone(),
            generator_url: a.generator_url.clone(),
            fingerprint: format!("{i:016x}"),
            starts_at: a.since,
            updated_at: a.since,
            ends_at: None,
            receivers: a.receivers.clone(),
            status: AmAlertStatus {
                state: match a.state {
                    AlertState::Silenced | AlertState::Inhibited => AmAlertState::Suppressed,
                    _ => AmAlertState::Active,
                },
                silenced_by: a.silenced_by.clone(),
                inhibited_by: a.inhibited_by.clone(),
                muted_by: Vec::new(),
            },
        })
        .collect()
}

fn alerts(c: &mut Criterion) {
    let alerts = fixture::alerts(10_000, fixture::fixed_now());
    let filter = Filter::parse(FILTER).expect("filter parses");
    let hits = alerts.iter().filter(|a| filter.matches(a)).count();
    let groups = group_alerts(&alerts, &[], SortBy::Severity).len();
    println!("10k alerts: {hits} match {FILTER:?}; {groups} groups by alertname");

    c.bench_function("filter 10k", |b| {
        b.iter(|| {
            black_box(&alerts)
                .iter()
                .filter(|a| filter.matches(a))
                .count()
        })
    });
    c.bench_function("group 10k", |b| {
        b.iter(|| group_alerts(black_box(&alerts), &[], SortBy::Severity))
    });
    c.bench_function("filter+group 10k", |b| {
        b.iter(|| {
            group_matching(
                black_box(&alerts),
                |a| filter.matches(a),
                &[],
                SortBy::Severity,
            )
        })
    });

    let prom = prom_alerts(&alerts);
    let am = am_alerts(&alerts);
    let merged = merge_alerts(
        &[("prom", &prom)],
        &[("am1", &am), ("am2", &am)],
        &["prometheus"],
    );
    assert_eq!(
        merged.len(),
        alerts.len(),
        "merge keeps one alert per identity"
    );
    c.bench_function("merge 10k", |b| {
        b.iter(|| {
            merge_alerts(
                &[("prom", black_box(&prom))],
                &[("am1", black_box(&am)), ("am2", &am)],
                &["prometheus"],
            )
        })
    });
    // What the app does with each alert answer: merge, count, find the newly firing against
    // the previous poll's firing set, and keep the new set.
    let previous = firing_keys(&merged);
    c.bench_function(
        "remerge 10k (merge, counts, newly firing, firing set)",
        |b| {
            b.iter(|| {
                let merged = merge_alerts(
                    &[("prom", black_box(&prom))],
                    &[("am1", black_box(&am)), ("am2", &am)],
                    &["prometheus"],
                );
                let counts = Counts::of(&merged);
                let fresh = new_firing(Some(&previous), &merged).len();
                let next = firing_keys(&merged);
                (merged, counts, fresh, next)
            })
        },
    );
}

criterion_group!(benches, alerts);
criterion_main!(benches);
