//! The `oncall:` section: a rotation of people through shifts that hand off at a local
//! wall-clock time, overrides (swaps) for given times, and the escalation policy.
//!
//! ```yaml
//! oncall:
//!   time_zone: Europe/Berlin
//!   rotation:
//!     start: 2026-01-05
//!     length: 1w
//!     handoff_time: "09:00"
//!     primary: [alice, bob, carol]
//!     secondary: [dave, erin]
//!   overrides:
//!     - {role: primary, who: frank, from: "2026-03-28 09:00", to: "2026-03-30 09:00", reason: "swap with bob"}
//!   escalation:
//!     - {after: 0m, notify: [primary]}
//!     - {after: 15m, notify: [secondary]}
//! ```
//!
//! Times that a person writes (`handoff_time`, override `from`/`to`) are local wall-clock
//! times in `time_zone`; they stay strings here and are checked by [`validate_oncall`], so a
//! mistake is reported with its field path. The rotation math is in
//! [`domain::oncall`](crate::domain::oncall).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

use super::duration::Duration;
use super::error::did_you_mean;

const DAY_SECS: u64 = 86_400;

/// The on-call rotation, its overrides and the escalation policy.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct OnCallConfig {
    /// IANA time zone name, e.g. `Europe/Berlin`; handoffs happen at local wall-clock time.
    pub time_zone: String,
    /// Who is on call when, before overrides.
    pub rotation: RotationConfig,
    /// Whole or partial shifts taken by someone else. A later override wins where two overlap.
    #[serde(default)]
    pub overrides: Vec<OverrideConfig>,
    /// Who is notified when, in order of `after`.
    #[serde(default)]
    pub escalation: Vec<EscalationLevel>,
}

/// A rotation: shift `k` starts on `start + k × length` at `handoff_time` (local).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct RotationConfig {
    /// The day the first shift starts (at `handoff_time`), e.g. `2026-01-05`.
    #[serde(deserialize_with = "date")]
    pub start: NaiveDate,
    /// Shift length in whole days (default `1w`).
    #[serde(default = "default_length")]
    pub length: Duration,
    /// Local handoff time as `HH:MM` (default `09:00`).
    #[serde(default = "default_handoff_time")]
    pub handoff_time: String,
    /// For weekly rotations: the weekday of the handoff, which must be `start`'s weekday.
    #[serde(default)]
    pub handoff_day: Option<HandoffDay>,
    /// People taking the primary shifts in turn.
    pub primary: Vec<String>,
    /// People taking the secondary shifts in turn. Default: the primary list rotated by one
    /// (the next primary is the secondary), or nobody when the primary list has one person.
    #[serde(default)]
    pub secondary: Option<Vec<String>>,
}

/// A `YYYY-MM-DD` date, with a message that says so (chrono's own is "input contains invalid
/// characters").
fn date<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(deserializer)?;
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid date `{text}`: {e} (write YYYY-MM-DD, e.g. 2026-01-05)"
        ))
    })
}

fn default_length() -> Duration {
    Duration::from_secs(7 * DAY_SECS)
}

fn default_handoff_time() -> String {
    "09:00".to_owned()
}

/// A weekday, written in full (`monday`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HandoffDay {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl HandoffDay {
    /// The same day as a [`chrono::Weekday`].
    pub fn weekday(self) -> chrono::Weekday {
        match self {
            HandoffDay::Monday => chrono::Weekday::Mon,
            HandoffDay::Tuesday => chrono::Weekday::Tue,
            HandoffDay::Wednesday => chrono::Weekday::Wed,
            HandoffDay::Thursday => chrono::Weekday::Thu,
            HandoffDay::Friday => chrono::Weekday::Fri,
            HandoffDay::Saturday => chrono::Weekday::Sat,
            HandoffDay::Sunday => chrono::Weekday::Sun,
        }
    }
}

