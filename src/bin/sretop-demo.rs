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
//! HTTP endpoints (HTTP/1.1, one request per connection):
//! - `GET /metrics` — Prometheus text exposition format 0.0.4
//! - `GET /incident` — services currently in incident, one per line
//! - `POST /incident?service=NAME&on=true|false` — set a service's incident state
//! - `POST /incident/toggle?service=NAME` — toggle a service's incident state

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
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

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.f64(); // (0, 1]
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
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
            return (0..n).filter(|_| self.f64() < p).count() as u64;
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
#[derive(Debug, Clone, Copy)]
struct LogNormal {
    weight: f64,
    mu: f64,
    sigma: f64,
}

/// A two-component log-normal mixture: a body and a slow tail.
#[derive(Debug, Clone, Copy)]
struct Mixture([LogNormal; 2]);

impl Mixture {
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

    /// Probability of each bin and the mean latency of an observation in that bin.
    fn bins(&self) -> ([f64; BINS], [f64; BINS]) {
        let mut probs = [0.0; BINS];
        let mut means = [0.0; BINS];
        let mut lo = 0.0f64;
        let mut cdf_lo = 0.0;
        let mut pm_lo = 0.0;
        for i in 0..BINS {
            let hi = BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
            let cdf_hi = self.cdf(hi);
            let pm_hi = self.partial_mean(hi);
            let p = (cdf_hi - cdf_lo).max(0.0);
            let upper = if hi.is_infinite() { lo * 4.0 } else { hi };
            let mean = if p > 1e-12 {
                ((pm_hi - pm_lo) / p).clamp(lo, upper)
            } else {
                (lo + upper) / 2.0
            };
            probs[i] = p;
            means[i] = mean;
            lo = hi;
            cdf_lo = cdf_hi;
            pm_lo = pm_hi;
        }
        (probs, means)
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

    /// Records `n` latency observations drawn from `mix`.
    fn observe(&mut self, n: u64, mix: &Mixture) {
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
            let (probs, means) = mix.bins();
            let split = self.rng.multinomial(n, &probs);
            for (i, k) in split.iter().enumerate() {
                self.bins[i] += k;
                self.sum_s += *k as f64 * means[i];
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
        self.observe(n, &mix);

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
            (max * 0.15 + rate * mix.mean() * 0.5).min(max * 0.6)
        };
        self.db_in_use += (db_target - self.db_in_use) * (1.0 - (-dt / 15.0).exp())
            + 0.3 * sqdt * self.rng.normal();
        self.db_in_use = self.db_in_use.clamp(0.0, max);
    }

    fn db_in_use_whole(&self) -> u32 {
        (self.db_in_use.round() as u32).min(self.profile.db_max)
    }
}

/// The whole simulated fleet, with its own clock (seconds since start).
#[derive(Debug, Clone)]
struct Sim {
    services: Vec<Service>,
    now: f64,
}

impl Sim {
    fn new(names: &[String], seed: u64) -> Self {
        Sim {
            services: names.iter().map(|n| Service::new(n, seed)).collect(),
            now: 0.0,
        }
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|s| s.profile.name == name)
    }

    /// Advances the simulation to time `t` (seconds since start). Never goes back.
    fn advance_to(&mut self, t: f64) {
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
}

impl App {
    fn new(sim: Sim) -> Self {
        App {
            sim: Mutex::new(sim),
            start: Instant::now(),
        }
    }

    fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
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

async fn flip_loop(app: Arc<App>, service: String, every: f64) {
    let period = Duration::from_secs_f64(every);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        let _ = app.set_incident(&service, None);
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let names = match service_names(&cli) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("sretop-demo: {e}");
            return ExitCode::from(2);
        }
    };
    let mut sim = Sim::new(&names, cli.seed.unwrap_or_else(clock_seed));
    if let Some(inc) = &cli.incident {
        let Some(i) = sim.index_of(inc) else {
            eprintln!(
                "sretop-demo: --incident {inc:?} is not one of the simulated services ({})",
                abbreviate(&names)
            );
            return ExitCode::from(2);
        };
        sim.services[i].set_incident(true);
    }
    let listener = match TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sretop-demo: cannot listen on {}: {e}", cli.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(cli.listen);
    eprintln!(
        "sretop-demo: serving {} services on http://{addr}/metrics",
        names.len()
    );

    let app = Arc::new(App::new(sim));
    if let Some(every) = cli.flip_every {
        let service = cli
            .incident
            .clone()
            .or_else(|| names.first().cloned())
            .unwrap_or_default();
        tokio::spawn(flip_loop(app.clone(), service, every));
    }
    tokio::select! {
        () = accept_loop(listener, app) => {}
        () = shutdown_signal() => {}
    }
    ExitCode::SUCCESS
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

#[cfg(test)]
mod scratch_bench {
    use super::*;
    #[test]
    fn scratch_step_cost() {
        let names: Vec<String> = (1..=50).map(|i| format!("svc-{i:03}")).collect();
        for dt in [1.0f64, 5.0] {
            let mut sim = Sim::new(&names, 1);
            let t0 = Instant::now();
            let steps = (3600.0 / dt) as u64;
            for k in 1..=steps {
                for s in &mut sim.services {
                    s.step(dt, k as f64 * dt);
                }
            }
            let el = t0.elapsed();
            eprintln!("dt {dt}: {:?} per service-step", el / (steps as u32 * 50));
        }
    }
}
