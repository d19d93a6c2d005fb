//! `sretop-demo`: a small, standalone Prometheus exporter that simulates a fleet of
//! HTTP services so `sretop` has something realistic to show.
//!
//! It deliberately does not use the `sretop` library: it only needs tokio, clap and std.
//!
//! The simulation is lazy: nothing happens between scrapes. On each scrape (or
//! incident change) the simulated clock is advanced to the wall clock in steps of at
//! most one second; each step draws the number of requests from a Poisson
//! distribution, splits them by method and status code with binomial draws, and sorts
//! them into latency buckets with a multinomial draw over the exact bucket
//! probabilities of a log-normal mixture. Cost per step is independent of the request
//! rate, so hundreds of services at hundreds of requests per second stay cheap.
//!
//! History (`--epoch`, `--backfill`): simulated time is seconds since the epoch
//! (`--epoch UNIX-SECONDS`, by default the moment the exporter starts). Every service
//! has its own random generator, seeded from `--seed` and its name, and the simulated
//! past is computed on a fixed grid of 5 s steps from the epoch, with incidents following
//! a plan that is a function of simulated time only:
//! - with `--flip-every P`, the flipped service toggles at every multiple of P;
//! - with `--incident NAME` alone, NAME had 15-minute incidents starting 20 minutes
//!   after the epoch and every 3 hours after that, and is in incident from the moment
//!   live serving starts (with a one-hour backfill: 40 to 25 minutes ago, and now).
//!
//! So the state of every service at every grid point is fully determined by the seed,
//! the service names, the incident flags and the epoch. `--backfill 1h --backfill-out F`
//! replays that grid for the last hour and writes the samples as OpenMetrics for
//! `promtool tsdb create-blocks-from openmetrics`, then exits. A live exporter started
//! afterwards with the same `--seed`, `--epoch`, services and incident flags first
//! fast-forwards along the same grid to the last grid point before its start (services
//! in parallel; O(services × elapsed / 5 s), well under a second for 50 services × 24 h)
//! and only then switches to on-demand steps: its counters continue exactly where the
//! backfill ended, so `rate()` sees neither a reset nor a jump. The backfilled samples
//! carry the `job` and `instance` labels Prometheus attaches when it scrapes
//! (`--backfill-job`, `--backfill-instance`, by default `demo` and the `--listen`
//! address), so they land in the same series as the scraped ones.
//!
//! HTTP endpoints (HTTP/1.1, one request per connection):
//! - `GET /metrics` — Prometheus text exposition format 0.0.4
//! - `GET /incident` — services currently in incident, one per line
//! - `POST /incident?service=NAME&on=true|false` — set a service's incident state
//! - `POST /incident/toggle?service=NAME` — toggle a service's incident state

use std::fmt::Write as _;
use std::io::{self, BufWriter};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

/// Prometheus exporter that simulates services (requests, errors, latency, saturation)
/// for the sretop demo.
#[derive(Debug, Parser)]
#[command(name = "sretop-demo", version)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9464")]
    listen: SocketAddr,

    /// Comma-separated service names to simulate [default: api,checkout,search].
    #[arg(long, value_delimiter = ',', conflicts_with = "service_count")]
    services: Option<Vec<String>>,

    /// Simulate N generated services named svc-001, svc-002, ...
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    service_count: Option<u32>,

    /// Start with this service in incident.
    #[arg(long, value_name = "SERVICE")]
    incident: Option<String>,

    /// Toggle the incident on/off every this many seconds (e.g. 60, 90s, 2m).
    /// Applies to the --incident service, or the first service if none is given.
    #[arg(long, value_name = "DURATION-SECONDS", value_parser = parse_duration_secs)]
    flip_every: Option<f64>,

    /// Seed for the deterministic random number generator [default: from the clock].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,

    /// Start of the simulation, in Unix seconds [default: now; with --backfill: the start
    /// of the backfilled range]. A live exporter given the --epoch and --seed of an
    /// earlier --backfill run continues its history without a counter reset.
    #[arg(long, value_name = "UNIX-SECONDS")]
    epoch: Option<u64>,

    /// Write the simulated history of the last DURATION (e.g. 1h, 6h) to --backfill-out
    /// as OpenMetrics, for `promtool tsdb create-blocks-from openmetrics`, and exit.
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_duration_secs,
        requires = "backfill_out"
    )]
    backfill: Option<f64>,

    /// File the --backfill history is written to.
    #[arg(long, value_name = "PATH", requires = "backfill")]
    backfill_out: Option<PathBuf>,

    /// Seconds between backfilled samples (the demo's Prometheus scrapes every 5 s).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        requires = "backfill"
    )]
    backfill_step: u64,

    /// The `job` label of the backfilled samples: the name of the scrape job that will
    /// scrape the live exporter (Prometheus adds `job` and `instance` when it scrapes).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "demo",
        requires = "backfill"
    )]
    backfill_job: String,

    /// The `instance` label of the backfilled samples: the scrape target's address
    /// [default: the --listen address].
    #[arg(long, value_name = "HOST:PORT", requires = "backfill")]
    backfill_instance: Option<String>,
}

/// Parses a positive duration: a plain number of seconds, or a number with an
/// `s`, `m` or `h` suffix.
fn parse_duration_secs(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected seconds, e.g. 60 or 90s or 2m"))?;
    let secs = v * mult;
    if !secs.is_finite() || secs < 0.1 {
        return Err(format!("duration {s:?} must be at least 0.1 seconds"));
    }
    Ok(secs)
}

/// Resolves the list of service names from the CLI, validating it.
fn service_names(cli: &Cli) -> Result<Vec<String>, String> {
    let names: Vec<String> = if let Some(n) = cli.service_count {
        (1..=n).map(|i| format!("svc-{i:03}")).collect()
    } else if let Some(list) = &cli.services {
        list.iter().map(|s| s.trim().to_string()).collect()
    } else {
        vec!["api".into(), "checkout".into(), "search".into()]
    };
    if names.is_empty() {
        return Err("no services given".into());
    }
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err("empty service name in --services".into());
        }
        if n.chars().any(char::is_control) {
            return Err(format!("service name {n:?} contains control characters"));
        }
        if names[..i].contains(n) {
            return Err(format!("service {n:?} listed twice in --services"));
        }
    }
    Ok(names)
}

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

/// SplitMix64: tiny, fast, good enough statistical quality for a simulation.
#[derive(Debug, Clone)]
struct Rng {
    state: u64,
    /// The second normal of the last Box–Muller pair, not yet used.
    spare_normal: Option<f64>,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Rng {
            state: seed,
            spare_normal: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Standard normal (Box–Muller, both of each pair).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1 = 1.0 - self.f64(); // (0, 1]
        let u2 = self.f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare_normal = Some(r * sin);
        r * cos
    }

    /// Poisson(lambda): exact (Knuth) for small lambda, normal approximation above.
    fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda.is_nan() || lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let l = (-lambda).exp();
            let mut k = 0u64;
            let mut p = 1.0;
            loop {
                p *= 1.0 - self.f64();
                if p <= l {
                    return k;
                }
                k += 1;
            }
        }
        let x = lambda + lambda.sqrt() * self.normal();
        x.round().max(0.0) as u64
    }

    /// Binomial(n, p): exact for small n, Poisson or normal approximation otherwise.
    fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p.is_nan() || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if p > 0.5 {
            return n - self.binomial(n, 1.0 - p);
        }
        if n <= 48 {
            // Inversion: walk the probability mass function up from 0 (p <= 0.5 here,
            // so (1 - p)^n >= 2^-48 and the walk takes about n * p + 1 steps).
            let q = 1.0 - p;
            let odds = p / q;
            let mut pk = q.powi(n as i32);
            let mut u = self.f64();
            let mut k = 0;
            while k < n && u >= pk {
                u -= pk;
                pk *= odds * (n - k) as f64 / (k + 1) as f64;
                k += 1;
            }
            return k;
        }
        let mean = n as f64 * p;
        if mean < 20.0 {
            return self.poisson(mean).min(n);
        }
        let sd = (mean * (1.0 - p)).sqrt();
        let x = (mean + sd * self.normal()).round();
        x.clamp(0.0, n as f64) as u64
    }

    /// Splits `n` items over categories with probabilities `probs` (which should sum to
    /// about 1; the last category takes whatever is left).
    fn multinomial<const K: usize>(&mut self, n: u64, probs: &[f64; K]) -> [u64; K] {
        let mut out = [0u64; K];
        let mut left = n;
        let mut mass = 1.0f64;
        for (i, &p) in probs.iter().enumerate() {
            if left == 0 {
                break;
            }
            if i == K - 1 || mass <= 0.0 {
                out[i] = left;
                left = 0;
                break;
            }
            let k = self.binomial(left, (p / mass).clamp(0.0, 1.0));
            out[i] = k;
            left -= k;
            mass -= p;
        }
        if left > 0 {
            out[K - 1] += left;
        }
        out
    }
}

/// FNV-1a, to derive a per-service seed from its name.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

// ---------------------------------------------------------------------------
// Latency model
// ---------------------------------------------------------------------------

/// Upper bounds of the finite histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// `le` label values, including `+Inf`.
const BUCKET_LABELS: [&str; 13] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.3", "0.5", "1", "2.5", "5", "10", "+Inf",
];
/// Number of disjoint latency bins: one per finite bucket plus the overflow bin.
const BINS: usize = BUCKETS.len() + 1;
/// Natural logarithms of `BUCKETS`.
static LN_BUCKETS: LazyLock<[f64; BUCKETS.len()]> = LazyLock::new(|| BUCKETS.map(f64::ln));

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7).
fn phi(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let ax = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * ax);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-ax * ax).exp();
    let erf = if x < 0.0 { -erf } else { erf };
    0.5 * (1.0 + erf)
}

/// One log-normal component: weight, mu (log of the median) and sigma.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LogNormal {
    weight: f64,
    mu: f64,
    sigma: f64,
}

/// A two-component log-normal mixture: a body and a slow tail.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mixture([LogNormal; 2]);

/// What a step needs to know about a latency mixture, computed once per mixture.
#[derive(Debug, Clone, Copy)]
struct LatencyBins {
    /// Probability of each bin.
    probs: [f64; BINS],
    /// Mean latency of an observation in each bin.
    means: [f64; BINS],
    /// Mean latency.
    mean: f64,
}