/// Someone else takes a role from `from` to `to` (local times `YYYY-MM-DD HH:MM`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct OverrideConfig {
    /// `primary` or `secondary`.
    pub role: String,
    /// Who is on call instead.
    pub who: String,
    /// Local start, inclusive.
    pub from: String,
    /// Local end, exclusive.
    pub to: String,
    /// Shown next to the shift, e.g. `swap with bob`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One escalation step: `after` the page, notify these (`primary` and `secondary` stand for
/// whoever is on call; other names are shown as written).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct EscalationLevel {
    /// Delay since the page.
    pub after: Duration,
    /// People, roles or channels to notify.
    pub notify: Vec<String>,
}

/// The role names an override or escalation level may use.
pub const ROLE_NAMES: [&str; 2] = ["primary", "secondary"];

/// Parses a local time written `HH:MM` (24-hour, two digits each).
pub fn parse_handoff_time(text: &str) -> Option<NaiveTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let two = |at: usize| -> Option<u32> {
        let (a, b) = (bytes[at], bytes[at + 1]);
        (a.is_ascii_digit() && b.is_ascii_digit())
            .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    };
    NaiveTime::from_hms_opt(two(0)?, two(3)?, 0)
}

/// Parses a local date and time written `YYYY-MM-DD HH:MM` (or with `T` between them).
pub fn parse_local_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T'])?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(date.and_time(parse_handoff_time(time.trim())?))
}

/// The instant a local wall-clock time names in `tz`. A time that does not exist (skipped
/// when clocks go forward) becomes the first valid instant after it, i.e. the moment the
/// clocks jump; a time that happens twice (clocks go back) is the earlier one.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<chrono::DateTime<chrono::Utc>> {
    // Clocks never jump by more than a day; one minute is the finest step zones use today.
    (0..=24 * 60).find_map(|minute| {
        let candidate = local.checked_add_signed(chrono::TimeDelta::minutes(minute))?;
        tz.from_local_datetime(&candidate)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    })
}

/// The shift length in whole days, if it is a positive whole number of days.
pub fn length_days(length: Duration) -> Option<u64> {
    let ms = length.std().as_millis();
    let day_ms = u128::from(DAY_SECS) * 1000;
    if ms == 0 || !ms.is_multiple_of(day_ms) {
        return None;
    }
    u64::try_from(ms / day_ms).ok()
}

impl OnCallConfig {
    /// The time zone, if `time_zone` names one.
    pub fn tz(&self) -> Option<Tz> {
        self.time_zone.parse().ok()
    }

    /// The secondary list in effect: as written, or the primary list rotated by one.
    pub fn secondary_list(&self) -> Vec<String> {
        let rotation = &self.rotation;
        match &rotation.secondary {
            Some(list) => list.clone(),
            None if rotation.primary.len() < 2 => Vec::new(),
            None => {
                let mut list = rotation.primary.clone();
                list.rotate_left(1);
                list
            }
        }
    }
}

