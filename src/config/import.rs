//! `imports:`: SLO definitions kept in other formats, read when the config is loaded and merged
//! into `services[].slos`, so the rest of the program sees one config.
//!
//! - Sloth `prometheus/v1` specs: `service`, `slos[]` (`name`, `objective` in percent,
//!   `description`, `sli.events`, `alerting.name`). Sloth specs have no window (it is a CLI
//!   flag there): imported SLOs take `slo_defaults.window`. `sli.raw` (an error ratio) and
//!   `sli.plugin` cannot be imported.
//! - OpenSLO v1 `SLO` documents, with `SLI` documents of the same import for `indicatorRef`.
//!   `ratioMetric` (`good` or `bad`, plus `total`) is imported; `thresholdMetric` and composite
//!   SLOs are not. Other kinds (`Service`, `DataSource`, `AlertPolicy`, ...) are ignored.
//!
//! What cannot be imported is skipped with a warning (in [`Config::import_warnings`]) that
//! names the file, line, SLO and reason. A file that cannot be read, is not YAML, or holds an
//! invalid value is an error naming the imported file, line and column.
//!
//! A file may hold several YAML documents (`---`). Each is parsed on its own, with line numbers
//! counted from the top of the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_yaml::Value;

use super::duration::Duration;
use super::effective::has_window_placeholder;
use super::error::ConfigError;
use super::position::{self, FieldPath};
use super::schema::{Config, QueryOverrides, ServiceConfig, ThresholdOverrides};
use super::slo::{
    Budgeting, CalendarPeriod, EventsSli, ImportConfig, ImportFormat, SliConfig, SloAlerting,
    SloConfig, SloWindow, TimeSlice,
};
use super::slo_check::{events_query_problem, objective_problem, time_slice_target_problem};

/// Reads every import of `config` and adds the SLOs to their services. `text` and `file` are
/// the config file's, to locate errors in `imports:`.
pub(super) fn resolve(config: &mut Config, text: &str, file: &Path) -> Result<(), ConfigError> {
    if config.imports.is_empty() {
        return Ok(());
    }
    // Where each (service, SLO) is defined, to report a name given twice.
    let mut defined: HashMap<(String, String), String> = HashMap::new();
    for (i, service) in config.services.iter().enumerate() {
        for (j, slo) in service.slos.iter().enumerate() {
            let field = FieldPath::root()
                .key("services")
                .index(i)
                .key("slos")
                .index(j);
            let at = position::locate(text, &field);
            defined.insert(
                (service.name.clone(), slo.name.clone()),
                format!("{}:{}:{}", file.display(), at.line, at.column),
            );
        }
    }
    let imports = config.imports.clone();
    for (i, import) in imports.iter().enumerate() {
        let field = FieldPath::root().key("imports").index(i).key("path");
        let fail = |message: String| ConfigError::invalid(file, text, &field, message);
        let mut warnings = Vec::new();
        let files = files_of(import, &fail, &mut |message| {
            warnings.push(format!("{}: {field}: {message}", file.display()));
        })?;
        let mut documents = Vec::new();
        for path in files {
            let text = read_text(&path).map_err(&fail)?;
            documents.extend(split_documents(&path, &text));
        }
        let imported = match import.format {
            ImportFormat::Sloth => sloth(&documents, &mut warnings)?,
            ImportFormat::Openslo => openslo(&documents, &mut warnings)?,
        };
        config.import_warnings.extend(warnings);
        for slo in imported {
            attach(config, &mut defined, slo)?;
        }
    }
    Ok(())
}