impl Mixture {
    #[cfg(test)]
    fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        if x.is_infinite() {
            return 1.0;
        }
        let lx = x.ln();
        self.0
            .iter()
            .map(|c| c.weight * phi((lx - c.mu) / c.sigma))
            .sum()
    }

    /// E[X; X <= x].
    #[cfg(test)]
    fn partial_mean(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let lx = x.ln();
        self.0
            .iter()
            .map(|c| {
                let m = (c.mu + c.sigma * c.sigma / 2.0).exp();
                let frac = if x.is_infinite() {
                    1.0
                } else {
                    phi((lx - c.mu - c.sigma * c.sigma) / c.sigma)
                };
                c.weight * m * frac
            })
            .sum()
    }

    #[cfg(test)]
    fn mean(&self) -> f64 {
        self.partial_mean(f64::INFINITY)
    }

    fn sample(&self, rng: &mut Rng) -> f64 {
        let c = if rng.f64() < self.0[0].weight {
            self.0[0]
        } else {
            self.0[1]
        };
        (c.mu + c.sigma * rng.normal()).exp()
    }

    /// Probability of each bin, the mean latency of an observation in that bin, and the
    /// mean latency. Equivalent to `cdf` and `partial_mean` at every bucket bound, with the
    /// logarithms and component means computed once.
    fn bins(&self) -> LatencyBins {
        let comp_means = self.0.map(|c| (c.mu + c.sigma * c.sigma / 2.0).exp());
        let mean: f64 = self
            .0
            .iter()
            .zip(&comp_means)
            .map(|(c, m)| c.weight * m)
            .sum();
        let mut probs = [0.0; BINS];
        let mut means = [0.0; BINS];
        let mut lo = 0.0f64;
        let mut cdf_lo = 0.0;
        let mut pm_lo = 0.0;
        for i in 0..BINS {
            let hi = BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
            let (cdf_hi, pm_hi) = match LN_BUCKETS.get(i) {
                Some(&lx) => self
                    .0
                    .iter()
                    .zip(&comp_means)
                    .fold((0.0, 0.0), |(c, p), (k, m)| {
                        let z = (lx - k.mu) / k.sigma;
                        (c + k.weight * phi(z), p + k.weight * m * phi(z - k.sigma))
                    }),
                None => (1.0, mean),
            };
            let p = (cdf_hi - cdf_lo).max(0.0);
            let upper = if hi.is_infinite() { lo * 4.0 } else { hi };
            let bin_mean = if p > 1e-12 {
                ((pm_hi - pm_lo) / p).clamp(lo, upper)
            } else {
                (lo + upper) / 2.0
            };
            probs[i] = p;
            means[i] = bin_mean;
            lo = hi;
            cdf_lo = cdf_hi;
            pm_lo = pm_hi;
        }
        LatencyBins { probs, means, mean }
    }
}

/// Index of the bin holding an observation of `x` seconds (`le` is inclusive).
fn bin_index(x: f64) -> usize {
    BUCKETS
        .iter()
        .position(|&b| x <= b)
        .unwrap_or(BUCKETS.len())
}

// ---------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------

/// Period of the slow "daily" traffic wave, in seconds.
const WAVE_PERIOD_S: f64 = 600.0;
/// Largest simulation step, in seconds.
const MAX_STEP_S: f64 = 1.0;
/// Cap on steps per advance, so a very long gap between scrapes stays cheap.
const MAX_STEPS: f64 = 3600.0;
/// Step of the simulated history (fast-forward and backfill), in seconds.
const HISTORY_STEP_S: u64 = 5;
/// Longest simulated history: the epoch may be at most this long ago.
const MAX_HISTORY_S: f64 = 30.0 * 86_400.0;
/// Scripted incidents of the `--incident` service in the simulated past (without
/// `--flip-every`): `SCRIPT_LEN_S` long, starting `SCRIPT_START_S` after the epoch and
/// again every `SCRIPT_PERIOD_S`.
const SCRIPT_START_S: f64 = 20.0 * 60.0;
const SCRIPT_LEN_S: f64 = 15.0 * 60.0;
const SCRIPT_PERIOD_S: f64 = 3.0 * 3600.0;

/// Request series exported for every service: (method, code).
const SERIES: [(&str, &str); 10] = [
    ("GET", "200"),
    ("GET", "404"),
    ("GET", "429"),
    ("GET", "500"),
    ("GET", "503"),
    ("POST", "201"),
    ("POST", "404"),
    ("POST", "429"),
    ("POST", "500"),
    ("POST", "503"),
];

/// Static traits of a simulated service.
#[derive(Debug, Clone)]
struct Profile {
    name: String,
    /// Mean requests per second at the middle of the wave.
    base_rps: f64,
    /// Median latency in seconds when healthy.
    median_s: f64,
    /// Share of GET requests (the rest are POST).
    get_share: f64,
    /// Normal 5xx ratio.
    base_5xx: f64,
    /// Phase of the traffic wave, radians.
    phase: f64,
    /// CPU utilisation at the quiet end of the wave.
    cpu_base: f64,
    /// Size of the DB connection pool.
    db_max: u32,
}

impl Profile {
    fn new(name: &str, rng: &mut Rng) -> Self {
        let (base_rps, median_s, get_share) = match name {
            "api" => (120.0, 0.040, 0.80),
            "checkout" => (25.0, 0.120, 0.45),
            "search" => (60.0, 0.070, 0.95),
            _ => (
                (rng.range(5f64.ln(), 150f64.ln())).exp(),
                (rng.range(0.02f64.ln(), 0.2f64.ln())).exp(),
                rng.range(0.5, 0.95),
            ),
        };
        Profile {
            name: name.to_string(),
            base_rps,
            median_s,
            get_share,
            base_5xx: rng.range(0.0015, 0.0035),
            phase: rng.range(0.0, std::f64::consts::TAU),
            cpu_base: rng.range(0.30, 0.45),
            db_max: 50,
        }
    }
}

/// Mutable state of one simulated service.
#[derive(Debug, Clone)]
struct Service {
    profile: Profile,
    rng: Rng,
    incident: bool,
    /// 5xx ratio while in incident (drawn when the incident starts).
    incident_err: f64,
    /// Latency multiplier while in incident (drawn when the incident starts).
    incident_mult: f64,
    /// Counters, indexed like `SERIES`.
    requests: [u64; SERIES.len()],
    /// Disjoint latency bins (rendered cumulatively).
    bins: [u64; BINS],
    sum_s: f64,
    count: u64,
    cpu: f64,
    db_in_use: f64,
    /// Ornstein–Uhlenbeck noise (log-space) on traffic.
    traffic_noise: f64,
    /// Ornstein–Uhlenbeck noise (log-space) on the error ratio.
    err_noise: f64,
    /// The last latency mixture and its bins: the mixture only changes with load above
    /// the middle of the wave and with incidents, so this saves most of the work of a step.
    latency_cache: Option<(Mixture, LatencyBins)>,
}

impl Service {
    fn new(name: &str, seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ fnv1a(name));
        // Warm the generator so similar seeds diverge.
        rng.next_u64();
        let profile = Profile::new(name, &mut rng);
        let cpu = profile.cpu_base + 0.05;
        let db = f64::from(profile.db_max) * 0.2;
        Service {
            profile,
            rng,
            incident: false,
            incident_err: 0.0,
            incident_mult: 1.0,
            requests: [0; SERIES.len()],
            bins: [0; BINS],
            sum_s: 0.0,
            count: 0,
            cpu,
            db_in_use: db,
            traffic_noise: 0.0,
            err_noise: 0.0,
            latency_cache: None,
        }
    }

    /// A service at simulated time 0, with `plan` applied (`index` is its position in
    /// the fleet).
    fn start(name: &str, seed: u64, index: usize, plan: &Plan) -> Self {
        let mut s = Service::new(name, seed);
        if let Some(on) = plan.history_state(index, 0.0) {
            s.set_incident(on);
        }
        s
    }

    /// Advances along the history grid from grid point `from` to grid point `to`,
    /// following `plan`. The state at every grid point depends only on the seed, the
    /// name, the plan and the grid point.
    fn advance_history(&mut self, index: usize, plan: &Plan, from: u64, to: u64) {
        let dt = HISTORY_STEP_S as f64;
        for k in from + 1..=to {
            let t = (k * HISTORY_STEP_S) as f64;
            self.step(dt, t);
            if let Some(on) = plan.history_state(index, t) {
                self.set_incident(on);
            }
        }
    }

    fn set_incident(&mut self, on: bool) {
        if on && !self.incident {
            self.incident_err = self.rng.range(0.09, 0.18);
            self.incident_mult = self.rng.range(5.0, 10.0);
        }
        self.incident = on;
    }

    /// Latency distribution at the given load factor (1.0 = middle of the wave).
    fn latency(&self, load: f64) -> Mixture {
        let base = self.profile.median_s * (1.0 + 0.4 * (load - 1.0).max(0.0));
        if self.incident {
            let m = base * self.incident_mult;
            Mixture([
                LogNormal {
                    weight: 0.88,
                    mu: m.ln(),
                    sigma: 0.7,
                },
                LogNormal {
                    weight: 0.12,
                    mu: (m * 4.0).ln(),
                    sigma: 0.9,
                },
            ])
        } else {
            Mixture([
                LogNormal {
                    weight: 0.97,
                    mu: base.ln(),
                    sigma: 0.45,
                },
                LogNormal {
                    weight: 0.03,
                    mu: (base * 3.0).ln(),
                    sigma: 0.6,
                },
            ])
        }
    }

    /// Splits `n` requests of one method into its five status-code series.
    /// `first` is the index in `SERIES` of the method's success code; the next four
    /// are 404, 429, 500 and 503.
    fn count_codes(&mut self, first: usize, n: u64, p404: f64, p429: f64, p500: f64, p503: f64) {
        let p_ok = (1.0 - p404 - p429 - p500 - p503).max(0.0);
        let split = self.rng.multinomial(n, &[p404, p429, p500, p503, p_ok]);
        self.requests[first + 1] += split[0];
        self.requests[first + 2] += split[1];
        self.requests[first + 3] += split[2];
        self.requests[first + 4] += split[3];
        self.requests[first] += split[4];
    }

    /// Bins of `mix`, from the cache when the mixture has not changed.
    fn latency_bins(&mut self, mix: &Mixture) -> LatencyBins {
        match &self.latency_cache {
            Some((m, b)) if m == mix => *b,
            _ => {
                let b = mix.bins();
                self.latency_cache = Some((*mix, b));
                b
            }
        }
    }

    /// Records `n` latency observations drawn from `mix` (whose bins are `bins`).
    fn observe(&mut self, n: u64, mix: &Mixture, bins: &LatencyBins) {
        if n == 0 {
            return;
        }
        if n <= 24 {
            for _ in 0..n {
                let x = mix.sample(&mut self.rng);
                self.bins[bin_index(x)] += 1;
                self.sum_s += x;
            }
        } else {
            let split = self.rng.multinomial(n, &bins.probs);
            for (i, k) in split.iter().enumerate() {
                self.bins[i] += k;
                self.sum_s += *k as f64 * bins.means[i];
            }
        }
        self.count += n;
    }

    /// Advances this service by `dt` seconds, ending at simulated time `t`.
    fn step(&mut self, dt: f64, t: f64) {
        let sqdt = dt.sqrt();

        // Traffic: wave x slow log-normal noise, then Poisson arrivals.
        self.traffic_noise +=
            -self.traffic_noise * (dt / 60.0).min(1.0) + 0.015 * sqdt * self.rng.normal();
        let wave =
            1.0 + 0.25 * (std::f64::consts::TAU * t / WAVE_PERIOD_S + self.profile.phase).sin();
        let load = wave * self.traffic_noise.exp();
        let rate = self.profile.base_rps * load;
        let n = self.rng.poisson(rate * dt);

        // Status codes.
        self.err_noise += -self.err_noise * (dt / 30.0).min(1.0) + 0.077 * sqdt * self.rng.normal();
        // The noise moves the ratio by roughly +-10-20 %; the clamps keep it within the
        // advertised ranges (about 0.1-0.5 % healthy, 8-20 % in incident).
        let err5 = if self.incident {
            (self.incident_err * (0.3 * self.err_noise).exp()).clamp(0.08, 0.20)
        } else {
            (self.profile.base_5xx * (0.6 * self.err_noise).exp()).clamp(0.001, 0.005)
        };
        let (p500, p503) = (err5 * 0.6, err5 * 0.4);
        let p429 = if self.incident { 0.01 } else { 0.002 };
        let n_get = self.rng.binomial(n, self.profile.get_share);
        let n_post = n - n_get;
        self.count_codes(0, n_get, 0.012, p429, p500, p503);
        self.count_codes(5, n_post, 0.004, p429, p500, p503);

        // Latency.
        let mix = self.latency(load);
        let bins = self.latency_bins(&mix);
        self.observe(n, &mix, &bins);

        // CPU: relaxes toward a load-dependent target.
        let (cpu_target, cpu_tau) = if self.incident {
            (0.9, 20.0)
        } else {
            (
                (self.profile.cpu_base + 0.25 * (load - 0.75)).clamp(0.05, 0.85),
                45.0,
            )
        };
        self.cpu += (cpu_target - self.cpu) * (1.0 - (-dt / cpu_tau).exp())
            + 0.01 * sqdt * self.rng.normal();
        self.cpu = self.cpu.clamp(0.0, 1.0);

        // DB pool: in-flight work (Little's law) when healthy, saturating in incident.
        let max = f64::from(self.profile.db_max);
        let db_target = if self.incident {
            max * 0.97
        } else {
            (max * 0.15 + rate * bins.mean * 0.5).min(max * 0.6)
        };
        self.db_in_use += (db_target - self.db_in_use) * (1.0 - (-dt / 15.0).exp())
            + 0.3 * sqdt * self.rng.normal();
        self.db_in_use = self.db_in_use.clamp(0.0, max);
    }

    fn db_in_use_whole(&self) -> u32 {
        (self.db_in_use.round() as u32).min(self.profile.db_max)
    }
}