/// Checks what the types cannot: the time zone, the rotation, the overrides and the
/// escalation order. An error is `(field path, message)`, e.g.
/// `("oncall.rotation.primary", "must list at least one person")`.
pub fn validate_oncall(cfg: &OnCallConfig) -> Result<(), (String, String)> {
    let fail = |path: String, message: String| Err((path, message));
    let Some(tz) = cfg.tz() else {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        let hint = match did_you_mean(&cfg.time_zone, names) {
            Some(best) => format!(", did you mean `{best}`?"),
            None => " (write an IANA name, e.g. Europe/Berlin, America/New_York or UTC)".into(),
        };
        return fail(
            "oncall.time_zone".into(),
            format!("unknown time zone `{}`{hint}", cfg.time_zone),
        );
    };

    let rotation = &cfg.rotation;
    let at = "oncall.rotation";
    let Some(days) = length_days(rotation.length) else {
        let message = if rotation.length == Duration::default() {
            "must be longer than 0s (e.g. 1w or 1d)".to_owned()
        } else {
            format!(
                "{} is not a whole number of days (shifts hand off at the same local time; write e.g. 1d, 1w or 2w)",
                rotation.length
            )
        };
        return fail(format!("{at}.length"), message);
    };
    if parse_handoff_time(&rotation.handoff_time).is_none() {
        return fail(
            format!("{at}.handoff_time"),
            format!(
                "`{}` is not a time of day as HH:MM (write e.g. \"09:00\" or \"17:30\")",
                rotation.handoff_time
            ),
        );
    }
    if let Some(day) = rotation.handoff_day {
        if !days.is_multiple_of(7) {
            return fail(
                format!("{at}.handoff_day"),
                format!(
                    "only meaningful for weekly rotations, but the length is {} (remove it, or make the length a whole number of weeks)",
                    rotation.length
                ),
            );
        }
        let start_day = chrono::Datelike::weekday(&rotation.start);
        if day.weekday() != start_day {
            return fail(
                format!("{at}.handoff_day"),
                format!(
                    "is {:?} but start {} is a {start_day:?} (make start a {:?})",
                    day.weekday(),
                    rotation.start,
                    day.weekday()
                ),
            );
        }
    }
    if rotation.primary.is_empty() {
        return fail(
            format!("{at}.primary"),
            "must list at least one person (e.g. [alice, bob])".into(),
        );
    }
    let people = rotation
        .primary
        .iter()
        .enumerate()
        .map(|(i, who)| (format!("{at}.primary[{i}]"), who));
    let secondary = rotation.secondary.iter().flatten().enumerate();
    for (path, who) in people.chain(secondary.map(|(i, who)| (format!("{at}.secondary[{i}]"), who)))
    {
        if who.trim().is_empty() {
            return fail(path, "must not be empty".into());
        }
    }

    for (i, o) in cfg.overrides.iter().enumerate() {
        let at = format!("oncall.overrides[{i}]");
        if !ROLE_NAMES.contains(&o.role.as_str()) {
            let hint = match did_you_mean(&o.role, ROLE_NAMES) {
                Some(best) => format!(", did you mean `{best}`?"),
                None => " (write primary or secondary)".into(),
            };
            return fail(
                format!("{at}.role"),
                format!("unknown role `{}`{hint}", o.role),
            );
        }
        if o.who.trim().is_empty() {
            return fail(format!("{at}.who"), "must not be empty".into());
        }
        let mut instants = Vec::with_capacity(2);
        for (key, text) in [("from", &o.from), ("to", &o.to)] {
            match parse_local_datetime(text).and_then(|local| resolve_local(tz, local)) {
                Some(instant) => instants.push(instant),
                None => {
                    return fail(
                        format!("{at}.{key}"),
                        format!(
                            "`{text}` is not a local date and time as YYYY-MM-DD HH:MM (write e.g. \"2026-03-28 09:00\")"
                        ),
                    )
                }
            }
        }
        if let [from, to] = instants[..] {
            if to <= from {
                return fail(
                    format!("{at}.to"),
                    format!("must be after from ({} is not after {})", o.to, o.from),
                );
            }
        }
    }

    let mut previous: Option<Duration> = None;
    for (i, level) in cfg.escalation.iter().enumerate() {
        let at = format!("oncall.escalation[{i}]");
        if let Some(previous) = previous.filter(|p| level.after <= *p) {
            return fail(
                format!("{at}.after"),
                format!(
                    "{} is not after the previous level's {previous} (levels are listed in order of increasing delay)",
                    level.after
                ),
            );
        }
        previous = Some(level.after);
        if level.notify.is_empty() {
            return fail(
                format!("{at}.notify"),
                "must name at least one person, role or channel".into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        oncall: OnCallConfig,
    }

    const EXAMPLE: &str = r##"
oncall:
  time_zone: Europe/Berlin
  rotation:
    start: 2026-01-05
    length: 1w
    handoff_time: "09:00"
    handoff_day: monday
    primary: [alice, bob, carol]
    secondary: [dave, erin]
  overrides:
    - {role: primary, who: frank, from: "2026-03-28 09:00", to: "2026-03-30 09:00", reason: "swap with bob"}
  escalation:
    - {after: 0m, notify: [primary]}
    - {after: 15m, notify: [secondary]}
    - {after: 30m, notify: [team-lead, "#incident"]}
"##;

    fn parse(text: &str) -> Result<OnCallConfig, String> {
        serde_yaml::from_str::<File>(text)
            .map(|f| f.oncall)
            .map_err(|e| e.to_string())
    }

    fn example() -> OnCallConfig {
        parse(EXAMPLE).expect("the example parses")
    }

    fn error_of(cfg: &OnCallConfig) -> (String, String) {
        validate_oncall(cfg).expect_err("must be rejected")
    }

    #[test]
    fn the_example_parses_and_is_valid() {
        let cfg = example();
        assert_eq!(cfg.tz(), Some(chrono_tz::Europe::Berlin));
        assert_eq!(
            cfg.rotation.start,
            NaiveDate::from_ymd_opt(2026, 1, 5).expect("date")
        );
        assert_eq!(cfg.rotation.length, Duration::from_secs(7 * DAY_SECS));
        assert_eq!(cfg.rotation.handoff_day, Some(HandoffDay::Monday));
        assert_eq!(cfg.overrides[0].reason.as_deref(), Some("swap with bob"));
        assert_eq!(cfg.escalation[2].notify, ["team-lead", "#incident"]);
        assert_eq!(validate_oncall(&cfg), Ok(()));
    }

    #[test]
    fn defaults_and_unquoted_handoff_time() {
        let cfg = parse(
            "oncall:\n  time_zone: UTC\n  rotation:\n    start: 2026-01-05\n    handoff_time: 17:30\n    primary: [a, b, c]\n",
        )
        .expect("parses");
        assert_eq!(cfg.rotation.length, Duration::from_secs(7 * DAY_SECS));
        assert_eq!(cfg.rotation.handoff_time, "17:30");
        assert_eq!(cfg.secondary_list(), ["b", "c", "a"]);
        assert!(cfg.overrides.is_empty() && cfg.escalation.is_empty());
        let cfg =
            parse("oncall:\n  time_zone: UTC\n  rotation: {start: 2026-01-05, primary: [a]}\n")
                .expect("parses");
        assert_eq!(cfg.rotation.handoff_time, "09:00");
        assert!(
            cfg.secondary_list().is_empty(),
            "nobody backs up a lone primary"
        );
    }

    #[test]
    fn unknown_keys_and_days_are_rejected_by_the_schema() {
        let typo = EXAMPLE.replace("handoff_time:", "handof_time:");
        assert!(parse(&typo).expect_err("typo").contains("handof_time"));
        let day = EXAMPLE.replace("handoff_day: monday", "handoff_day: mondy");
        assert!(parse(&day).expect_err("bad day").contains("mondy"));
    }

    #[test]
    fn unknown_time_zone_suggests_the_closest() {
        let mut cfg = example();
        cfg.time_zone = "Europe/Berln".into();
        let (path, message) = error_of(&cfg);
        assert_eq!(path, "oncall.time_zone");
        assert_eq!(
            message,
            "unknown time zone `Europe/Berln`, did you mean `Europe/Berlin`?"
        );
        cfg.time_zone = "Mars/Olympus".into();
        let (_, message) = error_of(&cfg);
        assert!(message.contains("write an IANA name"), "{message}");
    }

    #[test]
    fn rotation_errors_name_the_field() {
        let mut cfg = example();
        cfg.rotation.primary.clear();
        assert_eq!(error_of(&cfg).0, "oncall.rotation.primary");

        let mut cfg = example();
        cfg.rotation.secondary = Some(vec!["dave".into(), " ".into()]);
        assert_eq!(
            error_of(&cfg),
            (
                "oncall.rotation.secondary[1]".into(),
                "must not be empty".into()
            )
        );

        let mut cfg = example();
        cfg.rotation.length = Duration::from_secs(36 * 3600);
        let (path, message) = error_of(&cfg);
        assert_eq!(path, "oncall.rotation.length");
        assert!(
            message.starts_with("1d12h is not a whole number of days"),
            "{message}"
        );
        cfg.rotation.length = Duration::default();
        assert!(error_of(&cfg).1.starts_with("must be longer than 0s"));

        for bad in ["9:00", "24:00", "09:60", "0900", "09:00:00", "nine"] {
            let mut cfg = example();
            cfg.rotation.handoff_time = bad.into();
            assert_eq!(error_of(&cfg).0, "oncall.rotation.handoff_time", "{bad}");
        }

        let mut cfg = example();
        cfg.rotation.handoff_day = Some(HandoffDay::Tuesday);
        let (path, message) = error_of(&cfg);
        assert_eq!(path, "oncall.rotation.handoff_day");
        assert!(message.contains("start 2026-01-05 is a Mon"), "{message}");
        cfg.rotation.handoff_day = Some(HandoffDay::Monday);
        cfg.rotation.length = Duration::from_secs(DAY_SECS);
        assert!(error_of(&cfg).1.starts_with("only meaningful for weekly"));
        cfg.rotation.length = Duration::from_secs(14 * DAY_SECS);
        assert_eq!(validate_oncall(&cfg), Ok(()));
    }

    #[test]
    fn override_errors_name_the_field() {
        let mut cfg = example();
        cfg.overrides[0].role = "primry".into();
        assert_eq!(
            error_of(&cfg),
            (
                "oncall.overrides[0].role".into(),
                "unknown role `primry`, did you mean `primary`?".into()
            )
        );

        let mut cfg = example();
        cfg.overrides[0].to = "2026-03-28 09:00".into();
        let (path, message) = error_of(&cfg);
        assert_eq!(path, "oncall.overrides[0].to");
        assert!(message.starts_with("must be after from"), "{message}");

        let mut cfg = example();
        cfg.overrides[0].from = "28.03.2026 09:00".into();
        assert_eq!(error_of(&cfg).0, "oncall.overrides[0].from");

        let mut cfg = example();
        cfg.overrides[0].from = "2026-03-28T09:00".into();
        assert_eq!(
            validate_oncall(&cfg),
            Ok(()),
            "a T between date and time is accepted"
        );
    }

    #[test]
    fn override_order_is_checked_in_real_time_across_fall_back() {
        // 02:10 and 02:30 happen twice on 2026-10-25 in Berlin; both take the earlier (CEST)
        // instant, so to = 02:10 is before from = 02:30. 03:00 exists once (CET, 02:00 UTC).
        let mut cfg = example();
        cfg.overrides[0].from = "2026-10-25 02:30".into();
        cfg.overrides[0].to = "2026-10-25 02:10".into();
        assert_eq!(error_of(&cfg).0, "oncall.overrides[0].to");
        cfg.overrides[0].to = "2026-10-25 03:00".into();
        assert_eq!(validate_oncall(&cfg), Ok(()));
    }

    #[test]
    fn escalation_must_increase() {
        let mut cfg = example();
        cfg.escalation[2].after = Duration::from_secs(15 * 60);
        let (path, message) = error_of(&cfg);
        assert_eq!(path, "oncall.escalation[2].after");
        assert_eq!(
            message,
            "15m is not after the previous level's 15m (levels are listed in order of increasing delay)"
        );
        let mut cfg = example();
        cfg.escalation[1].notify.clear();
        assert_eq!(error_of(&cfg).0, "oncall.escalation[1].notify");
    }

    #[test]
    fn local_times_resolve_through_gaps_and_overlaps() {
        let berlin = chrono_tz::Europe::Berlin;
        let at = |text: &str| parse_local_datetime(text).and_then(|l| resolve_local(berlin, l));
        let utc = |text: &str| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
                .expect("utc")
                .and_utc()
        };
        // 02:30 does not exist on 2026-03-29: the clocks jump from 02:00 CET to 03:00 CEST.
        assert_eq!(at("2026-03-29 02:30"), Some(utc("2026-03-29 01:00")));
        // 02:30 happens twice on 2026-10-25: the earlier is still CEST (UTC+2).
        assert_eq!(at("2026-10-25 02:30"), Some(utc("2026-10-25 00:30")));
        assert_eq!(at("2026-01-05 09:00"), Some(utc("2026-01-05 08:00")));
        assert_eq!(parse_local_datetime("2026-02-30 09:00"), None);
    }
}
