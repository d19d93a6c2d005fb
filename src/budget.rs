//! `sretop budget`: the error-budget report as text, JSON or Markdown, and the deploy gate's
//! exit code (0 deploys allowed, 1 not allowed, 2 cannot tell).

use serde_json::json;

use crate::app::slo::SloStatus;
use crate::app::App;
use crate::domain::slo::{Band, Exhaustion};
use crate::domain::slo_plan::promql_duration;
use crate::ui::slos::{burn, exhaustion, trim_float};

/// One SLO in the report.
#[derive(Debug, Clone)]
pub struct Entry {
    pub service: String,
    pub slo: String,
    pub status: SloStatus,
    /// Why the numbers cannot be trusted (query errors), if any.
    pub error: Option<String>,
    pub objective: f64,
    pub window: String,
}

/// The report and its verdict.
#[derive(Debug, Clone)]
pub struct Report {
    pub entries: Vec<Entry>,
    /// Problems that make the verdict unknown (no SLO matched, source down).
    pub problems: Vec<String>,
}

/// What the gate says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Allowed => 0,
            Verdict::Denied => 1,
            Verdict::Unknown => 2,
        }
    }
}

impl Report {
    /// Builds the report from a polled app, for the SLOs matching the filters.
    pub fn new(app: &App, service: Option<&str>, slo: Option<&str>) -> Report {
        let mut problems = Vec::new();
        let entries: Vec<Entry> = app
            .slos
            .iter()
            .filter(|s| {
                let svc = app.services.get(s.spec.service).map(|x| x.name.as_str());
                service.is_none_or(|want| svc == Some(want))
                    && slo.is_none_or(|want| s.spec.name == want)
            })
            .map(|s| {
                let error = s
                    .feeds
                    .iter()
                    .filter_map(|i| app.queries.get(*i))
                    .find_map(|q| {
                        q.last_error
                            .as_ref()
                            .map(|(_, e)| format!("{}: {e}", q.plan.label()))
                    });
                Entry {
                    service: app
                        .services
                        .get(s.spec.service)
                        .map_or_else(String::new, |x| x.name.clone()),
                    slo: s.spec.name.clone(),
                    status: s.status(&app.config.policy, app.now),
                    error,
                    objective: s.spec.objective,
                    window: match s.spec.window {
                        crate::domain::slo_plan::WindowSpec::Rolling(w) => {
                            format!("rolling {}", promql_duration(w))
                        }
                        crate::domain::slo_plan::WindowSpec::Calendar(p) => {
                            format!("calendar {p:?}").to_lowercase()
                        }
                    },
                }
            })
            .collect();
        if entries.is_empty() {
            problems.push(match (service, slo) {
                (None, None) => "no SLOs configured".to_string(),
                _ => format!(
                    "no SLO matches{}{}",
                    service
                        .map(|s| format!(" --service {s}"))
                        .unwrap_or_default(),
                    slo.map(|s| format!(" --slo {s}")).unwrap_or_default()
                ),
            });
        }
        for (name, src) in &app.sources {
            if let (Some(_), Some(err)) = (src.down_since, &src.last_error) {
                problems.push(format!("source {name} unreachable: {err}"));
            }
        }
        Report { entries, problems }
    }

    /// Denied when any SLO is red or exhausted; unknown when anything cannot be judged.
    pub fn verdict(&self) -> Verdict {
        if !self.problems.is_empty()
            || self
                .entries
                .iter()
                .any(|e| e.error.is_some() || e.status.band == Band::NoData)
        {
            return Verdict::Unknown;
        }
        if self
            .entries
            .iter()
            .any(|e| e.status.band.deploy_allowed() == Some(false))
        {
            Verdict::Denied
        } else {
            Verdict::Allowed
        }
    }