/// Who is in incident when, as a function of simulated time (seconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    /// No scheduled incidents.
    None,
    /// `--flip-every`: `service` toggles at every multiple of `every`, starting in
    /// incident at time 0 if `on_at_zero`.
    Flip {
        service: usize,
        every: f64,
        on_at_zero: bool,
    },
    /// `--incident` alone: `service` had the scripted incidents (`SCRIPT_*`) in the past
    /// and is in incident from the moment live serving starts.
    Scripted { service: usize },
}

impl Plan {
    /// The plan for the command line's incident flags.
    fn from_cli(incident: Option<usize>, flip_every: Option<f64>) -> Plan {
        match (incident, flip_every) {
            (service, Some(every)) => Plan::Flip {
                service: service.unwrap_or(0),
                every,
                on_at_zero: service.is_some(),
            },
            (Some(service), None) => Plan::Scripted { service },
            (None, None) => Plan::None,
        }
    }

    /// The planned incident state of service `index` at history time `t`, or `None` if
    /// the plan does not concern it.
    fn history_state(&self, index: usize, t: f64) -> Option<bool> {
        match *self {
            Plan::Flip {
                service,
                every,
                on_at_zero,
            } if service == index => Some(on_at_zero != ((t / every).floor() % 2.0 == 1.0)),
            Plan::Scripted { service } if service == index => {
                let phase = t.rem_euclid(SCRIPT_PERIOD_S);
                Some((SCRIPT_START_S..SCRIPT_START_S + SCRIPT_LEN_S).contains(&phase))
            }
            _ => None,
        }
    }
}

/// `--flip-every` while live: the flipped service toggles whenever simulated time
/// crosses a multiple of `every`.
#[derive(Debug, Clone, Copy)]
struct LiveFlip {
    service: usize,
    every: f64,
    /// Multiples of `every` already applied.
    done: u64,
}

/// The whole simulated fleet, with its own clock (seconds since the epoch).
#[derive(Debug, Clone)]
struct Sim {
    services: Vec<Service>,
    now: f64,
    flip: Option<LiveFlip>,
}

impl Sim {
    #[cfg(test)]
    fn new(names: &[String], seed: u64) -> Self {
        Sim::with_plan(names, seed, &Plan::None)
    }

    /// A fleet at time 0 with `plan` applied.
    fn with_plan(names: &[String], seed: u64, plan: &Plan) -> Self {
        Sim {
            services: names
                .iter()
                .enumerate()
                .map(|(i, n)| Service::start(n, seed, i, plan))
                .collect(),
            now: 0.0,
            flip: None,
        }
    }

    /// Replays the history grid from time 0 up to grid point `to` (time
    /// `to * HISTORY_STEP_S`), following `plan`; services run in parallel.
    fn fast_forward(&mut self, plan: &Plan, to: u64) {
        debug_assert!(self.now == 0.0, "fast_forward starts at time 0");
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, self.services.len().max(1));
        let chunk = self.services.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for (c, part) in self.services.chunks_mut(chunk).enumerate() {
                scope.spawn(move || {
                    for (j, svc) in part.iter_mut().enumerate() {
                        svc.advance_history(c * chunk + j, plan, 0, to);
                    }
                });
            }
        });
        self.now = (to * HISTORY_STEP_S) as f64;
    }

    /// Switches from replaying history to live serving at the current time: `--incident`
    /// turns on, `--flip-every` keeps toggling at multiples of its period.
    fn go_live(&mut self, plan: &Plan) {
        match *plan {
            Plan::None => {}
            Plan::Scripted { service } => self.services[service].set_incident(true),
            Plan::Flip { service, every, .. } => {
                self.flip = Some(LiveFlip {
                    service,
                    every,
                    done: (self.now / every).floor() as u64,
                });
            }
        }
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|s| s.profile.name == name)
    }

    /// Advances the simulation to time `t` (seconds since the epoch), applying
    /// `--flip-every` toggles at their exact times. Never goes back.
    fn advance_to(&mut self, t: f64) {
        if t.is_nan() || t <= self.now {
            return;
        }
        if let Some(mut f) = self.flip {
            let due = (t / f.every).floor() as u64;
            if due.saturating_sub(f.done) > MAX_STEPS as u64 {
                // A very long gap: only the parity of the skipped toggles matters.
                if (due - f.done) % 2 == 1 {
                    let s = &mut self.services[f.service];
                    s.set_incident(!s.incident);
                }
                f.done = due;
            }
            while f.done < due {
                f.done += 1;
                self.advance_steps(f.done as f64 * f.every);
                let s = &mut self.services[f.service];
                s.set_incident(!s.incident);
            }
            self.flip = Some(f);
        }
        self.advance_steps(t);
    }

    /// Advances to time `t` in equal steps of at most `MAX_STEP_S`.
    fn advance_steps(&mut self, t: f64) {
        if t.is_nan() || t <= self.now {
            return;
        }
        let total = t - self.now;
        let steps = (total / MAX_STEP_S).ceil().clamp(1.0, MAX_STEPS);
        let dt = total / steps;
        let start = self.now;
        let steps = steps as u64;
        for i in 1..=steps {
            let tt = start + dt * i as f64;
            for s in &mut self.services {
                s.step(dt, tt);
            }
        }
        self.now = t;
    }

    fn incident_services(&self) -> Vec<&str> {
        self.services
            .iter()
            .filter(|s| s.incident)
            .map(|s| s.profile.name.as_str())
            .collect()
    }

    /// Renders the Prometheus text exposition (format 0.0.4).
    fn render(&self) -> String {
        let mut out = String::with_capacity(256 + self.services.len() * 3200);
        let labels: Vec<String> = self
            .services
            .iter()
            .map(|s| escape_label(&s.profile.name))
            .collect();

        out.push_str(
            "# HELP http_requests_total Total HTTP requests handled, by service, method and status code.\n\
             # TYPE http_requests_total counter\n",
        );
        for (s, svc) in self.services.iter().zip(&labels) {
            for ((method, code), v) in SERIES.iter().zip(&s.requests) {
                let _ = writeln!(
                    out,
                    "http_requests_total{{service=\"{svc}\",method=\"{method}\",code=\"{code}\"}} {v}"
                );
            }
        }

        out.push_str(
            "# HELP http_request_duration_seconds HTTP request latency in seconds.\n\
             # TYPE http_request_duration_seconds histogram\n",
        );
        for (s, svc) in self.services.iter().zip(&labels) {
            let mut cum = 0u64;
            for (le, k) in BUCKET_LABELS.iter().zip(&s.bins) {
                cum += k;
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{service=\"{svc}\",le=\"{le}\"}} {cum}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{service=\"{svc}\"}} {}",
                s.sum_s
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{service=\"{svc}\"}} {}",
                s.count
            );
        }

        out.push_str(
            "# HELP cpu_utilization_ratio CPU utilisation of the service, 0 to 1.\n\
             # TYPE cpu_utilization_ratio gauge\n",
        );
        for (s, svc) in self.services.iter().zip(&labels) {
            let _ = writeln!(
                out,
                "cpu_utilization_ratio{{service=\"{svc}\"}} {:.4}",
                s.cpu
            );
        }

        out.push_str(
            "# HELP db_pool_connections_in_use Database pool connections currently in use.\n\
             # TYPE db_pool_connections_in_use gauge\n",
        );
        for (s, svc) in self.services.iter().zip(&labels) {
            let _ = writeln!(
                out,
                "db_pool_connections_in_use{{service=\"{svc}\"}} {}",
                s.db_in_use_whole()
            );
        }

        out.push_str(
            "# HELP db_pool_connections_max Size of the database connection pool.\n\
             # TYPE db_pool_connections_max gauge\n",
        );
        for (s, svc) in self.services.iter().zip(&labels) {
            let _ = writeln!(
                out,
                "db_pool_connections_max{{service=\"{svc}\"}} {}",
                s.profile.db_max
            );
        }

        out.push_str(
            "# HELP sretop_demo_incident Whether the simulated service is in incident (1) or not (0).\n\
             # TYPE sretop_demo_incident gauge\n",
        );
        for (s, svc) in self.services.iter().zip(&labels) {
            let _ = writeln!(
                out,
                "sretop_demo_incident{{service=\"{svc}\"}} {}",
                u8::from(s.incident)
            );
        }
        out
    }
}

/// Escapes a label value for the text exposition format.
fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Application (routing, independent of sockets)
// ---------------------------------------------------------------------------

struct App {
    sim: Mutex<Sim>,
    start: Instant,
    /// Simulated time at `start`.
    offset: f64,
}

impl App {
    #[cfg(test)]
    fn new(sim: Sim) -> Self {
        App::with_offset(sim, 0.0)
    }

    /// An app whose simulated time is `offset` now.
    fn with_offset(sim: Sim, offset: f64) -> Self {
        App {
            sim: Mutex::new(sim),
            start: Instant::now(),
            offset,
        }
    }

    /// Simulated time: seconds since the epoch.
    fn elapsed(&self) -> f64 {
        self.offset + self.start.elapsed().as_secs_f64()
    }

    /// Locks the simulation and brings it up to the wall clock.
    fn sim_now(&self) -> MutexGuard<'_, Sim> {
        let now = self.elapsed();
        let mut sim = self.sim.lock().unwrap_or_else(|e| e.into_inner());
        sim.advance_to(now);
        sim
    }

    /// Toggles (or sets) a service's incident state; returns the new state.
    fn set_incident(&self, service: &str, on: Option<bool>) -> Option<bool> {
        let mut sim = self.sim_now();
        let i = sim.index_of(service)?;
        let s = &mut sim.services[i];
        let new = on.unwrap_or(!s.incident);
        s.set_incident(new);
        Some(new)
    }

    fn handle(&self, method: &str, target: &str, body: &[u8]) -> Response {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, q),
            None => (target, ""),
        };
        let is_get = method == "GET" || method == "HEAD";
        match path {
            "/metrics" => {
                if !is_get {
                    return Response::method_not_allowed("GET, HEAD");
                }
                let body = self.sim_now().render();
                Response {
                    status: 200,
                    content_type: "text/plain; version=0.0.4; charset=utf-8",
                    allow: None,
                    body,
                }
            }
            "/" => {
                if !is_get {
                    return Response::method_not_allowed("GET, HEAD");
                }
                Response::text(
                    200,
                    "sretop-demo: simulated services for sretop\n\
                     GET  /metrics                                 Prometheus metrics\n\
                     GET  /incident                                services in incident, one per line\n\
                     POST /incident?service=NAME&on=true|false     set incident state\n\
                     POST /incident/toggle?service=NAME            toggle incident state\n",
                )
            }
            "/incident" if is_get => {
                let sim = self.sim_now();
                let mut body = String::new();
                for s in sim.incident_services() {
                    body.push_str(s);
                    body.push('\n');
                }
                Response::text(200, body)
            }
            "/incident" | "/incident/toggle" => {
                if method != "POST" {
                    let allow = if path == "/incident" {
                        "GET, HEAD, POST"
                    } else {
                        "POST"
                    };
                    return Response::method_not_allowed(allow);
                }
                let mut params = parse_query(query);
                if let Ok(b) = std::str::from_utf8(body) {
                    params.extend(parse_query(b.trim()));
                }
                let param = |k: &str| {
                    params
                        .iter()
                        .find(|(pk, _)| pk == k)
                        .map(|(_, v)| v.as_str())
                };
                let Some(service) = param("service").filter(|s| !s.is_empty()) else {
                    return Response::text(400, "missing query parameter: service=NAME\n");
                };
                let on = if path == "/incident" {
                    match param("on").map(parse_bool) {
                        Some(Some(b)) => Some(b),
                        Some(None) => {
                            return Response::text(
                                400,
                                "invalid value for on: expected true or false\n",
                            )
                        }
                        None => {
                            return Response::text(400, "missing query parameter: on=true|false\n")
                        }
                    }
                } else {
                    None
                };
                match self.set_incident(service, on) {
                    Some(state) => Response::text(
                        200,
                        format!("{service}: incident {}\n", if state { "on" } else { "off" }),
                    ),
                    None => Response::text(404, format!("unknown service: {service}\n")),
                }
            }
            _ => Response::text(404, format!("not found: {path}\n")),
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "yes" => Some(true),
        "false" | "0" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// Parses `a=b&c=d` with percent-decoding; malformed escapes are kept literally.
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/// Largest request head (request line + headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Largest request body accepted (bodies are only used for form parameters).
const MAX_BODY: usize = 64 * 1024;
/// Longest request target accepted.
const MAX_TARGET: usize = 4096;
/// Time allowed to read a request or write a response.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; further ones wait in the kernel backlog.
const MAX_CONNS: usize = 256;

#[derive(Debug)]
struct Response {
    status: u16,
    content_type: &'static str,
    allow: Option<&'static str>,
    body: String,
}

impl Response {
    fn text(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            allow: None,
            body: body.into(),
        }
    }

    fn method_not_allowed(allow: &'static str) -> Self {
        Response {
            allow: Some(allow),
            ..Response::text(405, format!("method not allowed; use {allow}\n"))
        }
    }

    fn to_bytes(&self, head_only: bool) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        if let Some(a) = self.allow {
            let _ = write!(head, "Allow: {a}\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        if !head_only {
            out.extend_from_slice(self.body.as_bytes());
        }
        out
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

/// A parsed HTTP/1.x request line.
#[derive(Debug, PartialEq, Eq)]
struct RequestLine<'a> {
    method: &'a str,
    target: &'a str,
}

/// Parses `METHOD SP TARGET SP HTTP/1.x`, rejecting anything else with a status code
/// and message.
fn parse_request_line(line: &[u8]) -> Result<RequestLine<'_>, (u16, &'static str)> {
    let line = std::str::from_utf8(line).map_err(|_| (400, "request line is not UTF-8"))?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err((400, "malformed request line"));
    };
    if method.is_empty() || method.len() > 16 || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err((400, "invalid method"));
    }
    if !target.starts_with('/') || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err((400, "invalid request target"));
    }
    if target.len() > MAX_TARGET {
        return Err((414, "request target too long"));
    }
    match version {
        "HTTP/1.1" | "HTTP/1.0" => Ok(RequestLine { method, target }),
        v if v.starts_with("HTTP/") => Err((505, "only HTTP/1.0 and HTTP/1.1 are supported")),
        _ => Err((400, "invalid HTTP version")),
    }
}

