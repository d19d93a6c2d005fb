//! Who is on call: the rotation's shifts, overrides applied, gaps, the next handoff and the
//! escalation order, from the `oncall:` config section.
//!
//! Pure logic: no I/O and no clock; the current instant is always passed in.
//!
//! Shift `k` starts on the local date `rotation.start + k × length` at `handoff_time`, in the
//! configured zone, so a weekly handoff stays at 09:00 local across DST changes (that shift
//! lasts 167 or 169 hours). A local time the clocks skip becomes the moment they jump; a local
//! time that happens twice is the earlier one (see
//! [`resolve_local`]).
//!
//! An override replaces whoever is on call in its role from `from` to `to`, splitting the
//! shift it falls in (a later override wins where two overlap). An override also covers a time
//! nobody would be on call otherwise. Every function returns nothing useful for a config that
//! [`validate_oncall`](crate::config::oncall::validate_oncall) rejects (unknown zone, bad
//! handoff time or length): it shows as a gap rather than as wrong names.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::config::oncall::{
    length_days, parse_handoff_time, parse_local_datetime, resolve_local, OnCallConfig,
    OverrideConfig,
};
use crate::config::Duration;

/// How far ahead [`now`] looks for gaps.
pub const GAP_HORIZON_DAYS: i64 = 14;

/// The most shifts one call computes, so a huge range cannot stall the UI.
const MAX_SHIFTS: usize = 10_000;

/// The two on-call roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Paged first.
    Primary,
    /// The backup.
    Secondary,
}

impl Role {
    /// The name used in the config: `primary`, `secondary`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Secondary => "secondary",
        }
    }

    /// The role a config name stands for.
    pub fn from_name(name: &str) -> Option<Role> {
        match name {
            "primary" => Some(Role::Primary),
            "secondary" => Some(Role::Secondary),
            _ => None,
        }
    }
}

/// One person holding one role from `start` (inclusive) to `end` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// The role held.
    pub role: Role,
    /// Who holds it.
    pub who: String,
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends.
    pub end: DateTime<Utc>,
    /// `Some(reason)` when an override put this person here (empty when it gives no reason).
    pub overridden: Option<String>,
}

/// What the header of every view shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallNow {
    /// The primary now; `None` in a gap.
    pub primary: Option<Shift>,
    /// The secondary now; `None` in a gap.
    pub secondary: Option<Shift>,
    /// The primary shift after the current one (or the first one after a gap).
    pub next_primary: Option<Shift>,
    /// When the primary next changes hands: the end of the current primary shift, or the
    /// start of the next one during a gap.
    pub next_handoff: Option<DateTime<Utc>>,
    /// Times in the next [`GAP_HORIZON_DAYS`] days with no primary, clipped to that window.
    pub gaps: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Times in the next [`GAP_HORIZON_DAYS`] days with no secondary, clipped to that window.
    pub secondary_gaps: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The config resolved into what the math needs.
struct Rotation<'a> {
    tz: Tz,
    start: NaiveDate,
    days: u64,
    handoff: NaiveTime,
    primary: &'a [String],
    secondary: Vec<String>,
    overrides: &'a [OverrideConfig],
}

impl<'a> Rotation<'a> {
    fn new(cfg: &'a OnCallConfig) -> Option<Self> {
        Some(Rotation {
            tz: cfg.tz()?,
            start: cfg.rotation.start,
            days: length_days(cfg.rotation.length)?,
            handoff: parse_handoff_time(&cfg.rotation.handoff_time)?,
            primary: &cfg.rotation.primary,
            secondary: cfg.secondary_list(),
            overrides: &cfg.overrides,
        })
    }

    /// The start of shift `k`.
    fn boundary(&self, k: u64) -> Option<DateTime<Utc>> {
        let date = self
            .start
            .checked_add_days(Days::new(k.checked_mul(self.days)?))?;
        resolve_local(self.tz, date.and_time(self.handoff))
    }