    pub fn to_text(&self, actions: &crate::config::PolicyActions) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let s = &e.status;
            out.push_str(&format!(
                "{}/{}: {} — {}% over {}\n",
                e.service,
                e.slo,
                s.band.label().to_uppercase(),
                trim_float(e.objective),
                e.window
            ));
            out.push_str(&format!(
                "  SLI {}  consumed {}  remaining {}  exhausts {}\n",
                pct(s.budget.sli),
                pct(s.budget.consumed),
                pct(s.budget.remaining),
                tte(&s.exhaustion)
            ));
            let burns: Vec<String> = s
                .burn
                .pairs
                .iter()
                .map(|p| {
                    format!(
                        "{} {}/{} {}{}",
                        p.pair.severity.label(),
                        p.pair.long,
                        p.pair.short,
                        burn(p.long),
                        if p.holds { " FIRING" } else { "" }
                    )
                })
                .collect();
            out.push_str(&format!("  burn: {}\n", burns.join(", ")));
            out.push_str(&format!(
                "  deploys: {} — {}\n",
                allowed(s.band),
                s.band.actions(actions)
            ));
            if let Some(err) = &e.error {
                out.push_str(&format!("  error: {err}\n"));
            }
        }
        for p in &self.problems {
            out.push_str(&format!("error: {p}\n"));
        }
        out.push_str(&format!("verdict: {}\n", verdict_word(self.verdict())));
        out
    }

    pub fn to_markdown(&self, actions: &crate::config::PolicyActions) -> String {
        let mut out = String::from(
            "| SLO | objective | SLI | remaining | band | deploys | burn (long windows) | action |\n|---|---|---|---|---|---|---|---|\n",
        );
        for e in &self.entries {
            let s = &e.status;
            let burns: Vec<String> = s
                .burn
                .pairs
                .iter()
                .map(|p| {
                    format!(
                        "{} {}{}",
                        p.pair.long,
                        burn(p.long),
                        if p.holds { " 🔥" } else { "" }
                    )
                })
                .collect();
            out.push_str(&format!(
                "| {}/{} | {}% ({}) | {} | {} | {} | {} | {} | {} |\n",
                e.service,
                e.slo,
                trim_float(e.objective),
                e.window,
                pct(s.budget.sli),
                pct(s.budget.remaining),
                s.band.label(),
                allowed(s.band),
                burns.join(", "),
                s.band.actions(actions)
            ));
        }
        for p in &self.problems {
            out.push_str(&format!("\n**error:** {p}\n"));
        }
        out.push_str(&format!(
            "\n**Verdict:** {}\n",
            verdict_word(self.verdict())
        ));
        out
    }

    pub fn to_json(&self, actions: &crate::config::PolicyActions) -> String {
        let slos: Vec<serde_json::Value> = self
            .entries
            .iter()
            .map(|e| {
                let s = &e.status;
                json!({
                    "service": e.service,
                    "slo": e.slo,
                    "objective_percent": e.objective,
                    "window": e.window,
                    "sli": s.budget.sli,
                    "error_ratio": s.budget.error_ratio,
                    "bad_events": s.budget.events.bad,
                    "total_events": s.budget.events.total,
                    "consumed": s.budget.consumed,
                    "remaining": s.budget.remaining,
                    "band": s.band.label(),
                    "deploy_allowed": s.band.deploy_allowed(),
                    "action": s.band.actions(actions),
                    "burn_rate_1h": s.burn_1h,
                    "exhaustion_seconds": match s.exhaustion {
                        Exhaustion::In(d) => Some(d.as_secs()),
                        Exhaustion::Exhausted => Some(0),
                        _ => None,
                    },
                    "page_firing": s.burn.page_firing,
                    "ticket_firing": s.burn.ticket_firing,
                    "conditions": s.burn.pairs.iter().map(|p| json!({
                        "severity": p.pair.severity.label(),
                        "long": p.pair.long.to_string(),
                        "short": p.pair.short.to_string(),
                        "factor": p.factor,
                        "threshold": p.threshold,
                        "long_burn": p.long,
                        "short_burn": p.short,
                        "holds": p.holds,
                        "can_fire": p.can_fire,
                    })).collect::<Vec<_>>(),
                    "error": e.error,
                })
            })
            .collect();
        let doc = json!({
            "verdict": verdict_word(self.verdict()),
            "deploy_allowed": match self.verdict() {
                Verdict::Allowed => Some(true),
                Verdict::Denied => Some(false),
                Verdict::Unknown => None,
            },
            "problems": self.problems,
            "slos": slos,
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        text
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{:.3}%", v * 100.0))
}

fn tte(e: &Exhaustion) -> String {
    match e {
        Exhaustion::In(_) => format!("in ~{} (estimate)", exhaustion(e)),
        other => exhaustion(other),
    }
}

fn allowed(band: Band) -> &'static str {
    match band.deploy_allowed() {
        Some(true) => "allowed",
        Some(false) => "NOT ALLOWED",
        None => "unknown",
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Allowed => "deploys allowed",
        Verdict::Denied => "deploys NOT allowed",
        Verdict::Unknown => "unknown (cannot judge the budget)",
    }
}