/// What the request head says about the body.
#[derive(Debug, PartialEq, Eq)]
enum BodyLen {
    None,
    Len(usize),
}

/// Reads the headers (everything after the request line) for a body length.
fn parse_headers(headers: &[u8]) -> Result<BodyLen, (u16, &'static str)> {
    let text = std::str::from_utf8(headers).map_err(|_| (400, "headers are not UTF-8"))?;
    let mut len = BodyLen::None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err((400, "malformed header line"));
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err((501, "chunked request bodies are not supported"));
        }
        if name.eq_ignore_ascii_case("content-length") {
            let n: usize = value
                .trim()
                .parse()
                .map_err(|_| (400, "invalid Content-Length"))?;
            if n > MAX_BODY {
                return Err((413, "request body too large"));
            }
            len = BodyLen::Len(n);
        }
    }
    Ok(len)
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Reads one request and produces the response (or `None` if the client sent nothing).
async fn read_and_handle(stream: &mut TcpStream, app: &App) -> Option<(Response, bool)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = find_head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Some((Response::text(431, "request head too large\n"), false));
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) if buf.is_empty() => return None,
            Ok(0) => return Some((Response::text(400, "incomplete request\n"), false)),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return None,
        }
    };
    let head = &buf[..head_end - 4];
    let (line, headers) = match head.windows(2).position(|w| w == b"\r\n") {
        Some(p) => (&head[..p], &head[p + 2..]),
        None => (head, &head[head.len()..]),
    };
    let req = match parse_request_line(line) {
        Ok(r) => r,
        Err((code, msg)) => return Some((Response::text(code, format!("{msg}\n")), false)),
    };
    let head_only = req.method == "HEAD";
    let body_len = match parse_headers(headers) {
        Ok(BodyLen::Len(n)) => n,
        Ok(BodyLen::None) => 0,
        Err((code, msg)) => return Some((Response::text(code, format!("{msg}\n")), head_only)),
    };
    let mut body = buf[head_end..].to_vec();
    while body.len() < body_len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                return Some((Response::text(400, "incomplete request body\n"), head_only))
            }
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(body_len);
    Some((app.handle(req.method, req.target, &body), head_only))
}

