//! Durations written the Prometheus way: `500ms`, `15s`, `5m`, `1h30m`, `7d`, `2w`, `1y`.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A non-negative duration with whole-millisecond precision, parsed from and printed as a
/// Prometheus duration string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(std::time::Duration);

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Duration(std::time::Duration::from_secs(secs))
    }
    pub const fn from_millis(ms: u64) -> Self {
        Duration(std::time::Duration::from_millis(ms))
    }
    pub const fn std(self) -> std::time::Duration {
        self.0
    }
    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
    pub fn chrono(self) -> chrono::Duration {
        chrono::Duration::milliseconds(i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX))
    }

    /// Parses `1h30m`, `15s`, `250ms`. Units: ms, s, m, h, d, w, y (365d), as in PromQL.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty duration (write e.g. 15s, 5m, 1h)".into());
        }
        let mut total_ms: u128 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(format!(
                    "invalid duration {text:?}: expected a number at {rest:?} (write e.g. 15s, 5m, 1h30m)"
                ));
            }
            let number: u128 = rest[..digits]
                .parse()
                .map_err(|_| format!("invalid duration {text:?}: number too large"))?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let unit = rest[..unit_len].trim();
            rest = &rest[unit_len..];
            let factor: u128 = match unit {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 7 * 86_400_000,
                "y" => 365 * 86_400_000,
                "" => {
                    return Err(format!(
                    "invalid duration {text:?}: missing unit after {number} (ms, s, m, h, d, w, y)"
                ))
                }
                other => {
                    return Err(format!(
                        "invalid duration {text:?}: unknown unit {other:?} (ms, s, m, h, d, w, y)"
                    ))
                }
            };
            total_ms = total_ms
                .checked_add(number.saturating_mul(factor))
                .ok_or_else(|| format!("invalid duration {text:?}: too large"))?;
        }
        let ms =
            u64::try_from(total_ms).map_err(|_| format!("invalid duration {text:?}: too large"))?;
        Ok(Duration::from_millis(ms))
    }
}

impl fmt::Display for Duration {
    /// Prints the shortest Prometheus form: `90s` as `1m30s`, `86400s` as `1d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [
            ("w", 7 * 86_400_000u128),
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
            ("ms", 1),
        ] {
            if ms >= size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 15s, 5m or 1h30m")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Duration, E> {
                Duration::parse(text).map_err(E::custom)
            }
            // A bare number (`refresh: 15`) reaches here as a number: say its unit is missing.
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Duration, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Duration, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Duration, E> {
                self.visit_str(&n.to_string())
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_durations() {
        assert_eq!(Duration::parse("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(Duration::parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(Duration::parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(Duration::parse("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert_eq!(Duration::parse("2w"), Ok(Duration::from_secs(14 * 86400)));
    }

    #[test]
    fn rejects_bad_durations_with_a_reason() {
        assert!(Duration::parse("15")
            .expect_err("must be rejected")
            .contains("missing unit"));
        assert!(Duration::parse("5 minutes")
            .expect_err("must be rejected")
            .contains("unknown unit"));
        assert!(Duration::parse("")
            .expect_err("must be rejected")
            .contains("empty"));
        assert!(Duration::parse("h")
            .expect_err("must be rejected")
            .contains("expected a number"));
        assert!(Duration::parse("99999999999999999999999y").is_err());
    }

    #[test]
    fn prints_the_shortest_form() {
        assert_eq!(Duration::from_secs(90).to_string(), "1m30s");
        assert_eq!(Duration::from_secs(86400).to_string(), "1d");
        assert_eq!(Duration::from_secs(900).to_string(), "15m");
        assert_eq!(Duration::from_millis(1500).to_string(), "1s500ms");
    }
}
