//! Pure decoding of Prometheus API bodies: no I/O, usable from tests and fuzzers.
//!
//! Series are counted while the JSON is parsed; past `max_series` the rest are
//! skipped without being materialised, so an oversized result costs little memory
//! yet still reports its true size.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::error::{one_line, shorten, summarize_body};
use super::types::{BuildInfo, InstantSample, QueryData, QueryResponse, RangeSeries, Sample};
use super::PromError;

/// Decodes a `/api/v1/query` or `/api/v1/query_range` answer.
///
/// - JSON `"status":"success"` with 2xx → the data.
/// - JSON `"status":"error"` envelope (any status) → [`PromError::Api`].
/// - Non-2xx that is not a JSON envelope → [`PromError::Http`].
/// - 2xx that is not JSON or not a valid envelope → [`PromError::Decode`].
/// - More than `max_series` series → [`PromError::TooManySeries`].
pub fn decode_query_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    max_series: usize,
) -> Result<QueryResponse, PromError> {
    let (out, mut warnings) = decode_envelope(status, content_type, body, DataSeed { max_series })?;
    if out.series > max_series {
        return Err(PromError::TooManySeries {
            count: out.series,
            limit: max_series,
        });
    }
    if out.histogram_series > 0 {
        warnings.push(format!(
            "{} native histogram series not shown",
            out.histogram_series
        ));
    }
    let data = out
        .data
        .ok_or_else(|| decode_err("series past the limit were dropped"))?;
    Ok(QueryResponse { data, warnings })
}

/// Decodes a `/api/v1/status/buildinfo` answer; every field is optional.
pub fn decode_buildinfo_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<BuildInfo, PromError> {
    decode_envelope(status, content_type, body, PhantomData::<BuildInfo>).map(|(info, _)| info)
}

/// Decodes a `/api/v1/label/<name>/values` answer: a list of strings. Fails with
/// [`PromError::TooManySeries`] past `max_values` values (counted as "series").
pub fn decode_label_values_body(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    max_values: usize,
) -> Result<Vec<String>, PromError> {
    let (values, _) = decode_envelope(status, content_type, body, PhantomData::<Vec<String>>)?;
    if values.len() > max_values {
        return Err(PromError::TooManySeries {
            count: values.len(),
            limit: max_values,
        });
    }
    Ok(values)
}

/// True for `application/json` and `application/*+json`, parameters ignored.
pub(crate) fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn decode_err(reason: impl Into<String>) -> PromError {
    PromError::Decode {
        reason: shorten(&reason.into(), 200),
    }
}

/// The error of a `"status":"error"` envelope: its type and message on one line each, and a
/// message even when the server sent none or an empty one (found by fuzzing: an empty message
/// and a missing type made an error that said nothing).
pub(crate) fn api_error(status: u16, error_type: Option<&str>, error: Option<&str>) -> PromError {
    let error = one_line(error.unwrap_or(""));
    PromError::Api {
        status,
        error_type: one_line(error_type.unwrap_or("")),
        error: if error.trim().is_empty() {
            format!("error without a message (HTTP {status})")
        } else {
            error
        },
    }
}

/// Shared envelope logic; returns the data and the warnings (infos appended).
fn decode_envelope<'de, S: DeserializeSeed<'de>>(
    status: u16,
    content_type: Option<&str>,
    body: &'de [u8],
    seed: S,
) -> Result<(S::Value, Vec<String>), PromError> {
    let ok = (200..300).contains(&status);
    if !is_json(content_type) {
        if ok {
            let ct = content_type.unwrap_or("none");
            return Err(decode_err(format!(
                "expected JSON, got content-type {}",
                shorten(&one_line(ct), 60)
            )));
        }
        return Err(PromError::Http {
            status,
            body: summarize_body(status, content_type, body),
        });
    }

    let parsed = {
        let mut de = serde_json::Deserializer::from_slice(body);
        EnvelopeSeed(seed)
            .deserialize(&mut de)
            .and_then(|env| de.end().map(|()| env))
    };
    let env = match parsed {
        Ok(env) => env,
        Err(e) if ok => return Err(decode_err(e.to_string())),
        Err(_) => {
            return Err(PromError::Http {
                status,
                body: summarize_body(status, content_type, body),
            })
        }
    };

    match env.status.as_deref() {
        Some("error") => Err(api_error(
            status,
            env.error_type.as_deref(),
            env.error.as_deref(),
        )),
        Some("success") if ok => match env.data {
            Some(data) => {
                let mut warnings = env.warnings;
                warnings.extend(env.infos.into_iter().map(|i| format!("info: {i}")));
                Ok((data, warnings))
            }
            None => Err(decode_err("missing \"data\"")),
        },
        _ if !ok => Err(PromError::Http {
            status,
            body: summarize_body(status, content_type, body),
        }),
        Some(other) => Err(decode_err(format!(
            "unknown status {:?}",
            shorten(&one_line(other), 40)
        ))),
        None => Err(decode_err("missing \"status\"")),
    }
}