async fn serve_conn(mut stream: TcpStream, app: Arc<App>) {
    let resp = match tokio::time::timeout(IO_TIMEOUT, read_and_handle(&mut stream, &app)).await {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(_) => (Response::text(408, "request timeout\n"), false),
    };
    let bytes = resp.0.to_bytes(resp.1);
    let _ = tokio::time::timeout(IO_TIMEOUT, async {
        let _ = stream.write_all(&bytes).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

async fn accept_loop(listener: TcpListener, app: Arc<App>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((stream, _)) => {
                let app = app.clone();
                tokio::spawn(async move {
                    serve_conn(stream, app).await;
                    drop(permit);
                });
            }
            Err(_) => {
                // E.g. out of file descriptors: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = async {
            match signal(SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5EED)
        ^ u64::from(std::process::id())
}

/// Seconds since the Unix epoch, now.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `3600` -> `1h`, `5400` -> `1h30m`, `95` -> `1m35s`.
fn human_secs(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if s > 0 || out.is_empty() {
        let _ = write!(out, "{s}s");
    }
    out
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let names = match service_names(&cli) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("sretop-demo: {e}");
            return ExitCode::from(2);
        }
    };
    let incident = match &cli.incident {
        None => None,
        Some(inc) => match names.iter().position(|n| n == inc) {
            Some(i) => Some(i),
            None => {
                eprintln!(
                    "sretop-demo: --incident {inc:?} is not one of the simulated services ({})",
                    abbreviate(&names)
                );
                return ExitCode::from(2);
            }
        },
    };
    let plan = Plan::from_cli(incident, cli.flip_every);
    let seed = cli.seed.unwrap_or_else(clock_seed);
    let now = unix_now();
    if let Some(e) = cli.epoch {
        if e as f64 > now {
            eprintln!("sretop-demo: --epoch {e} is in the future");
            return ExitCode::from(2);
        }
        if now - e as f64 > MAX_HISTORY_S {
            eprintln!(
                "sretop-demo: --epoch {e} is more than {} days ago",
                MAX_HISTORY_S / 86_400.0
            );
            return ExitCode::from(2);
        }
    }
    if let (Some(duration), Some(out)) = (cli.backfill, &cli.backfill_out) {
        return backfill_main(&cli, &names, plan, seed, now, duration, out);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sretop-demo: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(&cli, &names, plan, seed))
}

/// Live serving: replays the history since `--epoch` (if given), then serves.
async fn serve(cli: &Cli, names: &[String], plan: Plan, seed: u64) -> ExitCode {
    let listener = match TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sretop-demo: cannot listen on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    let mut sim = Sim::with_plan(names, seed, &plan);
    let offset = match cli.epoch {
        None => 0.0,
        Some(epoch) => {
            let took = Instant::now();
            let grid = ((unix_now() - epoch as f64).max(0.0) / HISTORY_STEP_S as f64) as u64;
            sim.fast_forward(&plan, grid);
            eprintln!(
                "sretop-demo: replayed {} of history since epoch {epoch} (seed {seed}) in {:.2} s",
                human_secs(grid * HISTORY_STEP_S),
                took.elapsed().as_secs_f64()
            );
            (unix_now() - epoch as f64).max(sim.now)
        }
    };
    sim.go_live(&plan);
    let addr = listener.local_addr().unwrap_or(cli.listen);
    eprintln!(
        "sretop-demo: serving {} services on http://{addr}/metrics",
        names.len()
    );
    let app = Arc::new(App::with_offset(sim, offset));
    tokio::select! {
        () = accept_loop(listener, app) => {}
        () = shutdown_signal() => {}
    }
    ExitCode::SUCCESS
}

/// `--backfill`: writes the history of the last `duration` seconds to `out`.
fn backfill_main(
    cli: &Cli,
    names: &[String],
    plan: Plan,
    seed: u64,
    now: f64,
    duration: f64,
    out: &Path,
) -> ExitCode {
    let from = (now - duration).max(0.0).floor();
    let epoch = cli.epoch.unwrap_or(from as u64);
    if now - epoch as f64 > MAX_HISTORY_S {
        eprintln!(
            "sretop-demo: cannot backfill more than {} days",
            MAX_HISTORY_S / 86_400.0
        );
        return ExitCode::from(2);
    }
    if (epoch as f64) > from {
        eprintln!(
            "sretop-demo: the epoch is later than {} ago: backfilling from the epoch only",
            human_secs(duration.round() as u64)
        );
    }
    let step = cli.backfill_step;
    let span = |t: f64| ((t - epoch as f64).max(0.0) / step as f64).ceil() as u64;
    let (first, end) = (span(from), span(now));
    if end <= first {
        eprintln!("sretop-demo: nothing to backfill: the range holds no sample at a {step} s step");
        return ExitCode::from(2);
    }
    let backfill = Backfill {
        names,
        seed,
        plan,
        epoch,
        step,
        first,
        count: end - first,
        job: &cli.backfill_job,
        instance: &cli
            .backfill_instance
            .clone()
            .unwrap_or_else(|| cli.listen.to_string()),
    };
    let took = Instant::now();
    let written = std::fs::File::create(out).and_then(|f| {
        let mut w = BufWriter::with_capacity(1 << 20, f);
        backfill.write(&mut w)?;
        let f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok(f.metadata()?.len())
    });
    let bytes = match written {
        Ok(b) => b,
        Err(e) => {
            eprintln!("sretop-demo: cannot write {}: {e}", out.display());
            let _ = std::fs::remove_file(out);
            return ExitCode::FAILURE;
        }
    };
    let (t0, t1) = (backfill.timestamp(first), backfill.timestamp(end - 1));
    eprintln!(
        "sretop-demo: wrote {} of history for {} services ({} samples x {} series, {:.1} MB) to {} in {:.2} s",
        human_secs(duration.min(now - epoch as f64).round() as u64),
        names.len(),
        backfill.count,
        names.len() * SERIES_PER_SERVICE,
        bytes as f64 / 1e6,
        out.display(),
        took.elapsed().as_secs_f64()
    );
    // For scripts: what the live exporter needs to continue this history.
    println!("seed={seed} epoch={epoch} start={t0} end={t1} step={step}");
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------
// Backfill (OpenMetrics)
// ---------------------------------------------------------------------------

/// Series written per service: requests, histogram buckets + sum + count, four gauges.
const SERIES_PER_SERVICE: usize = SERIES.len() + BUCKET_LABELS.len() + 2 + 4;

/// Simulated history as OpenMetrics: samples at `epoch + j * step` for `j` in
/// `first..first + count`, each the state at the last history grid point at or before
/// it (exactly what a live exporter with the same seed and epoch reports then).
///
/// Families are written one after the other, and within a family one series (one
/// histogram metric) after the other, as OpenMetrics requires. To keep memory small,
/// each family replays each service's history again: memory is a few services' states
/// (about 220 bytes per sample each, 4 MB for 24 h at 5 s), independent of the number of
/// services.
struct Backfill<'a> {
    names: &'a [String],
    seed: u64,
    plan: Plan,
    epoch: u64,
    step: u64,
    first: u64,
    count: u64,
    /// `job` and `instance` labels, as Prometheus attaches them when it scrapes.
    job: &'a str,
    instance: &'a str,
}

impl Backfill<'_> {
    /// Unix time of sample `j`, in seconds.
    fn timestamp(&self, j: u64) -> u64 {
        self.epoch + j * self.step
    }

    /// Replays service `index` through the samples: its state at each one.
    fn replay(&self, index: usize) -> Vec<Snapshot> {
        let mut svc = Service::start(&self.names[index], self.seed, index, &self.plan);
        let mut at = 0;
        (self.first..self.first + self.count)
            .map(|j| {
                let grid = j * self.step / HISTORY_STEP_S;
                svc.advance_history(index, &self.plan, at, grid);
                at = grid;
                Snapshot {
                    requests: svc.requests,
                    bins: svc.bins,
                    sum_s: svc.sum_s,
                    count: svc.count,
                    cpu: svc.cpu,
                    db_in_use: svc.db_in_use_whole(),
                }
            })
            .collect()
    }

    /// Writes the whole history. A second thread replays the services (once for each
    /// family that needs it) while this one formats.
    fn write(&self, w: &mut impl io::Write) -> io::Result<()> {
        const REPLAYED_FAMILIES: usize = 4;
        let n = self.names.len();
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Snapshot>>(1);
            scope.spawn(move || {
                for _ in 0..REPLAYED_FAMILIES {
                    for i in 0..n {
                        if tx.send(self.replay(i)).is_err() {
                            return; // the writer gave up
                        }
                    }
                }
            });
            let mut next = || {
                rx.recv()
                    .map_err(|_| io::Error::other("the replay thread stopped"))
            };
            self.write_families(w, &mut next)
        })
    }

    /// Writes the families; `next` yields the replayed services in order, once per
    /// replayed family.
    fn write_families(
        &self,
        w: &mut impl io::Write,
        next: &mut impl FnMut() -> io::Result<Vec<Snapshot>>,
    ) -> io::Result<()> {
        let target = format!(
            "instance=\"{}\",job=\"{}\"",
            escape_label(self.instance),
            escape_label(self.job)
        );
        // `service="..."` plus the target labels, per service.
        let labels: Vec<String> = self
            .names
            .iter()
            .map(|n| format!("service=\"{}\",{target}", escape_label(n)))
            .collect();
        let timestamps: Vec<u64> = (self.first..self.first + self.count)
            .map(|j| self.timestamp(j))
            .collect();

        w.write_all(
            b"# TYPE http_requests counter\n\
              # HELP http_requests Total HTTP requests handled, by service, method and status code.\n",
        )?;
        for l in &labels {
            let snaps = next()?;
            for (c, (method, code)) in SERIES.iter().enumerate() {
                let name =
                    format!("http_requests_total{{{l},method=\"{method}\",code=\"{code}\"}}");
                for (s, ts) in snaps.iter().zip(&timestamps) {
                    writeln!(w, "{name} {} {ts}", s.requests[c])?;
                }
            }
        }

        w.write_all(
            b"# TYPE http_request_duration_seconds histogram\n\
              # HELP http_request_duration_seconds HTTP request latency in seconds.\n",
        )?;
        for l in &labels {
            let snaps = next()?;
            let buckets = BUCKET_LABELS
                .map(|le| format!("http_request_duration_seconds_bucket{{{l},le=\"{le}\"}}"));
            for (s, ts) in snaps.iter().zip(&timestamps) {
                let mut cum = 0u64;
                for (name, k) in buckets.iter().zip(&s.bins) {
                    cum += k;
                    writeln!(w, "{name} {cum} {ts}")?;
                }
                writeln!(
                    w,
                    "http_request_duration_seconds_count{{{l}}} {} {ts}",
                    s.count
                )?;
                writeln!(
                    w,
                    "http_request_duration_seconds_sum{{{l}}} {} {ts}",
                    s.sum_s
                )?;
            }
        }

        w.write_all(
            b"# TYPE cpu_utilization_ratio gauge\n\
              # HELP cpu_utilization_ratio CPU utilisation of the service, 0 to 1.\n",
        )?;
        for l in &labels {
            for (s, ts) in next()?.iter().zip(&timestamps) {
                writeln!(w, "cpu_utilization_ratio{{{l}}} {:.4} {ts}", s.cpu)?;
            }
        }

        w.write_all(
            b"# TYPE db_pool_connections_in_use gauge\n\
              # HELP db_pool_connections_in_use Database pool connections currently in use.\n",
        )?;
        for l in &labels {
            for (s, ts) in next()?.iter().zip(&timestamps) {
                writeln!(w, "db_pool_connections_in_use{{{l}}} {} {ts}", s.db_in_use)?;
            }
        }

        // The last two families need no replay: the pool size is fixed, and without
        // HTTP toggles the incident state is the plan's.
        w.write_all(
            b"# TYPE db_pool_connections_max gauge\n\
              # HELP db_pool_connections_max Size of the database connection pool.\n",
        )?;
        for (i, l) in labels.iter().enumerate() {
            let max = Service::start(&self.names[i], self.seed, i, &self.plan)
                .profile
                .db_max;
            for ts in &timestamps {
                writeln!(w, "db_pool_connections_max{{{l}}} {max} {ts}")?;
            }
        }

        w.write_all(
            b"# TYPE sretop_demo_incident gauge\n\
              # HELP sretop_demo_incident Whether the simulated service is in incident (1) or not (0).\n",
        )?;
        for (i, l) in labels.iter().enumerate() {
            for (j, ts) in (self.first..).zip(&timestamps) {
                let grid = j * self.step / HISTORY_STEP_S;
                let on = self
                    .plan
                    .history_state(i, (grid * HISTORY_STEP_S) as f64)
                    .unwrap_or(false);
                writeln!(w, "sretop_demo_incident{{{l}}} {} {ts}", u8::from(on))?;
            }
        }
        w.write_all(b"# EOF\n")
    }
}

/// What the backfill needs of a service at one sample.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    requests: [u64; SERIES.len()],
    bins: [u64; BINS],
    sum_s: f64,
    count: u64,
    cpu: f64,
    db_in_use: u32,
}