    /// The shift that `at` falls in; `None` before the rotation starts.
    fn index(&self, at: DateTime<Utc>) -> Option<u64> {
        let first = self.boundary(0)?;
        if at < first {
            return None;
        }
        // Elapsed real time over the nominal length is off by at most one shift: DST moves a
        // handoff by hours, and shifts last whole days.
        let elapsed = u64::try_from((at - first).num_seconds()).ok()?;
        let mut k = elapsed / (self.days * 86_400);
        while k > 0 && self.boundary(k).is_none_or(|b| b > at) {
            k -= 1;
        }
        while self.boundary(k + 1).is_some_and(|b| b <= at) {
            k += 1;
        }
        Some(k)
    }

    fn list(&self, role: Role) -> &[String] {
        match role {
            Role::Primary => self.primary,
            Role::Secondary => &self.secondary,
        }
    }

    /// The rotation's own shifts for `role` that overlap `[from, until)`, whole.
    fn base_shifts(&self, role: Role, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Shift> {
        let list = self.list(role);
        let mut shifts = Vec::new();
        if list.is_empty() {
            return shifts;
        }
        let people = list.len() as u64;
        let mut k = self.index(from).unwrap_or(0);
        while shifts.len() < MAX_SHIFTS {
            let (Some(start), Some(end)) = (self.boundary(k), self.boundary(k + 1)) else {
                break;
            };
            if start >= until {
                break;
            }
            let who = usize::try_from(k % people).ok().and_then(|i| list.get(i));
            if let Some(who) = who {
                shifts.push(Shift {
                    role,
                    who: who.clone(),
                    start,
                    end,
                    overridden: None,
                });
            }
            k += 1;
        }
        shifts
    }

    /// The valid overrides for `role`, in config order, as instants.
    fn overrides(&self, role: Role) -> impl Iterator<Item = Shift> + '_ {
        self.overrides.iter().filter_map(move |o| {
            if Role::from_name(&o.role)? != role {
                return None;
            }
            let start = resolve_local(self.tz, parse_local_datetime(&o.from)?)?;
            let end = resolve_local(self.tz, parse_local_datetime(&o.to)?)?;
            (start < end).then(|| Shift {
                role,
                who: o.who.clone(),
                start,
                end,
                overridden: Some(o.reason.clone().unwrap_or_default()),
            })
        })
    }