/// The fields of a Prometheus API envelope.
struct Envelope<D> {
    status: Option<String>,
    data: Option<D>,
    error_type: Option<String>,
    error: Option<String>,
    warnings: Vec<String>,
    infos: Vec<String>,
}

/// Parses an envelope, decoding `data` with the inner seed.
struct EnvelopeSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for EnvelopeSeed<S> {
    type Value = Envelope<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(EnvelopeVisitor(self.0))
    }
}

struct EnvelopeVisitor<S>(S);

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for EnvelopeVisitor<S> {
    type Value = Envelope<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Prometheus API response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seed = Some(self.0);
        let mut env = Envelope {
            status: None,
            data: None,
            error_type: None,
            error: None,
            warnings: Vec::new(),
            infos: Vec::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "status" => env.status = Some(map.next_value()?),
                "data" => {
                    if env.status.as_deref() == Some("error") {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        let seed = seed
                            .take()
                            .ok_or_else(|| de::Error::duplicate_field("data"))?;
                        env.data = Some(map.next_value_seed(seed)?);
                    }
                }
                "errorType" => env.error_type = map.next_value()?,
                "error" => env.error = map.next_value()?,
                "warnings" => env.warnings = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "infos" => env.infos = map.next_value::<Option<_>>()?.unwrap_or_default(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(env)
    }
}

/// The decoded `data` of a query answer.
struct DataOut {
    /// `None` only when series were skipped past the limit.
    data: Option<QueryData>,
    /// Series in the result, including skipped ones.
    series: usize,
    /// Series that carried only native histograms (not representable here).
    histogram_series: usize,
}

/// Parses `{"resultType": …, "result": …}`, keeping at most `max_series` series.
#[derive(Clone, Copy)]
struct DataSeed {
    max_series: usize,
}

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = DataOut;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(DataVisitor {
            max_series: self.max_series,
        })
    }
}

struct DataVisitor {
    max_series: usize,
}

impl<'de> Visitor<'de> for DataVisitor {
    type Value = DataOut;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with resultType and result")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind: Option<ResultKind> = None;
        let mut out: Option<DataOut> = None;
        // `result` before `resultType` (no known server does this) is buffered.
        let mut pending: Option<serde_json::Value> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resultType" => {
                    let name: String = map.next_value()?;
                    kind = Some(ResultKind::parse(&name).map_err(de::Error::custom)?);
                }
                "result" => match kind {
                    Some(k) => out = Some(map.next_value_seed(ResultSeed(k, self.max_series))?),
                    None => pending = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("resultType"))?;
        match (out, pending) {
            (Some(out), _) => Ok(out),
            (None, Some(value)) => ResultSeed(kind, self.max_series)
                .deserialize(value)
                .map_err(de::Error::custom),
            (None, None) => Err(de::Error::missing_field("result")),
        }
    }
}

#[derive(Clone, Copy)]
enum ResultKind {
    Matrix,
    Vector,
    Scalar,
    String,
}

impl ResultKind {
    fn parse(name: &str) -> Result<Self, String> {
        match name {
            "matrix" => Ok(Self::Matrix),
            "vector" => Ok(Self::Vector),
            "scalar" => Ok(Self::Scalar),
            "string" => Ok(Self::String),
            other => Err(format!(
                "unknown resultType {:?}",
                shorten(&one_line(other), 40)
            )),
        }
    }
}

/// Parses `result` for a known result type, keeping at most the given number of series.
struct ResultSeed(ResultKind, usize);

impl<'de> DeserializeSeed<'de> for ResultSeed {
    type Value = DataOut;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            ResultKind::Matrix => d.deserialize_seq(SeriesListVisitor::<RawRange>::new(self.1)),
            ResultKind::Vector => d.deserialize_seq(SeriesListVisitor::<RawInstant>::new(self.1)),
            ResultKind::Scalar => Ok(DataOut {
                data: Some(QueryData::Scalar(Sample::deserialize(d)?)),
                series: 1,
                histogram_series: 0,
            }),
            ResultKind::String => {
                let StringSample(s) = StringSample::deserialize(d)?;
                Ok(DataOut {
                    data: Some(QueryData::String(s)),
                    series: 1,
                    histogram_series: 0,
                })
            }
        }
    }
}