fn abbreviate(names: &[String]) -> String {
    if names.len() <= 5 {
        names.join(", ")
    } else {
        format!("{}, ... {}", names[..3].join(", "), names[names.len() - 1])
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A parsed sample line: metric name, labels, value.
    type Sample = (String, BTreeMap<String, String>, f64);

    fn is_name(s: &str) -> bool {
        let mut chars = s.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }

    /// Strict parser for one sample line `name{k="v",...} value`.
    fn parse_sample(line: &str) -> Result<Sample, String> {
        let (name, rest) = match line.find('{') {
            Some(i) => (&line[..i], &line[i..]),
            None => line
                .split_once(' ')
                .map(|(n, _)| (n, &line[n.len()..]))
                .ok_or("no value")?,
        };
        if !is_name(name) {
            return Err(format!("bad metric name {name:?}"));
        }
        let mut labels = BTreeMap::new();
        let mut rest = rest;
        if let Some(r) = rest.strip_prefix('{') {
            let mut r = r;
            loop {
                if let Some(after) = r.strip_prefix('}') {
                    r = after;
                    break;
                }
                let eq = r.find('=').ok_or("label without =")?;
                let key = &r[..eq];
                if !is_name(key) {
                    return Err(format!("bad label name {key:?}"));
                }
                let mut chars = r[eq + 1..].char_indices();
                if chars.next().map(|c| c.1) != Some('"') {
                    return Err("label value not quoted".into());
                }
                let mut val = String::new();
                let mut end = None;
                let mut esc = false;
                for (i, c) in chars {
                    if esc {
                        val.push(match c {
                            'n' => '\n',
                            c => c,
                        });
                        esc = false;
                    } else if c == '\\' {
                        esc = true;
                    } else if c == '"' {
                        end = Some(eq + 1 + i + 1);
                        break;
                    } else {
                        val.push(c);
                    }
                }
                let end = end.ok_or("unterminated label value")?;
                if labels.insert(key.to_string(), val).is_some() {
                    return Err("duplicate label".into());
                }
                r = &r[end..];
                if let Some(after) = r.strip_prefix(',') {
                    r = after;
                } else if !r.starts_with('}') {
                    return Err("expected , or }".into());
                }
            }
            rest = r;
        }
        let value = rest.strip_prefix(' ').ok_or("no space before value")?;
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| format!("bad value {v:?}"))?,
        };
        Ok((name.to_string(), labels, v))
    }

    /// Parses a whole exposition, checking comment lines and TYPE/HELP ordering.
    fn parse_exposition(text: &str) -> Vec<Sample> {
        assert!(text.ends_with('\n'), "exposition must end with a newline");
        let mut samples = Vec::new();
        let mut typed: BTreeMap<String, String> = BTreeMap::new();
        for line in text.lines() {
            if let Some(c) = line.strip_prefix("# ") {
                let mut parts = c.splitn(3, ' ');
                let kind = parts.next().unwrap();
                let name = parts.next().unwrap();
                let rest = parts.next().unwrap();
                assert!(is_name(name), "bad name in comment: {line}");
                match kind {
                    "HELP" => assert!(!rest.is_empty()),
                    "TYPE" => {
                        assert!(
                            ["counter", "gauge", "histogram"].contains(&rest),
                            "type {rest}"
                        );
                        assert!(typed.insert(name.into(), rest.into()).is_none());
                    }
                    _ => panic!("unexpected comment {line}"),
                }
                continue;
            }
            assert!(!line.is_empty() && !line.starts_with('#'), "line {line:?}");
            let s = parse_sample(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suf| s.0.strip_suffix(suf))
                .filter(|base| typed.get(*base).map(String::as_str) == Some("histogram"))
                .unwrap_or(&s.0);
            assert!(typed.contains_key(family), "sample before TYPE: {line}");
            assert!(s.2.is_finite() && s.2 >= 0.0, "value {line}");
            samples.push(s);
        }
        samples
    }

    fn get<'a>(
        samples: &'a [Sample],
        name: &'a str,
        service: &'a str,
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        samples
            .iter()
            .filter(move |s| s.0 == name && s.1.get("service").map(String::as_str) == Some(service))
    }

    fn check_consistency(samples: &[Sample], services: &[String]) {
        for svc in services {
            let buckets: Vec<&Sample> =
                get(samples, "http_request_duration_seconds_bucket", svc).collect();
            let les: Vec<&str> = buckets.iter().map(|s| s.1["le"].as_str()).collect();
            assert_eq!(les, BUCKET_LABELS.to_vec());
            for w in buckets.windows(2) {
                assert!(w[0].2 <= w[1].2, "bucket not monotonic for {svc}");
            }
            let inf = buckets.last().unwrap().2;
            let count = get(samples, "http_request_duration_seconds_count", svc)
                .next()
                .unwrap()
                .2;
            let sum = get(samples, "http_request_duration_seconds_sum", svc)
                .next()
                .unwrap()
                .2;
            assert_eq!(inf, count, "+Inf != _count for {svc}");
            let reqs: f64 = get(samples, "http_requests_total", svc).map(|s| s.2).sum();
            assert_eq!(
                reqs, count,
                "_count != sum of http_requests_total for {svc}"
            );
            assert!(sum >= 0.0);
            assert_eq!(
                get(samples, "http_requests_total", svc).count(),
                SERIES.len()
            );
            let cpu = get(samples, "cpu_utilization_ratio", svc).next().unwrap().2;
            assert!((0.0..=1.0).contains(&cpu));
            let used = get(samples, "db_pool_connections_in_use", svc)
                .next()
                .unwrap()
                .2;
            let max = get(samples, "db_pool_connections_max", svc)
                .next()
                .unwrap()
                .2;
            assert!(used <= max);
            let inc = get(samples, "sretop_demo_incident", svc).next().unwrap().2;
            assert!(inc == 0.0 || inc == 1.0);
        }
    }

    #[test]
    fn exposition_is_well_formed_and_consistent() {
        let svcs = names(&["api", "checkout", "search", "we\"ird\\name"]);
        let mut sim = Sim::new(&svcs, 42);
        sim.services[1].set_incident(true);
        let mut prev: Option<Vec<Sample>> = None;
        for t in [0.0, 0.3, 5.0, 10.0, 17.5, 60.0, 3600.0, 3605.0] {
            sim.advance_to(t);
            let samples = parse_exposition(&sim.render());
            check_consistency(&samples, &svcs);
            if let Some(p) = &prev {
                // Counters and histogram series never go down.
                for (a, b) in p.iter().zip(&samples) {
                    assert_eq!((&a.0, &a.1), (&b.0, &b.1));
                    if a.0.starts_with("http_") {
                        assert!(b.2 >= a.2, "{} went down", a.0);
                    }
                }
            }
            prev = Some(samples);
        }
        let last = prev.unwrap();
        let api_count = get(&last, "http_request_duration_seconds_count", "api")
            .next()
            .unwrap()
            .2;
        // ~120 req/s for an hour.
        assert!((300_000.0..600_000.0).contains(&api_count), "{api_count}");
    }

    #[test]
    fn generated_services_and_determinism() {
        let cli = Cli::parse_from(["sretop-demo", "--service-count", "50"]);
        let svcs = service_names(&cli).unwrap();
        assert_eq!(svcs.len(), 50);
        assert_eq!(svcs[0], "svc-001");
        assert_eq!(svcs[49], "svc-050");
        let mut a = Sim::new(&svcs, 7);
        let mut b = Sim::new(&svcs, 7);
        a.advance_to(30.0);
        b.advance_to(30.0);
        assert_eq!(a.render(), b.render());
        check_consistency(&parse_exposition(&a.render()), &svcs);
    }

    #[test]
    fn cli_validation() {
        let cli = Cli::parse_from(["sretop-demo"]);
        assert_eq!(
            service_names(&cli).unwrap(),
            names(&["api", "checkout", "search"])
        );
        assert_eq!(cli.listen.to_string(), "127.0.0.1:9464");
        let cli = Cli::parse_from(["sretop-demo", "--services", "a,,b"]);
        assert!(service_names(&cli).is_err());
        let cli = Cli::parse_from(["sretop-demo", "--services", "a,b,a"]);
        assert!(service_names(&cli).is_err());
        assert!(
            Cli::try_parse_from(["sretop-demo", "--services", "a", "--service-count", "3"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["sretop-demo", "--service-count", "0"]).is_err());
        assert_eq!(parse_duration_secs("90").unwrap(), 90.0);
        assert_eq!(parse_duration_secs("90s").unwrap(), 90.0);
        assert_eq!(parse_duration_secs("2m").unwrap(), 120.0);
        assert!(parse_duration_secs("0").is_err());
        assert!(parse_duration_secs("soon").is_err());
        assert!(parse_duration_secs("-5").is_err());
    }

    /// (5xx ratio, mean latency, share of requests at or under 300 ms) of a service
    /// over a simulated window.
    fn stats(sim: &Sim, name: &str) -> (f64, f64, f64) {
        let s = &sim.services[sim.index_of(name).unwrap()];
        let total: u64 = s.requests.iter().sum();
        let errors: u64 = SERIES
            .iter()
            .zip(&s.requests)
            .filter(|((_, code), _)| code.starts_with('5'))
            .map(|(_, v)| v)
            .sum();
        let under_300ms: u64 = s.bins[..=6].iter().sum();
        (
            errors as f64 / total as f64,
            s.sum_s / s.count as f64,
            under_300ms as f64 / s.count as f64,
        )
    }

    #[test]
    fn incident_raises_error_ratio_and_latency() {
        let svcs = names(&["api", "checkout", "search"]);
        for seed in 1..=5 {
            let mut calm = Sim::new(&svcs, seed);
            let mut hot = Sim::new(&svcs, seed);
            hot.services[1].set_incident(true);
            for i in 1..=120 {
                calm.advance_to(f64::from(i) * 5.0);
                hot.advance_to(f64::from(i) * 5.0);
            }
            let (err_calm, lat_calm, fast_calm) = stats(&calm, "checkout");
            let (err_hot, lat_hot, fast_hot) = stats(&hot, "checkout");
            assert!((0.0007..0.006).contains(&err_calm), "calm 5xx {err_calm}");
            assert!((0.075..0.21).contains(&err_hot), "incident 5xx {err_hot}");
            // checkout's median is ~120 ms; the mean sits a bit above it.
            assert!((0.09..0.25).contains(&lat_calm), "calm latency {lat_calm}");
            assert!(lat_hot > 4.0 * lat_calm, "latency {lat_calm} -> {lat_hot}");
            assert!(fast_calm > 0.9 && fast_hot < 0.3, "{fast_calm} {fast_hot}");
            let hot_svc = &hot.services[1];
            assert!(hot_svc.cpu > 0.8, "cpu {}", hot_svc.cpu);
            assert!(hot_svc.db_in_use_whole() > 40);
            let calm_svc = &calm.services[1];
            assert!((0.2..0.7).contains(&calm_svc.cpu), "cpu {}", calm_svc.cpu);
            assert!(calm_svc.db_in_use_whole() < 35);
            // Other services are untouched by checkout's incident.
            assert!(stats(&hot, "api").0 < 0.006);
            // Latencies per service are ordered as designed (api < search < checkout).
            let (_, api_lat, _) = stats(&calm, "api");
            let (_, search_lat, _) = stats(&calm, "search");
            assert!(api_lat < search_lat && search_lat < lat_calm);
            // Turning the incident off brings the error ratio back down.
            let before: u64 = hot.services[1].requests.iter().sum();
            let errors_before = hot.services[1].requests[3]
                + hot.services[1].requests[4]
                + hot.services[1].requests[8]
                + hot.services[1].requests[9];
            hot.services[1].set_incident(false);
            hot.advance_to(1200.0);
            let after: u64 = hot.services[1].requests.iter().sum();
            let errors_after = hot.services[1].requests[3]
                + hot.services[1].requests[4]
                + hot.services[1].requests[8]
                + hot.services[1].requests[9];
            let recovered = (errors_after - errors_before) as f64 / (after - before) as f64;
            assert!(recovered < 0.006, "after the incident: {recovered}");
        }
    }

    #[test]
    fn traffic_rates_follow_profiles() {
        let svcs = names(&["api", "checkout", "search"]);
        let mut sim = Sim::new(&svcs, 11);
        sim.advance_to(600.0); // one full wave period
        let rate = |n: &str| sim.services[sim.index_of(n).unwrap()].count as f64 / 600.0;
        assert!((95.0..145.0).contains(&rate("api")), "api {}", rate("api"));
        assert!((18.0..32.0).contains(&rate("checkout")));
        assert!((45.0..75.0).contains(&rate("search")));
    }

    #[test]
    fn samplers_are_sane() {
        let mut rng = Rng::new(1);
        for &(n, p) in &[(10u64, 0.3), (1000, 0.001), (100_000, 0.2), (500, 0.9)] {
            let trials = 2000;
            let mean: f64 =
                (0..trials).map(|_| rng.binomial(n, p) as f64).sum::<f64>() / f64::from(trials);
            let expect = n as f64 * p;
            assert!(
                (mean - expect).abs() < 0.05 * expect + 0.1,
                "{n} {p} {mean}"
            );
        }
        for &lambda in &[0.5, 5.0, 50.0, 5000.0] {
            let mean: f64 = (0..2000).map(|_| rng.poisson(lambda) as f64).sum::<f64>() / 2000.0;
            assert!(
                (mean - lambda).abs() < 0.05 * lambda + 0.1,
                "{lambda} {mean}"
            );
        }
        // Small n (inversion): mean, variance and the range are right.
        for &(n, p) in &[(5u64, 0.5), (20, 0.05), (48, 0.3), (48, 0.01)] {
            let draws: Vec<f64> = (0..20_000).map(|_| rng.binomial(n, p) as f64).collect();
            let mean = draws.iter().sum::<f64>() / draws.len() as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            let (m, v) = (n as f64 * p, n as f64 * p * (1.0 - p));
            assert!((mean - m).abs() < 0.03 * m + 0.02, "{n} {p}: mean {mean}");
            assert!((var - v).abs() < 0.06 * v + 0.02, "{n} {p}: variance {var}");
            assert!(draws.iter().all(|&x| x <= n as f64));
        }
        let mut normals = Rng::new(9);
        let z: Vec<f64> = (0..20_001).map(|_| normals.normal()).collect();
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / z.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.04,
            "{mean} {var}"
        );
        let split = rng.multinomial(1000, &[0.5, 0.25, 0.25]);
        assert_eq!(split.iter().sum::<u64>(), 1000);
        assert!((phi(0.0) - 0.5).abs() < 1e-7);
        assert!((phi(1.96) - 0.975).abs() < 1e-3);
        assert!((phi(-1.96) - 0.025).abs() < 1e-3);
    }

    #[test]
    fn request_line_parser_rejects_garbage() {
        assert_eq!(
            parse_request_line(b"GET /metrics HTTP/1.1"),
            Ok(RequestLine {
                method: "GET",
                target: "/metrics"
            })
        );
        assert!(parse_request_line(b"POST /incident?service=a&on=true HTTP/1.0").is_ok());
        for bad in [
            &b""[..],
            b"GARBAGE",
            b"GET",
            b"GET /metrics",
            b"GET /metrics HTTP/1.1 extra",
            b"GET  /metrics HTTP/1.1",
            b"get /metrics HTTP/1.1",
            b"GET metrics HTTP/1.1",
            b"GET http://x/metrics HTTP/1.1",
            b"GET /met\x01rics HTTP/1.1",
            b"GET /metrics FTP/1.1",
            b"\xff\xfe\x00\x01 / HTTP/1.1",
            b"GE\0T / HTTP/1.1",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ] {
            assert!(parse_request_line(bad).is_err(), "accepted {bad:?}");
        }
        assert_eq!(parse_request_line(b"GET / HTTP/2.0").unwrap_err().0, 505);
        let long = format!("GET /{} HTTP/1.1", "a".repeat(MAX_TARGET + 1));
        assert_eq!(parse_request_line(long.as_bytes()).unwrap_err().0, 414);
        assert!(parse_headers(b"Host: x\r\nno-colon-here").is_err());
        assert!(parse_headers(b"Content-Length: lots").is_err());
        assert!(parse_headers(b"Content-Length: 99999999").is_err());
        assert!(parse_headers(b"Transfer-Encoding: chunked").is_err());
        assert_eq!(
            parse_headers(b"content-length: 12\r\nHost: x").unwrap(),
            BodyLen::Len(12)
        );
    }

    #[test]
    fn query_parsing() {
        assert_eq!(
            parse_query("service=svc%2D001&on=true&x"),
            vec![
                ("service".into(), "svc-001".into()),
                ("on".into(), "true".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(percent_decode("a%zz%4"), "a%zz%4");
        assert_eq!(percent_decode("a+b%20c%"), "a b c%");
    }

    #[test]
    fn control_endpoints() {
        let app = App::new(Sim::new(&names(&["api", "checkout"]), 5));
        let r = app.handle("GET", "/incident", b"");
        assert_eq!((r.status, r.body.as_str()), (200, ""));
        let r = app.handle("POST", "/incident?service=checkout&on=true", b"");
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, "checkout: incident on\n")
        );
        assert_eq!(app.handle("GET", "/incident", b"").body, "checkout\n");
        let r = app.handle("POST", "/incident/toggle?service=checkout", b"");
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, "checkout: incident off\n")
        );
        let r = app.handle("POST", "/incident/toggle?service=api", b"");
        assert_eq!(r.body, "api: incident on\n");
        // Parameters in a form body work too.
        let r = app.handle("POST", "/incident", b"service=api&on=false");
        assert_eq!((r.status, r.body.as_str()), (200, "api: incident off\n"));
        assert_eq!(
            app.handle("POST", "/incident?service=nope&on=true", b"")
                .status,
            404
        );
        assert_eq!(
            app.handle("POST", "/incident?service=api&on=maybe", b"")
                .status,
            400
        );
        assert_eq!(app.handle("POST", "/incident?service=api", b"").status, 400);
        assert_eq!(app.handle("POST", "/incident/toggle", b"").status, 400);
        assert_eq!(
            app.handle("GET", "/incident/toggle?service=api", b"")
                .status,
            405
        );
        assert_eq!(app.handle("POST", "/metrics", b"").status, 405);
        assert_eq!(app.handle("GET", "/nope", b"").status, 404);
        let m = app.handle("GET", "/metrics", b"");
        assert_eq!(m.status, 200);
        assert!(m.content_type.starts_with("text/plain; version=0.0.4"));
        assert!(m.body.contains("sretop_demo_incident{service=\"api\"} 0\n"));
    }

    /// A backfilled sample: the sample and its timestamp.
    type Timed = (Sample, u64);

    /// Parses OpenMetrics written by `Backfill`, checking what can be checked cheaply:
    /// `# EOF` last, TYPE before samples, families contiguous, sample names matching
    /// their family's type, each metric's points contiguous with increasing timestamps,
    /// counters monotonic.
    fn parse_openmetrics(text: &str) -> Vec<Timed> {
        assert!(text.ends_with("\n# EOF\n"), "must end with # EOF");
        let body = &text[..text.len() - "# EOF\n".len()];
        let mut out: Vec<Timed> = Vec::new();
        let mut families: BTreeMap<String, String> = BTreeMap::new();
        let mut family: Option<(String, String)> = None;
        // Metrics (family + labels without `le`) already finished in this family.
        let mut done: std::collections::BTreeSet<String> = Default::default();
        let mut current_metric: Option<String> = None;
        let mut last: BTreeMap<String, (u64, f64)> = BTreeMap::new();
        for line in body.lines() {
            if let Some(c) = line.strip_prefix("# ") {
                let mut parts = c.splitn(3, ' ');
                let (kind, name, rest) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                );
                assert!(is_name(name) && !rest.is_empty(), "{line}");
                match kind {
                    "TYPE" => {
                        assert!(
                            families.insert(name.into(), rest.into()).is_none(),
                            "family {name} not contiguous"
                        );
                        assert!(!name.ends_with("_total"), "counter family named {name}");
                        family = Some((name.into(), rest.into()));
                        done.clear();
                        current_metric = None;
                    }
                    "HELP" => assert_eq!(family.as_ref().map(|f| f.0.as_str()), Some(name)),
                    _ => panic!("unexpected comment {line}"),
                }
                continue;
            }
            assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
            let (sample, ts) = line.rsplit_once(' ').expect("timestamp");
            let ts: u64 = ts.parse().unwrap_or_else(|_| panic!("timestamp in {line}"));
            let s = parse_sample(sample).unwrap_or_else(|e| panic!("{e}: {line}"));
            let (fam, kind) = family.as_ref().expect("sample before # TYPE");
            let suffix =
                s.0.strip_prefix(fam.as_str())
                    .expect("sample of another family");
            let allowed: &[&str] = match kind.as_str() {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_count", "_sum"],
                "gauge" => &[""],
                k => panic!("type {k}"),
            };
            assert!(allowed.contains(&suffix), "{line} in a {kind}");
            // Each metric (a histogram's buckets, count and sum together) is contiguous.
            let mut metric_labels = s.1.clone();
            metric_labels.remove("le");
            let metric = if kind == "histogram" {
                format!("{fam}{metric_labels:?}")
            } else {
                format!("{}{metric_labels:?}", s.0)
            };
            if current_metric.as_ref() != Some(&metric) {
                assert!(!done.contains(&metric), "metric {metric} not contiguous");
                if let Some(m) = current_metric.replace(metric.clone()) {
                    done.insert(m);
                }
            }
            let series = format!("{}{:?}", s.0, s.1);
            if let Some(&(t0, v0)) = last.get(&series) {
                assert!(ts > t0, "timestamps not increasing in {series}");
                if kind != "gauge" {
                    assert!(s.2 >= v0, "counter {series} went down at {ts}");
                }
            }
            assert!(s.2.is_finite() && s.2 >= 0.0, "{line}");
            last.insert(series, (ts, s.2));
            out.push((s, ts));
        }
        out
    }

    /// A small history: `names`, seed 42, checkout in scripted incident, 45 min at 5 s.
    fn small_backfill(names: &[String]) -> (Backfill<'_>, Vec<Timed>) {
        let plan = Plan::Scripted { service: 1 };
        let b = Backfill {
            names,
            seed: 42,
            plan,
            epoch: 1_700_000_000,
            step: 5,
            first: 0,
            count: 45 * 12,
            job: "demo",
            instance: "127.0.0.1:9464",
        };
        let mut buf = Vec::new();
        b.write(&mut buf).unwrap();
        let parsed = parse_openmetrics(&String::from_utf8(buf).unwrap());
        (b, parsed)
    }

    #[test]
    fn backfill_is_valid_openmetrics() {
        let svcs = names(&["api", "checkout", "search"]);
        let (b, samples) = small_backfill(&svcs);
        let series: std::collections::BTreeSet<String> = samples
            .iter()
            .map(|(s, _)| format!("{}{:?}", s.0, s.1))
            .collect();
        assert_eq!(series.len(), svcs.len() * SERIES_PER_SERVICE);
        assert_eq!(samples.len(), series.len() * b.count as usize);
        for (s, ts) in &samples {
            assert_eq!(s.1["job"], "demo");
            assert_eq!(s.1["instance"], "127.0.0.1:9464");
            assert!((b.epoch..b.epoch + 45 * 60).contains(ts));
            assert_eq!(ts % 5, 0);
        }
        // Per service and timestamp, the same consistency as a live scrape.
        let mut by_ts: BTreeMap<u64, Vec<Sample>> = BTreeMap::new();
        for (s, ts) in samples {
            by_ts.entry(ts).or_default().push(s);
        }
        assert_eq!(by_ts.len(), b.count as usize);
        for (ts, at) in &by_ts {
            check_consistency(at, &svcs);
            // The scripted incident: checkout from 20 to 35 minutes after the epoch.
            let t = ts - b.epoch;
            let inc = get(at, "sretop_demo_incident", "checkout")
                .next()
                .unwrap()
                .2;
            assert_eq!(inc == 1.0, (1200..2100).contains(&t), "incident at {t}");
            assert_eq!(
                get(at, "sretop_demo_incident", "api").next().unwrap().2,
                0.0
            );
        }
        // The incident shows as a spike in checkout's error ratio.
        let errors_between = |name: &str, from: u64, to: u64| {
            let total = |ts: u64, f: &dyn Fn(&Sample) -> bool| -> f64 {
                get(&by_ts[&(b.epoch + ts)], "http_requests_total", name)
                    .filter(|s| f(s))
                    .map(|s| s.2)
                    .sum()
            };
            let is5 = |s: &Sample| s.1["code"].starts_with('5');
            let errs = total(to, &is5) - total(from, &is5);
            let all = total(to, &|_| true) - total(from, &|_| true);
            errs / all
        };
        let calm = errors_between("checkout", 300, 1200);
        let hot = errors_between("checkout", 1300, 2000);
        let after = errors_between("checkout", 2200, 2695);
        assert!(calm < 0.01 && after < 0.01, "{calm} {after}");
        assert!(hot > 0.07, "{hot}");
    }

    #[test]
    fn live_exporter_continues_the_backfill() {
        let svcs = names(&["api", "checkout", "search"]);
        let (b, samples) = small_backfill(&svcs);
        let last_ts = b.timestamp(b.first + b.count - 1);
        let last: BTreeMap<String, f64> = samples
            .iter()
            .filter(|(_, ts)| *ts == last_ts)
            .map(|(s, _)| {
                let mut l = s.1.clone();
                l.remove("job");
                l.remove("instance");
                (format!("{}{l:?}", s.0), s.2)
            })
            .collect();

        // A live exporter with the same seed and epoch, started 7 s after the last sample.
        let mut sim = Sim::with_plan(&svcs, b.seed, &b.plan);
        let start = (last_ts - b.epoch) as f64 + 7.0;
        sim.fast_forward(&b.plan, (start / HISTORY_STEP_S as f64) as u64);
        assert_eq!(sim.now, (last_ts - b.epoch) as f64 + 5.0);
        // Its state at the last sample's grid point is the backfill's, series by series.
        let mut at_last = Sim::with_plan(&svcs, b.seed, &b.plan);
        at_last.fast_forward(&b.plan, (last_ts - b.epoch) / HISTORY_STEP_S);
        let live = parse_exposition(&at_last.render());
        assert_eq!(live.len(), last.len());
        for s in &live {
            let key = format!("{}{:?}", s.0, s.1);
            assert_eq!(last.get(&key), Some(&s.2), "{key}");
        }
        // Then it goes live: counters keep rising from there, checkout is in incident.
        sim.go_live(&b.plan);
        sim.advance_to(start);
        sim.advance_to(start + 5.0);
        let later = parse_exposition(&sim.render());
        for s in &later {
            let key = format!("{}{:?}", s.0, s.1);
            if s.0.starts_with("http_") {
                assert!(s.2 >= last[&key], "{key} reset: {} -> {}", last[&key], s.2);
            }
        }
        let count = |v: &[Sample]| {
            get(v, "http_request_duration_seconds_count", "api")
                .next()
                .unwrap()
                .2
        };
        // api serves ~120 req/s: 17 s more of them, give or take.
        let grown = count(&later) - count(&live);
        assert!((1000.0..3500.0).contains(&grown), "{grown}");
        assert_eq!(sim.incident_services(), vec!["checkout"]);
    }

    #[test]
    fn fast_forward_matches_a_sequential_replay() {
        let svcs: Vec<String> = (1..=7).map(|i| format!("svc-{i:03}")).collect();
        let plan = Plan::Flip {
            service: 2,
            every: 130.0,
            on_at_zero: true,
        };
        let mut parallel = Sim::with_plan(&svcs, 3, &plan);
        parallel.fast_forward(&plan, 500);
        let mut sequential = Sim::with_plan(&svcs, 3, &plan);
        for (i, s) in sequential.services.iter_mut().enumerate() {
            s.advance_history(i, &plan, 0, 250);
            s.advance_history(i, &plan, 250, 500);
        }
        sequential.now = 2500.0;
        assert_eq!(parallel.render(), sequential.render());
        // 2500 s / 130 s = 19 toggles after starting on: off.
        assert_eq!(plan.history_state(2, 2500.0), Some(false));
        assert!(parallel.incident_services().is_empty());
    }

    #[test]
    fn live_flips_follow_the_plan() {
        let svcs = names(&["api", "checkout"]);
        let plan = Plan::from_cli(Some(1), Some(100.0));
        assert_eq!(
            plan,
            Plan::Flip {
                service: 1,
                every: 100.0,
                on_at_zero: true
            }
        );
        // Live from 0 (no epoch): toggles at 100, 200, ...
        let mut sim = Sim::with_plan(&svcs, 1, &plan);
        sim.go_live(&plan);
        for (t, on) in [(50.0, true), (150.0, false), (250.0, true), (999.0, false)] {
            sim.advance_to(t);
            assert_eq!(sim.services[1].incident, on, "at {t}");
            assert_eq!(plan.history_state(1, t), Some(on), "plan at {t}");
        }
        // Live after replaying history to 1010 s: in phase with the plan.
        let mut sim = Sim::with_plan(&svcs, 1, &plan);
        sim.fast_forward(&plan, 202);
        assert!(sim.services[1].incident, "10 toggles after starting on");
        sim.go_live(&plan);
        sim.advance_to(1099.0);
        assert!(sim.services[1].incident);
        sim.advance_to(1100.5);
        assert!(!sim.services[1].incident);
        // Without --flip-every, --incident is on from the start of live serving.
        let plan = Plan::from_cli(Some(0), None);
        let mut sim = Sim::with_plan(&svcs, 1, &plan);
        sim.go_live(&plan);
        assert_eq!(sim.incident_services(), vec!["api"]);
        assert_eq!(Plan::from_cli(None, None), Plan::None);
    }

    #[test]
    fn latency_bins_match_the_distribution() {
        let s = Service::new("checkout", 1);
        for (load, incident) in [(0.8, false), (1.3, false), (1.0, true)] {
            let mut s = s.clone();
            s.set_incident(incident);
            let mix = s.latency(load);
            let b = mix.bins();
            let mut lo = 0.0;
            for (i, p) in b.probs.iter().enumerate() {
                let hi = mix.cdf(BUCKETS.get(i).copied().unwrap_or(f64::INFINITY));
                assert!((p - (hi - lo)).abs() < 1e-12, "bin {i}");
                lo = hi;
            }
            assert!((b.mean - mix.mean()).abs() < 1e-12 * mix.mean());
            let total: f64 = b.probs.iter().zip(&b.means).map(|(p, m)| p * m).sum();
            assert!((total - mix.mean()).abs() < 0.02 * mix.mean(), "{total}");
        }
    }

    #[test]
    fn backfill_cli() {
        let cli = Cli::try_parse_from([
            "sretop-demo",
            "--backfill",
            "6h",
            "--backfill-out",
            "/tmp/x.om",
            "--epoch",
            "1700000000",
        ])
        .unwrap();
        assert_eq!(cli.backfill, Some(6.0 * 3600.0));
        assert_eq!(cli.backfill_step, 5);
        assert_eq!(cli.backfill_job, "demo");
        assert_eq!(cli.backfill_instance, None);
        assert_eq!(cli.epoch, Some(1_700_000_000));
        assert!(Cli::try_parse_from(["sretop-demo", "--backfill", "1h"]).is_err());
        assert!(Cli::try_parse_from(["sretop-demo", "--backfill-out", "x"]).is_err());
        assert!(Cli::try_parse_from(["sretop-demo", "--backfill-step", "10"]).is_err());
        for bad in ["0", "-1", "1.5"] {
            assert!(Cli::try_parse_from([
                "sretop-demo",
                "--backfill",
                "1h",
                "--backfill-out",
                "x",
                "--backfill-step",
                bad
            ])
            .is_err());
        }
        assert_eq!(human_secs(3600), "1h");
        assert_eq!(human_secs(5400), "1h30m");
        assert_eq!(human_secs(95), "1m35s");
        assert_eq!(human_secs(0), "0s");
    }

    async fn roundtrip(addr: SocketAddr, raw: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(raw).await.unwrap();
        s.shutdown().await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn http_server_end_to_end() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Arc::new(App::new(Sim::new(&names(&["api", "checkout"]), 9)));
        let server = tokio::spawn(accept_loop(listener, app));

        let r = roundtrip(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(r.contains("Content-Type: text/plain; version=0.0.4"));
        let body = r.split_once("\r\n\r\n").unwrap().1;
        check_consistency(&parse_exposition(body), &names(&["api", "checkout"]));

        let r = roundtrip(addr, b"POST /incident?service=api&on=1 HTTP/1.1\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 200 OK") && r.ends_with("api: incident on\n"));
        let r = roundtrip(
            addr,
            b"POST /incident HTTP/1.1\r\nContent-Length: 22\r\n\r\nservice=api&on=false\r\n",
        )
        .await;
        assert!(r.ends_with("api: incident off\n"), "{r}");
        let r = roundtrip(addr, b"HEAD /metrics HTTP/1.0\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 200") && r.ends_with("\r\n\r\n"));

        for garbage in [
            &b"\x16\x03\x01\x00\xff\r\n\r\n"[..],
            b"HELLO\r\n\r\n",
            b"GET /metrics HTTP/1.1\r\nbroken header\r\n\r\n",
            b"GET /metrics\r\n\r\n",
        ] {
            let r = roundtrip(addr, garbage).await;
            assert!(r.starts_with("HTTP/1.1 400 "), "{garbage:?} -> {r}");
        }
        let r = roundtrip(addr, &[b'A'; MAX_HEAD + 10]).await;
        assert!(r.starts_with("HTTP/1.1 431 "), "{r}");
        // Half a request then EOF.
        let r = roundtrip(addr, b"GET /metr").await;
        assert!(r.starts_with("HTTP/1.1 400 "), "{r}");
        // Connect and close without a byte: the server just moves on.
        drop(TcpStream::connect(addr).await.unwrap());
        let r = roundtrip(addr, b"GET /incident HTTP/1.1\r\n\r\n").await;
        assert!(r.starts_with("HTTP/1.1 200 "));
        server.abort();
    }
}