    /// Who holds `role` during `[from, until)`: the pieces that overlap it, whole (a piece
    /// may start before `from` or end after `until`), in time order, overrides applied.
    fn segments(&self, role: Role, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Shift> {
        if from >= until {
            return Vec::new();
        }
        let mut shifts = self.base_shifts(role, from, until);
        for over in self.overrides(role) {
            let mut painted = Vec::with_capacity(shifts.len() + 2);
            for shift in shifts {
                if shift.end <= over.start || shift.start >= over.end {
                    painted.push(shift);
                    continue;
                }
                if shift.start < over.start {
                    painted.push(Shift {
                        end: over.start,
                        ..shift.clone()
                    });
                }
                if shift.end > over.end {
                    painted.push(Shift {
                        start: over.end,
                        ..shift
                    });
                }
            }
            painted.push(over);
            painted.sort_by_key(|shift| shift.start);
            shifts = painted;
        }
        shifts.retain(|shift| shift.end > from && shift.start < until);
        shifts
    }

    /// The piece of `role` that holds at `at`.
    fn at(&self, role: Role, at: DateTime<Utc>) -> Option<Shift> {
        let until = at.checked_add_signed(TimeDelta::nanoseconds(1))?;
        self.segments(role, at, until)
            .into_iter()
            .find(|shift| shift.start <= at && at < shift.end)
    }

    /// The first piece of `role` that starts at or after `from`.
    fn next(&self, role: Role, from: DateTime<Utc>) -> Option<Shift> {
        // Something starts at `from` itself (the rotation resuming after an override), at the
        // next handoff or at an override's start: the first of these with somebody on call.
        let handoff = if self.list(role).is_empty() {
            None
        } else {
            match self.index(from) {
                None => self.boundary(0),
                Some(k) if self.boundary(k) == Some(from) => Some(from),
                Some(k) => self.boundary(k + 1),
            }
        };
        let mut candidates: Vec<DateTime<Utc>> = self
            .overrides(role)
            .map(|over| over.start)
            .filter(|start| *start >= from)
            .chain(handoff)
            .chain([from])
            .collect();
        candidates.sort();
        candidates
            .into_iter()
            .find_map(|start| self.at(role, start).filter(|shift| shift.start >= from))
    }
}

/// The first `count` handoff instants at or after `from` (the rotation's start if `from` is
/// before it). Each is the local handoff time in the configured zone, as UTC.
pub fn shift_boundaries(
    cfg: &OnCallConfig,
    from: DateTime<Utc>,
    count: usize,
) -> Vec<DateTime<Utc>> {
    let Some(rotation) = Rotation::new(cfg) else {
        return Vec::new();
    };
    let first = match rotation.index(from) {
        None => 0,
        Some(k) if rotation.boundary(k) == Some(from) => k,
        Some(k) => k + 1,
    };
    (first..)
        .take(count.min(MAX_SHIFTS))
        .map_while(|k| rotation.boundary(k))
        .collect()
}

/// Who holds `role` at `at`, overrides applied: a shift an override splits is returned as
/// the piece `at` falls in. `None` is a gap: before the rotation starts, or an empty list.
pub fn who_is_on_call(cfg: &OnCallConfig, role: Role, at: DateTime<Utc>) -> Option<Shift> {
    Rotation::new(cfg)?.at(role, at)
}

/// Every shift of both roles that overlaps `[from, until)`, overrides applied, ordered by
/// start (primary first on a tie). Shifts are whole: the first may start before `from`.
pub fn schedule(cfg: &OnCallConfig, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Shift> {
    let Some(rotation) = Rotation::new(cfg) else {
        return Vec::new();
    };
    let mut shifts = rotation.segments(Role::Primary, from, until);
    shifts.extend(rotation.segments(Role::Secondary, from, until));
    shifts.sort_by_key(|shift| (shift.start, shift.role));
    shifts
}

/// The uncovered stretches of `[from, until)` between `shifts` (in time order).
fn gaps(
    shifts: &[Shift],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut gaps = Vec::new();
    let mut covered_to = from;
    for shift in shifts {
        if shift.start > covered_to {
            gaps.push((covered_to, shift.start.min(until)));
        }
        covered_to = covered_to.max(shift.end);
    }
    if covered_to < until {
        gaps.push((covered_to, until));
    }
    gaps
}

/// Who is on call at `at`, who is next and when, and the gaps in the next
/// [`GAP_HORIZON_DAYS`] days.
pub fn now(cfg: &OnCallConfig, at: DateTime<Utc>) -> OnCallNow {
    let Some(rotation) = Rotation::new(cfg) else {
        let horizon = at
            .checked_add_signed(TimeDelta::days(GAP_HORIZON_DAYS))
            .unwrap_or(at);
        return OnCallNow {
            primary: None,
            secondary: None,
            next_primary: None,
            next_handoff: None,
            gaps: vec![(at, horizon)],
            secondary_gaps: vec![(at, horizon)],
        };
    };
    let primary = rotation.at(Role::Primary, at);
    let secondary = rotation.at(Role::Secondary, at);
    let next_primary = rotation.next(Role::Primary, primary.as_ref().map_or(at, |s| s.end));
    let next_handoff = primary
        .as_ref()
        .map(|s| s.end)
        .or(next_primary.as_ref().map(|s| s.start));
    let horizon = at
        .checked_add_signed(TimeDelta::days(GAP_HORIZON_DAYS))
        .unwrap_or(at);
    let gaps_of = |role| gaps(&rotation.segments(role, at, horizon), at, horizon);
    OnCallNow {
        gaps: gaps_of(Role::Primary),
        secondary_gaps: gaps_of(Role::Secondary),
        primary,
        secondary,
        next_primary,
        next_handoff,
    }
}

/// The escalation levels in order, with `primary` and `secondary` replaced by whoever holds
/// them at `at` (dropped when nobody does, so a level may be empty) and other names passed
/// through. A name listed twice in a level appears once.
pub fn escalation(cfg: &OnCallConfig, at: DateTime<Utc>) -> Vec<(Duration, Vec<String>)> {
    let on_call = |role| who_is_on_call(cfg, role, at).map(|shift| shift.who);
    let primary = on_call(Role::Primary);
    let secondary = on_call(Role::Secondary);
    cfg.escalation
        .iter()
        .map(|level| {
            let mut names: Vec<String> = Vec::new();
            for name in &level.notify {
                let resolved = match Role::from_name(name) {
                    Some(Role::Primary) => primary.clone(),
                    Some(Role::Secondary) => secondary.clone(),
                    None => Some(name.clone()),
                };
                if let Some(resolved) = resolved.filter(|r| !names.contains(r)) {
                    names.push(resolved);
                }
            }
            (level.after, names)
        })
        .collect()
}

/// The time from `from` to `to`, short: `2d 3h`, `3h 05m`, `12m`, `<1m` (`0m` when `to` is
/// not after `from`). Rounded down.
pub fn countdown(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let left = to - from;
    if left <= TimeDelta::zero() {
        return "0m".into();
    }
    let minutes = left.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        "<1m".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, Timelike};

    fn utc(text: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
            .expect("a UTC time")
            .and_utc()
    }

    fn config(yaml: &str) -> OnCallConfig {
        let cfg: OnCallConfig = serde_yaml::from_str(yaml).expect("valid YAML");
        assert_eq!(crate::config::oncall::validate_oncall(&cfg), Ok(()));
        cfg
    }

    /// Weekly, Mondays 09:00 Berlin, from 2026-01-05.
    fn berlin() -> OnCallConfig {
        config(
            "time_zone: Europe/Berlin\n\
             rotation: {start: 2026-01-05, primary: [alice, bob, carol], secondary: [dave, erin]}\n\
             escalation:\n\
             - {after: 0m, notify: [primary]}\n\
             - {after: 15m, notify: [secondary, primary]}\n\
             - {after: 30m, notify: [team-lead, '#incident', team-lead]}\n",
        )
    }

    fn with_overrides(mut cfg: OnCallConfig, overrides: &str) -> OnCallConfig {
        cfg.overrides = serde_yaml::from_str(overrides).expect("overrides");
        assert_eq!(crate::config::oncall::validate_oncall(&cfg), Ok(()));
        cfg
    }

    fn who(cfg: &OnCallConfig, role: Role, at: &str) -> Option<String> {
        who_is_on_call(cfg, role, utc(at)).map(|shift| shift.who)
    }

    #[test]
    fn weekly_handoff_stays_at_nine_local_across_spring_forward() {
        let cfg = berlin();
        // 2026-03-23 is 11 weeks after the start: carol (11 mod 3 = 2). Clocks go forward on
        // Sunday 2026-03-29, so the shift runs from 08:00 UTC (CET) to 07:00 UTC (CEST).
        let shift = who_is_on_call(&cfg, Role::Primary, utc("2026-03-29 12:00")).expect("on call");
        assert_eq!(shift.who, "carol");
        assert_eq!(shift.start, utc("2026-03-23 08:00"));
        assert_eq!(shift.end, utc("2026-03-30 07:00"));
        assert_eq!((shift.end - shift.start).num_hours(), 167);
        let berlin = chrono_tz::Europe::Berlin;
        for instant in [shift.start, shift.end] {
            assert_eq!(instant.with_timezone(&berlin).hour(), 9);
        }
        // The next person takes over exactly at the handoff, not an hour early or late.
        assert_eq!(
            who(&cfg, Role::Primary, "2026-03-30 06:59:59").as_deref(),
            Some("carol")
        );
        assert_eq!(
            who(&cfg, Role::Primary, "2026-03-30 07:00").as_deref(),
            Some("alice")
        );
        assert_eq!(
            shift_boundaries(&cfg, utc("2026-03-23 08:00"), 3),
            [
                utc("2026-03-23 08:00"),
                utc("2026-03-30 07:00"),
                utc("2026-04-06 07:00")
            ]
        );
        assert_eq!(
            shift_boundaries(&cfg, utc("2026-03-23 08:01"), 1),
            [utc("2026-03-30 07:00")]
        );
    }

    #[test]
    fn weekly_handoff_stays_at_nine_local_across_fall_back() {
        let cfg = berlin();
        // 2026-10-19 is 41 weeks after the start: carol again. Clocks go back on 2026-10-25.
        let shift = who_is_on_call(&cfg, Role::Primary, utc("2026-10-25 12:00")).expect("on call");
        assert_eq!(shift.who, "carol");
        assert_eq!(shift.start, utc("2026-10-19 07:00"));
        assert_eq!(shift.end, utc("2026-10-26 08:00"));
        assert_eq!((shift.end - shift.start).num_hours(), 169);
        // The secondary list has two people: 41 mod 2 = 1.
        assert_eq!(
            who(&cfg, Role::Secondary, "2026-10-25 12:00").as_deref(),
            Some("erin")
        );
    }

    #[test]
    fn daily_rotation_in_new_york_across_dst() {
        let cfg = config(
            "time_zone: America/New_York\n\
             rotation: {start: 2026-03-01, length: 1d, primary: [ann, ben]}\n",
        );
        // 09:00 EST is 14:00 UTC, 09:00 EDT is 13:00 UTC (clocks go forward on 2026-03-08).
        let spring = shift_boundaries(&cfg, utc("2026-03-07 00:00"), 3);
        assert_eq!(
            spring,
            [
                utc("2026-03-07 14:00"),
                utc("2026-03-08 13:00"),
                utc("2026-03-09 13:00")
            ]
        );
        assert_eq!((spring[1] - spring[0]).num_hours(), 23);
        assert_eq!((spring[2] - spring[1]).num_hours(), 24);
        // And back on 2026-11-01: that shift lasts 25 hours.
        let shift = who_is_on_call(&cfg, Role::Primary, utc("2026-11-01 00:00")).expect("on call");
        assert_eq!(
            (shift.start, shift.end),
            (utc("2026-10-31 13:00"), utc("2026-11-01 14:00"))
        );
        // Day 244 after 2026-03-01 (even) is ann's; the default secondary is the next person.
        assert_eq!(shift.who, "ann");
        assert_eq!(
            who(&cfg, Role::Secondary, "2026-11-01 00:00").as_deref(),
            Some("ben")
        );
    }

    #[test]
    fn a_skipped_handoff_time_hands_off_when_the_clocks_jump() {
        let cfg = config(
            "time_zone: Europe/Berlin\n\
             rotation: {start: 2026-03-27, length: 1d, handoff_time: '02:30', primary: [a, b]}\n",
        );
        // 02:30 does not exist on 2026-03-29 (02:00 CET jumps to 03:00 CEST = 01:00 UTC).
        assert_eq!(
            shift_boundaries(&cfg, utc("2026-03-28 00:00"), 3),
            [
                utc("2026-03-28 01:30"),
                utc("2026-03-29 01:00"),
                utc("2026-03-30 00:30")
            ]
        );
        // 02:30 happens twice on 2026-10-25: the handoff is at the first (CEST, 00:30 UTC).
        assert_eq!(
            shift_boundaries(&cfg, utc("2026-10-24 12:00"), 2),
            [utc("2026-10-25 00:30"), utc("2026-10-26 01:30")]
        );
    }

    #[test]
    fn a_partial_override_splits_the_shift() {
        let cfg = with_overrides(
            berlin(),
            "- {role: primary, who: frank, from: '2026-03-25 12:00', to: '2026-03-26 12:00', reason: dentist}",
        );
        // 12:00 CET is 11:00 UTC.
        let before =
            who_is_on_call(&cfg, Role::Primary, utc("2026-03-25 10:59:59")).expect("carol");
        assert_eq!(
            (
                before.who.as_str(),
                before.start,
                before.end,
                before.overridden
            ),
            (
                "carol",
                utc("2026-03-23 08:00"),
                utc("2026-03-25 11:00"),
                None
            )
        );
        let inside = who_is_on_call(&cfg, Role::Primary, utc("2026-03-25 11:00")).expect("frank");
        assert_eq!(
            (inside.who.as_str(), inside.start, inside.end),
            ("frank", utc("2026-03-25 11:00"), utc("2026-03-26 11:00"))
        );
        assert_eq!(inside.overridden.as_deref(), Some("dentist"));
        let after = who_is_on_call(&cfg, Role::Primary, utc("2026-03-26 11:00")).expect("carol");
        assert_eq!(
            (after.who.as_str(), after.start, after.end),
            ("carol", utc("2026-03-26 11:00"), utc("2026-03-30 07:00"))
        );
        // The secondary is untouched (week 11 of a two-person list).
        assert_eq!(
            who(&cfg, Role::Secondary, "2026-03-25 12:00").as_deref(),
            Some("erin")
        );
        // The header counts down to frank's end, and carol is next.
        let header = now(&cfg, utc("2026-03-25 12:00"));
        assert_eq!(header.next_handoff, Some(utc("2026-03-26 11:00")));
        assert_eq!(header.next_primary.map(|s| s.who).as_deref(), Some("carol"));
    }

    #[test]
    fn whole_and_overlapping_overrides() {
        let cfg = with_overrides(
            berlin(),
            "- {role: secondary, who: gina, from: '2026-03-30 09:00', to: '2026-04-06 09:00'}\n\
             - {role: primary, who: frank, from: '2026-03-28 09:00', to: '2026-04-01 09:00', reason: swap}\n\
             - {role: primary, who: hugo, from: '2026-03-31 09:00', to: '2026-03-31 18:00'}\n",
        );
        let week = schedule(&cfg, utc("2026-03-30 07:00"), utc("2026-04-06 07:00"));
        let summary: Vec<(Role, &str, DateTime<Utc>, DateTime<Utc>)> = week
            .iter()
            .map(|s| (s.role, s.who.as_str(), s.start, s.end))
            .collect();
        assert_eq!(
            summary,
            [
                // frank's override crosses carol → alice's handoff as one piece...
                (
                    Role::Primary,
                    "frank",
                    utc("2026-03-28 08:00"),
                    utc("2026-03-31 07:00")
                ),
                // ...and gina takes dave's whole week (12).
                (
                    Role::Secondary,
                    "gina",
                    utc("2026-03-30 07:00"),
                    utc("2026-04-06 07:00")
                ),
                // hugo's later override wins inside frank's.
                (
                    Role::Primary,
                    "hugo",
                    utc("2026-03-31 07:00"),
                    utc("2026-03-31 16:00")
                ),
                (
                    Role::Primary,
                    "frank",
                    utc("2026-03-31 16:00"),
                    utc("2026-04-01 07:00")
                ),
                (
                    Role::Primary,
                    "alice",
                    utc("2026-04-01 07:00"),
                    utc("2026-04-06 07:00")
                ),
            ]
        );
        assert_eq!(week[1].overridden.as_deref(), Some(""), "no reason given");
        assert_eq!(week[0].overridden.as_deref(), Some("swap"));
        // The next week (13) is back to the rotation: bob and erin.
        assert_eq!(
            who(&cfg, Role::Primary, "2026-04-06 07:00").as_deref(),
            Some("bob")
        );
        assert_eq!(
            who(&cfg, Role::Secondary, "2026-04-06 07:00").as_deref(),
            Some("erin")
        );
    }

    #[test]
    fn before_the_start_is_a_gap_until_the_first_shift() {
        let cfg = berlin();
        let at = utc("2026-01-02 12:00");
        assert_eq!(who_is_on_call(&cfg, Role::Primary, at), None);
        let header = now(&cfg, at);
        assert_eq!(header.primary, None);
        assert_eq!(header.secondary, None);
        let first = header.next_primary.expect("the first shift");
        assert_eq!(
            (first.who.as_str(), first.start),
            ("alice", utc("2026-01-05 08:00"))
        );
        assert_eq!(header.next_handoff, Some(utc("2026-01-05 08:00")));
        assert_eq!(header.gaps, [(at, utc("2026-01-05 08:00"))]);
        assert_eq!(header.secondary_gaps, [(at, utc("2026-01-05 08:00"))]);
        assert_eq!(shift_boundaries(&cfg, at, 1), [utc("2026-01-05 08:00")]);
    }

    #[test]
    fn an_empty_secondary_list_is_a_gap_an_override_can_fill() {
        let base = config(
            "time_zone: UTC\n\
             rotation: {start: 2026-01-05, primary: [alice, bob], secondary: []}\n",
        );
        let at = utc("2026-02-02 09:00");
        let header = now(&base, at);
        assert_eq!(header.primary.map(|s| s.who).as_deref(), Some("alice"));
        assert_eq!(header.secondary, None);
        assert!(header.gaps.is_empty());
        let horizon = utc("2026-02-16 09:00");
        assert_eq!(header.secondary_gaps, [(at, horizon)]);

        let cfg = with_overrides(
            base,
            "- {role: secondary, who: dave, from: '2026-02-03 00:00', to: '2026-02-04 00:00'}",
        );
        assert_eq!(
            now(&cfg, at).secondary_gaps,
            [
                (at, utc("2026-02-03 00:00")),
                (utc("2026-02-04 00:00"), horizon)
            ]
        );
        assert_eq!(
            who(&cfg, Role::Secondary, "2026-02-03 12:00").as_deref(),
            Some("dave")
        );
    }

    #[test]
    fn now_names_the_current_and_next_people() {
        let cfg = berlin();
        let header = now(&cfg, utc("2026-03-25 12:00"));
        assert_eq!(header.primary.map(|s| s.who).as_deref(), Some("carol"));
        assert_eq!(header.secondary.map(|s| s.who).as_deref(), Some("erin"));
        let next = header.next_primary.expect("next");
        assert_eq!(
            (next.who.as_str(), next.start),
            ("alice", utc("2026-03-30 07:00"))
        );
        assert_eq!(header.next_handoff, Some(utc("2026-03-30 07:00")));
        assert!(header.gaps.is_empty() && header.secondary_gaps.is_empty());
    }

    #[test]
    fn an_invalid_config_shows_as_a_gap() {
        let mut cfg = berlin();
        cfg.time_zone = "Europe/Nowhere".into();
        let at = utc("2026-03-25 12:00");
        assert_eq!(who_is_on_call(&cfg, Role::Primary, at), None);
        assert!(schedule(&cfg, at, utc("2026-04-25 12:00")).is_empty());
        assert_eq!(now(&cfg, at).gaps, [(at, utc("2026-04-08 12:00"))]);
    }

    #[test]
    fn escalation_resolves_roles_in_order() {
        let cfg = berlin();
        let levels = escalation(&cfg, utc("2026-03-25 12:00"));
        let expected: Vec<(Duration, Vec<String>)> = vec![
            (Duration::from_secs(0), vec!["carol".into()]),
            (
                Duration::from_secs(900),
                vec!["erin".into(), "carol".into()],
            ),
            (
                Duration::from_secs(1800),
                vec!["team-lead".into(), "#incident".into()],
            ),
        ];
        assert_eq!(levels, expected);

        // An override changes who is paged; before the start nobody is.
        let cfg = with_overrides(
            cfg,
            "- {role: primary, who: frank, from: '2026-03-25 00:00', to: '2026-03-26 00:00'}",
        );
        assert_eq!(escalation(&cfg, utc("2026-03-25 12:00"))[0].1, ["frank"]);
        let early = escalation(&cfg, utc("2026-01-01 00:00"));
        assert!(early[0].1.is_empty());
        assert_eq!(early[2].1, ["team-lead", "#incident"]);
    }

    #[test]
    fn countdown_is_short() {
        let from = utc("2026-03-25 12:00");
        let at = |secs: i64| countdown(from, from + TimeDelta::seconds(secs));
        assert_eq!(at(2 * 86_400 + 3 * 3600 + 59 * 60), "2d 3h");
        assert_eq!(at(3 * 3600 + 5 * 60 + 59), "3h 05m");
        assert_eq!(at(12 * 60 + 30), "12m");
        assert_eq!(at(30), "<1m");
        assert_eq!(at(0), "0m");
        assert_eq!(at(-600), "0m");
    }
}