/// A raw series element that knows how to join the final result.
trait SeriesItem: for<'de> Deserialize<'de> {
    /// Adds itself to `acc`; returns `Ok(false)` when it held only histograms.
    fn push_into(self, acc: &mut SeriesAcc) -> Result<bool, &'static str>;
    /// Wraps the accumulated series.
    fn finish(acc: SeriesAcc) -> QueryData;
}

/// Accumulates decoded series of either kind.
#[derive(Default)]
struct SeriesAcc {
    matrix: Vec<RangeSeries>,
    vector: Vec<InstantSample>,
}

/// Visits a result array, keeping at most `limit` series in memory and only
/// counting the rest (the caller rejects such a result anyway).
struct SeriesListVisitor<T> {
    limit: usize,
    item: PhantomData<T>,
}

impl<T> SeriesListVisitor<T> {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            item: PhantomData,
        }
    }
}

impl<'de, T: SeriesItem> Visitor<'de> for SeriesListVisitor<T> {
    type Value = DataOut;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of series")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut acc = SeriesAcc::default();
        let mut series = 0usize;
        let mut histogram_series = 0usize;
        loop {
            if series < self.limit {
                match seq.next_element::<T>()? {
                    Some(item) => {
                        if !item.push_into(&mut acc).map_err(de::Error::custom)? {
                            histogram_series += 1;
                        }
                    }
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            series += 1;
        }
        let data = (series <= self.limit).then(|| T::finish(acc));
        Ok(DataOut {
            data,
            series,
            histogram_series,
        })
    }
}

/// One matrix series as sent.
#[derive(Deserialize)]
struct RawRange {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Option<Vec<Sample>>,
    #[serde(default)]
    histograms: Option<IgnoredAny>,
}

impl SeriesItem for RawRange {
    fn push_into(self, acc: &mut SeriesAcc) -> Result<bool, &'static str> {
        let has_histograms = self.histograms.is_some();
        let values = match (self.values, has_histograms) {
            (Some(v), _) => v,
            (None, true) => Vec::new(),
            (None, false) => return Err("series has no \"values\""),
        };
        let float_samples = !values.is_empty() || !has_histograms;
        acc.matrix.push(RangeSeries {
            metric: self.metric,
            values,
        });
        Ok(float_samples)
    }

    fn finish(acc: SeriesAcc) -> QueryData {
        QueryData::Matrix(acc.matrix)
    }
}

/// One vector element as sent.
#[derive(Deserialize)]
struct RawInstant {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    value: Option<Sample>,
    #[serde(default)]
    histogram: Option<IgnoredAny>,
}

impl SeriesItem for RawInstant {
    fn push_into(self, acc: &mut SeriesAcc) -> Result<bool, &'static str> {
        match (self.value, self.histogram) {
            (Some(value), _) => {
                acc.vector.push(InstantSample {
                    metric: self.metric,
                    value,
                });
                Ok(true)
            }
            (None, Some(_)) => Ok(false),
            (None, None) => Err("sample has no \"value\""),
        }
    }

    fn finish(acc: SeriesAcc) -> QueryData {
        QueryData::Vector(acc.vector)
    }
}

/// Parses a Prometheus sample value string: `"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`, `"1e-07"`.
pub fn parse_sample_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse::<f64>().ok(),
    }
}

impl<'de> Deserialize<'de> for Sample {
    /// `[<unix seconds as number>, "<value as string>"]`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(PairVisitor::<ValueF64>::new())
            .map(|(t, ValueF64(v))| Sample { t, v })
    }
}

/// `[<unix seconds>, "<string>"]` of a string result.
struct StringSample(String);

impl<'de> Deserialize<'de> for StringSample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(PairVisitor::<String>::new())
            .map(|(_, s)| StringSample(s))
    }
}

/// A sample value: a JSON string holding a float.
struct ValueF64(f64);

impl<'de> Deserialize<'de> for ValueF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ValueF64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sample value as a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ValueF64, E> {
                parse_sample_value(s).map(ValueF64).ok_or_else(|| {
                    E::custom(format!("sample value {:?} is not a number", shorten(s, 40)))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// Visits exactly `[number, X]`.
struct PairVisitor<X>(PhantomData<X>);

impl<X> PairVisitor<X> {
    fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, X: Deserialize<'de>> Visitor<'de> for PairVisitor<X> {
    type Value = (f64, X);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [timestamp, \"value\"] pair")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let t: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let x: X = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok((t, x))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "decode_tests.rs"]
mod tests;