/// The file, or the `.yaml`/`.yml` files of the directory (not its subdirectories, nor hidden
/// files), in name order.
fn files_of(
    import: &ImportConfig,
    fail: &dyn Fn(String) -> ConfigError,
    warn: &mut dyn FnMut(String),
) -> Result<Vec<PathBuf>, ConfigError> {
    let path = &import.path;
    let cannot = |e: std::io::Error| fail(format!("cannot read {}: {e}", path.display()));
    if !std::fs::metadata(path).map_err(cannot)?.is_dir() {
        return Ok(vec![path.clone()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let yaml = Path::new(&*name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if yaml && !name.starts_with('.') && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    if files.is_empty() {
        warn(format!(
            "directory {} has no .yaml or .yml files; nothing imported",
            path.display()
        ));
    }
    Ok(files)
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// One YAML document of an imported file.
struct Document {
    file: PathBuf,
    /// The document's lines, its `---` marker blanked so that columns stay right.
    text: String,
    /// How many lines of the file come before `text`.
    offset: usize,
}

/// Splits a file at its document markers: a line that starts with `---` or `...` followed by
/// a blank or nothing. (YAML forbids such a line inside a document, block scalars included.)
fn split_documents(file: &Path, text: &str) -> Vec<Document> {
    let is_marker = |line: &str, marker: &str| {
        line.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    };
    let mut documents = Vec::new();
    let mut current = String::new();
    let mut offset = 0;
    for (index, line) in text.lines().enumerate() {
        let start = is_marker(line, "---");
        let end = is_marker(line, "...");
        if start || end {
            documents.push(Document {
                file: file.to_owned(),
                text: std::mem::take(&mut current),
                offset,
            });
            offset = index;
            if start {
                current.push_str("   ");
                current.push_str(&line[3..]);
            }
            current.push('\n');
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents.push(Document {
        file: file.to_owned(),
        text: current,
        offset,
    });
    documents
}

impl Document {
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let deserializer = serde_yaml::Deserializer::from_str(&self.text);
        serde_path_to_error::deserialize(deserializer)
            .map_err(|e| self.shift(ConfigError::from_serde(&self.file, &self.text, e)))
    }

    /// An invalid value at `field` of this document.
    fn fail(&self, field: &FieldPath, message: impl Into<String>) -> ConfigError {
        self.shift(ConfigError::invalid(&self.file, &self.text, field, message))
    }

    /// `file:line:column: field`, for warnings.
    fn place(&self, field: &FieldPath) -> String {
        let at = self.origin(field);
        format!(
            "{}:{}:{}: {}",
            at.file.display(),
            at.line,
            at.column,
            at.field
        )
    }

    fn origin(&self, field: &FieldPath) -> Origin {
        let at = position::locate(&self.text, field);
        Origin {
            file: self.file.clone(),
            line: at.line + self.offset,
            column: at.column,
            field: field.to_string(),
        }
    }

    /// Makes an error's line numbers count from the top of the file, also those in the
    /// message (`while parsing a flow sequence at line 1 column 10`).
    fn shift(&self, mut error: ConfigError) -> ConfigError {
        if let ConfigError::Parse { line, message, .. }
        | ConfigError::Invalid { line, message, .. } = &mut error
        {
            *line += self.offset;
            if self.offset > 0 {
                *message = shift_lines_in(message, self.offset);
            }
        }
        error
    }
}

/// `at line N column` with N moved down by `offset` lines.
fn shift_lines_in(message: &str, offset: usize) -> String {
    const MARK: &str = "at line ";
    let mut out = String::new();
    let mut rest = message;
    while let Some(found) = rest.find(MARK) {
        let after = &rest[found + MARK.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..found + MARK.len()]);
        match after[..digits].parse::<usize>() {
            Ok(line) if after[digits..].starts_with(" column ") => {
                out.push_str(&(line + offset).to_string());
            }
            _ => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// Where an imported SLO's name is written.
struct Origin {
    file: PathBuf,
    line: usize,
    column: usize,
    field: String,
}

/// An SLO read from an imported file, for the service it names.
struct Imported {
    service: String,
    slo: SloConfig,
    origin: Origin,
}

/// Why a conversion stopped: a real error, or a feature sretop cannot import (the warning).
enum Stop {
    Error(ConfigError),
    Skip(String),
}

impl From<ConfigError> for Stop {
    fn from(error: ConfigError) -> Self {
        Stop::Error(error)
    }
}

/// Skips the SLO `label`, because of what is at `field` of `document`.
fn skip(document: &Document, field: &FieldPath, label: &str, why: impl std::fmt::Display) -> Stop {
    Stop::Skip(format!(
        "{}: {label}: {why}; skipped",
        document.place(field)
    ))
}

/// Adds the SLO to its service, appending a service of that name when there is none.
fn attach(
    config: &mut Config,
    defined: &mut HashMap<(String, String), String>,
    imported: Imported,
) -> Result<(), ConfigError> {
    let Imported {
        service,
        mut slo,
        origin,
    } = imported;
    if slo.budgeting.is_none()
        && slo.time_slice.is_none()
        && config.slo_defaults.budgeting == Budgeting::Timeslices
    {
        // Validation of the config itself would reject this SLO; the import cannot fix it.
        slo.budgeting = Some(Budgeting::Occurrences);
        config.import_warnings.push(format!(
            "{}:{}:{}: {}: service {service}, SLO {}: slo_defaults.budgeting is timeslices but \
             the import gives no time slice; counted by occurrences",
            origin.file.display(),
            origin.line,
            origin.column,
            origin.field,
            slo.name
        ));
    }
    let key = (service.clone(), slo.name.clone());
    if let Some(there) = defined.get(&key) {
        return Err(ConfigError::Invalid {
            file: origin.file,
            line: origin.line,
            column: origin.column,
            field: origin.field,
            message: format!(
                "service `{service}` already has an SLO named `{}` (defined at {there}; SLO \
                 names must be unique within a service: rename or drop one of them)",
                slo.name
            ),
        });
    }
    defined.insert(
        key,
        format!(
            "{}:{}:{}",
            origin.file.display(),
            origin.line,
            origin.column
        ),
    );
    let index = match config.services.iter().position(|s| s.name == service) {
        Some(index) => index,
        None => {
            config.services.push(ServiceConfig {
                name: service,
                source: None,
                label_value: None,
                selector: None,
                thresholds: ThresholdOverrides::default(),
                queries: QueryOverrides::default(),
                saturation: None,
                slos: Vec::new(),
            });
            config.services.len() - 1
        }
    };
    config.services[index].slos.push(slo);
    Ok(())
}

fn not_empty(document: &Document, field: &FieldPath, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        return Err(document.fail(field, "must not be empty"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sloth

#[derive(Deserialize)]
struct SlothSpec {
    service: String,
    #[serde(default)]
    slos: Vec<SlothSlo>,
}

#[derive(Deserialize)]
struct SlothSlo {
    name: String,
    objective: f64,
    #[serde(default)]
    description: Option<String>,
    sli: SlothSli,
    #[serde(default)]
    alerting: Option<SlothAlerting>,
}

#[derive(Deserialize)]
struct SlothSli {
    #[serde(default)]
    events: Option<SlothEvents>,
    #[serde(default)]
    raw: Option<IgnoredAny>,
    #[serde(default)]
    plugin: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SlothEvents {
    error_query: String,
    total_query: String,
}

#[derive(Deserialize)]
struct SlothAlerting {
    #[serde(default)]
    name: Option<String>,
}

fn sloth(documents: &[Document], warnings: &mut Vec<String>) -> Result<Vec<Imported>, ConfigError> {
    let mut out = Vec::new();
    for document in documents {
        let header: Value = document.parse()?;
        if header.is_null() {
            continue;
        }
        let version = header.get("version").and_then(Value::as_str);
        if version != Some("prometheus/v1") {
            let found = match (version, header.get("apiVersion").and_then(Value::as_str)) {
                (Some(version), _) => format!("version `{version}`"),
                (None, Some(api)) => format!("apiVersion `{api}`"),
                (None, None) => "no version".to_owned(),
            };
            warnings.push(format!(
                "{}: not a Sloth prometheus/v1 spec ({found}); skipped",
                document.place(&FieldPath::root().key("version"))
            ));
            continue;
        }
        let spec: SlothSpec = document.parse()?;
        not_empty(document, &FieldPath::root().key("service"), &spec.service)?;
        for (j, slo) in spec.slos.into_iter().enumerate() {
            let at = FieldPath::root().key("slos").index(j);
            not_empty(document, &at.key("name"), &slo.name)?;
            let label = format!("service {}, SLO {}", spec.service, slo.name);
            let sli = at.key("sli");
            let Some(events) = slo.sli.events else {
                let (field, why) = if slo.sli.raw.is_some() {
                    (
                        sli.key("raw"),
                        "sli.raw cannot be imported (it is a ratio; sretop needs counts of bad \
                         and all events: rewrite it as sli.events with error_query and \
                         total_query)",
                    )
                } else if slo.sli.plugin.is_some() {
                    (
                        sli.key("plugin"),
                        "sli.plugin cannot be imported (a plugin builds its queries inside Sloth: \
                         rewrite it as sli.events with error_query and total_query)",
                    )
                } else {
                    (
                        sli,
                        "the SLI has no events (write sli.events with error_query and total_query)",
                    )
                };
                warnings.push(format!(
                    "{}: {label}: {why}; skipped",
                    document.place(&field)
                ));
                continue;
            };
            if let Some(problem) = objective_problem(slo.objective) {
                return Err(document.fail(&at.key("objective"), problem));
            }
            for (name, query) in [
                ("error_query", &events.error_query),
                ("total_query", &events.total_query),
            ] {
                if let Some(problem) = events_query_problem(query) {
                    return Err(document.fail(&sli.key("events").key(name), problem));
                }
            }
            out.push(Imported {
                service: spec.service.clone(),
                origin: document.origin(&at.key("name")),
                slo: SloConfig {
                    name: slo.name,
                    objective: slo.objective,
                    window: None,
                    budgeting: None,
                    time_slice: None,
                    sli: SliConfig {
                        events: Some(EventsSli {
                            error_query: events.error_query,
                            total_query: events.total_query,
                        }),
                        ..SliConfig::default()
                    },
                    alert_windows: None,
                    alerting: slo
                        .alerting
                        .and_then(|a| a.name)
                        .map(|name| SloAlerting { name: Some(name) }),
                    description: slo.description,
                },
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// OpenSLO v1

#[derive(Deserialize)]
struct OpenSloDocument<S> {
    metadata: Metadata,
    spec: S,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
}

// `alertPolicies` are not read: OpenSLO alert conditions are single-window burn-rate (or
// threshold) checks whose `op` says which side fires (`gte`, `lte`; one example in the spec pairs
// "burn rate exceeds 2" with `op: lte`), while sretop applies its multi-window
// `alert_windows` to every SLO.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenSloSpec {
    #[serde(default)]
    description: Option<String>,
    service: String,
    #[serde(default)]
    indicator: Option<InlineIndicator>,
    #[serde(default)]
    indicator_ref: Option<String>,
    #[serde(default)]
    time_window: Vec<TimeWindow>,
    #[serde(default)]
    budgeting_method: Option<String>,
    #[serde(default)]
    objectives: Vec<Objective>,
}

#[derive(Deserialize)]
struct InlineIndicator {
    spec: SliSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SliSpec {
    #[serde(default)]
    ratio_metric: Option<RatioMetric>,
    #[serde(default)]
    threshold_metric: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RatioMetric {
    /// Whether the metrics are counters (they are unless `counter: false`).
    #[serde(default)]
    counter: Option<bool>,
    #[serde(default)]
    good: Option<MetricHolder>,
    #[serde(default)]
    bad: Option<MetricHolder>,
    #[serde(default)]
    total: Option<MetricHolder>,
    #[serde(default)]
    raw: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricHolder {
    metric_source: MetricSource,
}

#[derive(Deserialize)]
struct MetricSource {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    spec: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimeWindow {
    duration: String,
    #[serde(default)]
    is_rolling: Option<bool>,
    #[serde(default)]
    calendar: Option<Calendar>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Calendar {
    #[serde(default)]
    time_zone: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Objective {
    #[serde(default)]
    target: Option<f64>,
    #[serde(default)]
    target_percent: Option<f64>,
    #[serde(default)]
    time_slice_target: Option<f64>,
    #[serde(default)]
    time_slice_window: Option<String>,
    // An indicator per objective makes a composite SLO.
    #[serde(default)]
    indicator: Option<IgnoredAny>,
    #[serde(default)]
    indicator_ref: Option<IgnoredAny>,
    #[serde(default)]
    composite_weight: Option<IgnoredAny>,
}

fn openslo(
    documents: &[Document],
    warnings: &mut Vec<String>,
) -> Result<Vec<Imported>, ConfigError> {
    let mut slis: HashMap<String, (usize, SliSpec)> = HashMap::new();
    let mut slos = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        let header: Value = document.parse()?;
        if header.is_null() {
            continue;
        }
        let api = header.get("apiVersion").and_then(Value::as_str);
        if api != Some("openslo/v1") {
            let found = match api {
                Some(api) => format!("apiVersion `{api}` is not supported"),
                None => "a document without apiVersion is not OpenSLO".to_owned(),
            };
            warnings.push(format!(
                "{}: {found} (sretop imports openslo/v1); document skipped",
                document.place(&FieldPath::root().key("apiVersion"))
            ));
            continue;
        }
        match header.get("kind").and_then(Value::as_str) {
            Some("SLO") => slos.push((index, document.parse::<OpenSloDocument<OpenSloSpec>>()?)),
            Some("SLI") => {
                let sli: OpenSloDocument<SliSpec> = document.parse()?;
                slis.insert(sli.metadata.name, (index, sli.spec));
            }
            // Service, DataSource, AlertPolicy, AlertCondition, ...: nothing to import.
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (index, slo) in slos {
        match openslo_slo(documents, index, slo, &slis, warnings) {
            Ok(imported) => out.push(imported),
            Err(Stop::Skip(warning)) => warnings.push(warning),
            Err(Stop::Error(error)) => return Err(error),
        }
    }
    Ok(out)
}

fn openslo_slo(
    documents: &[Document],
    index: usize,
    slo: OpenSloDocument<OpenSloSpec>,
    slis: &HashMap<String, (usize, SliSpec)>,
    warnings: &mut Vec<String>,
) -> Result<Imported, Stop> {
    let document = &documents[index];
    let root = FieldPath::root();
    let at = root.key("spec");
    let name = slo.metadata.name;
    let spec = slo.spec;
    not_empty(document, &root.key("metadata").key("name"), &name)?;
    not_empty(document, &at.key("service"), &spec.service)?;
    let label = format!("service {}, SLO {name}", spec.service);

    let objectives = at.key("objectives");
    if let Some(k) = spec.objectives.iter().position(|o| {
        o.indicator.is_some() || o.indicator_ref.is_some() || o.composite_weight.is_some()
    }) {
        return Err(skip(
            document,
            &objectives.index(k),
            &label,
            "a composite SLO (an indicator per objective) cannot be imported",
        ));
    }
    let Some(objective) = spec.objectives.first() else {
        return Err(skip(document, &at, &label, "it has no objectives"));
    };
    if spec.objectives.len() > 1 {
        warnings.push(format!(
            "{}: {label}: only the first of {} objectives is imported",
            document.place(&objectives.index(1)),
            spec.objectives.len()
        ));
    }
    let first = objectives.index(0);
    let percent = match (objective.target_percent, objective.target) {
        (Some(percent), _) => {
            if let Some(problem) = objective_problem(percent) {
                let problem = problem.replacen("objective", "targetPercent", 1);
                return Err(document.fail(&first.key("targetPercent"), problem).into());
            }
            percent
        }
        (None, Some(target)) => {
            if !(target > 0.0 && target < 1.0) {
                return Err(document
                    .fail(
                        &first.key("target"),
                        format!(
                            "target {target} is out of range (a ratio strictly between 0 and 1, \
                             e.g. 0.999)"
                        ),
                    )
                    .into());
            }
            // 0.999 × 100 is 99.89999999999999 in binary floating point.
            (target * 100.0 * 1e9).round() / 1e9
        }
        (None, None) => {
            return Err(skip(
                document,
                &first,
                &label,
                "the objective has neither target nor targetPercent",
            ))
        }
    };

    let events = match (&spec.indicator, &spec.indicator_ref) {
        (Some(indicator), _) => ratio_events(
            document,
            &indicator.spec,
            &at.key("indicator").key("spec"),
            &label,
        )?,
        (None, Some(reference)) => match slis.get(reference) {
            Some((sli_index, sli)) => {
                ratio_events(&documents[*sli_index], sli, &root.key("spec"), &label)?
            }
            None => {
                return Err(skip(
                    document,
                    &at.key("indicatorRef"),
                    &label,
                    format!("indicatorRef `{reference}` names no SLI document of this import"),
                ))
            }
        },
        (None, None) => {
            return Err(skip(
                document,
                &at,
                &label,
                "it has neither indicator nor indicatorRef",
            ))
        }
    };

    let window = match spec.time_window.first() {
        None => None,
        Some(window) => Some(time_window(
            document,
            &at.key("timeWindow").index(0),
            window,
            &label,
            warnings,
        )?),
    };

    let method = at.key("budgetingMethod");
    let (budgeting, time_slice) = match spec.budgeting_method.as_deref() {
        None => (None, None),
        Some("Occurrences") => (Some(Budgeting::Occurrences), None),
        Some(kind @ ("Timeslices" | "RatioTimeslices")) => {
            if kind == "RatioTimeslices" {
                warnings.push(format!(
                    "{}: {label}: RatioTimeslices (the mean of the slices' ratios) is imported as \
                     Timeslices (the share of good slices)",
                    document.place(&method)
                ));
            }
            let (Some(target), Some(slice)) =
                (objective.time_slice_target, &objective.time_slice_window)
            else {
                return Err(skip(
                    document,
                    &first,
                    &label,
                    format!("{kind} needs timeSliceTarget and timeSliceWindow in the objective"),
                ));
            };
            if let Some(problem) = time_slice_target_problem("timeSliceTarget", target) {
                return Err(document.fail(&first.key("timeSliceTarget"), problem).into());
            }
            let field = first.key("timeSliceWindow");
            let slice = match openslo_duration(slice) {
                Ok(Length::Fixed(slice)) if slice > Duration::default() => slice,
                Ok(_) => {
                    return Err(document
                        .fail(
                            &field,
                            format!(
                                "timeSliceWindow {slice} must be a fixed length longer than 0s \
                                 (e.g. 1m)"
                            ),
                        )
                        .into())
                }
                Err(problem) => return Err(document.fail(&field, problem).into()),
            };
            (
                Some(Budgeting::Timeslices),
                Some(TimeSlice {
                    window: slice,
                    target,
                }),
            )
        }
        Some(other) => {
            return Err(skip(
                document,
                &method,
                &label,
                format!(
                    "budgetingMethod `{other}` is unknown (Occurrences, Timeslices or \
                     RatioTimeslices)"
                ),
            ))
        }
    };

    Ok(Imported {
        service: spec.service,
        origin: document.origin(&root.key("metadata").key("name")),
        slo: SloConfig {
            name,
            objective: percent,
            window,
            budgeting,
            time_slice,
            sli: SliConfig {
                events: Some(events),
                ..SliConfig::default()
            },
            alert_windows: None,
            alerting: None,
            description: spec.description,
        },
    })
}

/// The error and total queries of a `ratioMetric` (at `at`, the SLI's `spec`).
fn ratio_events(
    document: &Document,
    spec: &SliSpec,
    at: &FieldPath,
    label: &str,
) -> Result<EventsSli, Stop> {
    if spec.threshold_metric.is_some() {
        return Err(skip(
            document,
            &at.key("thresholdMetric"),
            label,
            "thresholdMetric cannot be imported (it compares one metric with a threshold; \
             sretop needs counts of bad and all events: write a ratioMetric)",
        ));
    }
    let Some(ratio) = &spec.ratio_metric else {
        return Err(skip(document, at, label, "the SLI has no ratioMetric"));
    };
    let at = at.key("ratioMetric");
    if ratio.raw.is_some() {
        return Err(skip(
            document,
            &at.key("raw"),
            label,
            "ratioMetric.raw (a precomputed ratio) cannot be imported (sretop needs counts: give \
             good or bad, and total)",
        ));
    }
    let Some(total) = &ratio.total else {
        return Err(skip(document, &at, label, "ratioMetric has no total"));
    };
    let counter = ratio.counter.unwrap_or(true);
    let query = |name: &str, metric: &MetricHolder| {
        count_query(document, &at.key(name), metric, counter, label)
    };
    let total_query = query("total", total)?;
    let error_query = match (&ratio.good, &ratio.bad) {
        (None, Some(bad)) => query("bad", bad)?,
        (Some(good), None) => format!("({total_query}) - ({})", query("good", good)?),
        (Some(_), Some(_)) => {
            return Err(skip(
                document,
                &at,
                label,
                "ratioMetric gives both good and bad (OpenSLO allows one of them)",
            ))
        }
        (None, None) => {
            return Err(skip(
                document,
                &at,
                label,
                "ratioMetric has neither good nor bad",
            ))
        }
    };
    Ok(EventsSli {
        error_query,
        total_query,
    })
}

/// The PromQL template counting the events of one side of a ratio (at `at`, e.g.
/// `ratioMetric.total`): a bare selector `s` becomes `sum(increase(s[{{window}}]))`; an
/// expression with a `{{window}}` placeholder is used as it is.
fn count_query(
    document: &Document,
    at: &FieldPath,
    metric: &MetricHolder,
    counter: bool,
    label: &str,
) -> Result<String, Stop> {
    let source = at.key("metricSource");
    if let Some(kind) = &metric.metric_source.kind {
        if !is_prometheus_like(kind) {
            return Err(skip(
                document,
                &source.key("type"),
                label,
                format!("metricSource type `{kind}` is not a Prometheus-compatible source"),
            ));
        }
    }
    let spec = metric.metric_source.spec.as_ref();
    let found = ["query", "promql"].into_iter().find_map(|key| {
        spec.and_then(|s| s.get(key))
            .and_then(Value::as_str)
            .map(|q| (key, q.trim()))
    });
    let Some((key, query)) = found else {
        return Err(skip(
            document,
            &source.key("spec"),
            label,
            "metricSource.spec has no query (or promql)",
        ));
    };
    let field = source.key("spec").key(key);
    if is_selector(query) {
        if !counter {
            return Err(skip(
                document,
                &field,
                label,
                format!(
                    "`{query}` is a bare selector of a gauge (counter: false), which sretop \
                     cannot count over a window: write the expression with a [{{{{window}}}}] \
                     range"
                ),
            ));
        }
        return Ok(format!("sum(increase({query}[{{{{window}}}}]))"));
    }
    if has_window_placeholder(query) {
        return Ok(query.to_owned());
    }
    Err(skip(
        document,
        &field,
        label,
        "the query is an expression without a {{window}} placeholder (sretop evaluates it over \
         several windows: write its range as [{{window}}])",
    ))
}

fn is_prometheus_like(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    kind.contains("prometheus")
        || ["thanos", "cortex", "mimir", "victoriametrics"].contains(&kind.as_str())
}

/// A PromQL instant vector selector and nothing else: `name`, `name{matchers}` or `{matchers}`.
fn is_selector(query: &str) -> bool {
    let chars: Vec<char> = query.trim().chars().collect();
    let mut at = 0;
    if chars
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_' || *c == ':')
    {
        at = 1;
        while chars
            .get(at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
        {
            at += 1;
        }
    }
    let named = at > 0;
    while chars.get(at).is_some_and(|c| c.is_whitespace()) {
        at += 1;
    }
    match chars.get(at) {
        None => return named,
        Some('{') => at += 1,
        Some(_) => return false,
    }
    let mut quote: Option<char> = None;
    while let Some(&c) = chars.get(at) {
        at += 1;
        match quote {
            Some(q) if c == '\\' && q != '`' => at += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '}' => return chars[at..].iter().all(|c| c.is_whitespace()),
                '{' | '[' | '(' | ')' => return false,
                _ => {}
            },
        }
    }
    false
}

/// An OpenSLO duration: a fixed length (`28d`, `1h`, `1m`, `2w`), or a calendar unit (`1M`,
/// `1Q`, `1Y`) with no fixed length.
enum Length {
    Fixed(Duration),
    Calendar,
}

fn openslo_duration(text: &str) -> Result<Length, String> {
    let text = text.trim();
    if let Some(number) = text.strip_suffix(['M', 'Q', 'Y']) {
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Length::Calendar);
        }
    }
    Duration::parse(text).map(Length::Fixed)
}

fn time_window(
    document: &Document,
    at: &FieldPath,
    window: &TimeWindow,
    label: &str,
    warnings: &mut Vec<String>,
) -> Result<SloWindow, Stop> {
    let field = at.key("duration");
    let duration = window.duration.trim();
    if window.is_rolling.unwrap_or(window.calendar.is_none()) {
        return match openslo_duration(duration) {
            Ok(Length::Fixed(length)) if length > Duration::default() => Ok(SloWindow {
                rolling: Some(length),
                calendar: None,
            }),
            Ok(Length::Fixed(_)) => Err(document.fail(&field, "must be longer than 0s").into()),
            Ok(Length::Calendar) => Err(skip(
                document,
                &field,
                label,
                format!(
                    "a rolling {duration} window has no fixed length (write it in days, e.g. \
                     30d)"
                ),
            )),
            Err(problem) => Err(document.fail(&field, problem).into()),
        };
    }
    let period = match duration {
        "1w" | "7d" | "week" => CalendarPeriod::Week,
        "1M" | "month" => CalendarPeriod::Month,
        other => {
            return Err(skip(
                document,
                &field,
                label,
                format!(
                    "a calendar window of {other} cannot be imported (sretop has calendar week \
                     (1w) and month (1M))"
                ),
            ))
        }
    };
    if let Some(zone) = window
        .calendar
        .as_ref()
        .and_then(|c| c.time_zone.as_deref())
    {
        if !["UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"].contains(&zone) {
            warnings.push(format!(
                "{}: {label}: calendar time zone `{zone}` is not supported: the {} is taken in \
                 UTC",
                document.place(&at.key("calendar").key("timeZone")),
                match period {
                    CalendarPeriod::Week => "week",
                    CalendarPeriod::Month => "month",
                }
            ));
        }
    }
    Ok(SloWindow {
        rolling: None,
        calendar: Some(period),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert!(is_selector("http_requests_total"));
        assert!(is_selector(
            r#"http_requests_total{code=~"5..", job="api"}"#
        ));
        assert!(is_selector(r#"{__name__="x", le="0.3"}"#));
        assert!(is_selector(r#"x{path=~"/a/[0-9]+", b='}'}"#));
        assert!(is_selector("job:requests:rate5m { job = \"a\" } "));
        assert!(!is_selector("sum(x)"));
        assert!(!is_selector("x[5m]"));
        assert!(!is_selector(r#"x{a="b"}[5m]"#));
        assert!(!is_selector("x - y"));
        assert!(!is_selector(""));
        assert!(!is_selector(r#"x{a="b""#));
    }

    #[test]
    fn documents_keep_their_line_numbers() {
        let text = "a: 1\n---\nb: 2\n--- {c: 3}\n...\n# end\n";
        let documents = split_documents(Path::new("f.yaml"), text);
        let got: Vec<(usize, &str)> = documents
            .iter()
            .map(|d| (d.offset, d.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (0, "a: 1\n"),
                (1, "   \nb: 2\n"),
                (3, "    {c: 3}\n"),
                (4, "\n# end\n"),
            ]
        );
        let value: Value = documents[2].parse().expect("flow map");
        assert_eq!(value.get("c").and_then(Value::as_u64), Some(3));
        let empty: Value = documents[3].parse().expect("comments only");
        assert!(empty.is_null());
    }

    #[test]
    fn line_numbers_in_messages_follow_the_document() {
        assert_eq!(
            shift_lines_in(
                "did not find expected ',' while parsing a flow sequence at line 1 column 10",
                4
            ),
            "did not find expected ',' while parsing a flow sequence at line 5 column 10"
        );
        assert_eq!(
            shift_lines_in("at line x, at line 2", 1),
            "at line x, at line 2"
        );
    }

    #[test]
    fn openslo_durations() {
        assert!(
            matches!(openslo_duration("28d"), Ok(Length::Fixed(d)) if d == Duration::from_secs(28 * 86_400))
        );
        assert!(
            matches!(openslo_duration("1m"), Ok(Length::Fixed(d)) if d == Duration::from_secs(60))
        );
        assert!(matches!(openslo_duration("1M"), Ok(Length::Calendar)));
        assert!(matches!(openslo_duration("1Q"), Ok(Length::Calendar)));
        assert!(openslo_duration("M").is_err());
        assert!(openslo_duration("four weeks").is_err());
    }
}
