//! Test harness: real servers on loopback. Prometheus (or VictoriaMetrics) scraping the demo
//! exporter that this repo ships, each with its data under a temp dir, stopped by pid when the
//! handle drops.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed (and reaped) on drop.
pub struct Proc {
    pub name: &'static str,
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    pub fn spawn(name: &'static str, mut cmd: Command, log: PathBuf) -> Proc {
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name,
            child: Some(child),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Kills the process and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A binary on PATH or in /usr/bin. Fails, not skips, when missing: the integration tests are
/// part of the suite (`scripts/test.sh` installs the servers).
pub fn require_binary(name: &str) -> PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    candidates
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` not found: install it (apt-get install -y prometheus victoria-metrics) or run scripts/test.sh")
        })
}

/// Blocks until `url` answers 200, or panics with the process log.
pub fn wait_ready(url: &str, proc: &mut Proc, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !proc.running() {
            panic!(
                "{} exited before it was ready; log:\n{}",
                proc.name,
                proc.log_tail()
            );
        }
        if http_get(url).is_some_and(|(status, _)| status == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{} not ready at {url} after {timeout:?}; log:\n{}",
        proc.name,
        proc.log_tail()
    );
}

/// Minimal blocking HTTP GET over loopback (status, body), for readiness checks only.
pub fn http_get(url: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    stream.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// The demo exporter built by cargo for this test run.
pub fn start_exporter(dir: &Path, extra: &[&str]) -> (Proc, u16) {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sretop-demo"));
    cmd.arg("--listen").arg(format!("127.0.0.1:{port}"));
    cmd.args(extra);
    let mut proc = Proc::spawn("sretop-demo", cmd, dir.join("exporter.log"));
    wait_ready(
        &format!("http://127.0.0.1:{port}/metrics"),
        &mut proc,
        Duration::from_secs(10),
    );
    (proc, port)
}

fn scrape_config(exporter_port: u16) -> String {
    // No `evaluation_interval`: VictoriaMetrics refuses keys it does not use.
    format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: demo\n    honor_labels: true\n    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
    )
}

/// Which server speaks the Prometheus API in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Prometheus,
    VictoriaMetrics,
}

/// A running server scraping the exporter every second.
pub struct Server {
    pub flavor: Flavor,
    pub proc: Proc,
    pub port: u16,
    dir: PathBuf,
    exporter_port: u16,
}

impl Server {
    pub fn start(flavor: Flavor, dir: &Path, exporter_port: u16) -> Server {
        let port = free_port();
        let config = dir.join("scrape.yml");
        std::fs::write(&config, scrape_config(exporter_port)).expect("write scrape config");
        let proc = Self::spawn(flavor, dir, port);
        let mut server = Server {
            flavor,
            proc,
            port,
            dir: dir.to_path_buf(),
            exporter_port,
        };
        server.wait_ready();
        server
    }

    fn spawn(flavor: Flavor, dir: &Path, port: u16) -> Proc {
        let config = dir.join("scrape.yml");
        let data = dir.join("data");
        match flavor {
            Flavor::Prometheus => {
                let mut cmd = Command::new(require_binary("prometheus"));
                cmd.arg(format!("--config.file={}", config.display()))
                    .arg(format!("--storage.tsdb.path={}", data.display()))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                    .arg("--storage.tsdb.retention.time=1d");
                Proc::spawn("prometheus", cmd, dir.join("prometheus.log"))
            }
            Flavor::VictoriaMetrics => {
                let mut cmd = Command::new(require_binary("victoria-metrics"));
                cmd.arg(format!("-promscrape.config={}", config.display()))
                    .arg(format!("-storageDataPath={}", data.display()))
                    .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                    .arg("-search.latencyOffset=0s")
                    .arg("-search.disableCache")
                    .arg("-retentionPeriod=1d");
                Proc::spawn("victoria-metrics", cmd, dir.join("vm.log"))
            }
        }
    }

    fn wait_ready(&mut self) {
        let path = match self.flavor {
            Flavor::Prometheus => "-/ready",
            Flavor::VictoriaMetrics => "health",
        };
        wait_ready(
            &format!("http://127.0.0.1:{}/{path}", self.port),
            &mut self.proc,
            Duration::from_secs(30),
        );
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server (connection refused from now on).
    pub fn stop(&mut self) {
        self.proc.stop();
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.proc.stop();
        self.proc = Self::spawn(self.flavor, &self.dir, self.port);
        self.wait_ready();
    }
}

/// A whole stack: exporter plus server, in a temp dir.
pub struct Stack {
    pub server: Server,
    pub exporter: Proc,
    pub exporter_port: u16,
    _dir: tempfile::TempDir,
}

impl Stack {
    pub fn start(flavor: Flavor) -> Stack {
        let dir = tempfile::tempdir().expect("temp dir");
        let (exporter, exporter_port) = start_exporter(dir.path(), &["--incident", "checkout"]);
        let server = Server::start(flavor, dir.path(), exporter_port);
        Stack {
            server,
            exporter,
            exporter_port,
            _dir: dir,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The alerting stack: exporter in incident, Alertmanager, Prometheus evaluating alert rules
// ---------------------------------------------------------------------------------------------

/// The service the exporter of an [`AlertStack`] starts in incident.
pub const INCIDENT: &str = "checkout";

/// An Alertmanager that routes everything to a receiver that sends nothing.
pub const AM_CONFIG: &str = r#"
route:
  receiver: "null"
  group_by: [alertname]
receivers:
  - name: "null"
"#;

/// Rules that fire within seconds: the incident service's 5xx ratio is 8–20 %, the healthy
/// ones' at most 0.5 %.
pub const ALERT_RULES: &str = r#"
groups:
  - name: demo
    interval: 1s
    rules:
      - alert: HighErrorRate
        expr: sum by (service) (rate(http_requests_total{code=~"5.."}[15s])) / sum by (service) (rate(http_requests_total[15s])) > 0.02
        for: 2s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.service }} 5xx ratio is {{ $value | humanizePercentage }}"
          runbook_url: "https://runbooks.example/high-error-rate"
      - alert: Watchdog
        expr: vector(1)
        labels:
          severity: none
        annotations:
          summary: "always firing: the alerting pipeline works"
"#;

/// An Alertmanager ([`AM_CONFIG`]) with its data in `dir`, gossip disabled; returns its port.
pub fn start_alertmanager(dir: &Path) -> (Proc, u16) {
    let port = free_port();
    let config = dir.join("alertmanager.yml");
    std::fs::write(&config, AM_CONFIG).expect("write alertmanager config");
    let data = dir.join("am-data");
    std::fs::create_dir_all(&data).expect("alertmanager data dir");
    let mut cmd = Command::new(require_binary("prometheus-alertmanager"));
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=");
    let mut proc = Proc::spawn("alertmanager", cmd, dir.join("alertmanager.log"));
    wait_ready(
        &format!("http://127.0.0.1:{port}/-/ready"),
        &mut proc,
        Duration::from_secs(30),
    );
    (proc, port)
}

/// A Prometheus with its data in `dir`, scraping the exporter and evaluating `rules` every
/// second, alerting to the Alertmanager on `am_port`; returns its port.
pub fn start_alerting_prometheus(
    dir: &Path,
    rules: &str,
    exporter_port: u16,
    am_port: u16,
) -> (Proc, u16) {
    let port = free_port();
    let rules_file = dir.join("rules.yml");
    std::fs::write(&rules_file, rules).expect("write rules");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {rules}\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n\
             scrape_configs:\n  - job_name: demo\n    honor_labels: true\n    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n",
            rules = rules_file.display()
        ),
    )
    .expect("write prometheus config");
    let mut cmd = Command::new(require_binary("prometheus"));
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("prom-data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=1d");
    let mut proc = Proc::spawn("prometheus", cmd, dir.join("prometheus.log"));
    wait_ready(
        &format!("http://127.0.0.1:{port}/-/ready"),
        &mut proc,
        Duration::from_secs(30),
    );
    (proc, port)
}

/// Exporter (with [`INCIDENT`] in incident), Alertmanager and Prometheus (rules + alerting to
/// that Alertmanager), each with its data in one temp dir and killed by pid on drop.
pub struct AlertStack {
    pub prom_url: String,
    pub am_url: String,
    _prometheus: Proc,
    _alertmanager: Proc,
    _exporter: Proc,
    _dir: tempfile::TempDir,
}

impl AlertStack {
    /// The stack with [`ALERT_RULES`].
    pub fn start() -> AlertStack {
        AlertStack::with_rules(ALERT_RULES)
    }

    /// The stack with Prometheus evaluating `rules` (a rule file's YAML).
    pub fn with_rules(rules: &str) -> AlertStack {
        let dir = tempfile::tempdir().expect("temp dir");
        let (exporter, exporter_port) = start_exporter(dir.path(), &["--incident", INCIDENT]);
        let (alertmanager, am_port) = start_alertmanager(dir.path());
        let (prometheus, prom_port) =
            start_alerting_prometheus(dir.path(), rules, exporter_port, am_port);
        AlertStack {
            prom_url: format!("http://127.0.0.1:{prom_port}"),
            am_url: format!("http://127.0.0.1:{am_port}"),
            _prometheus: prometheus,
            _alertmanager: alertmanager,
            _exporter: exporter,
            _dir: dir,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A real terminal: tmux, driven with `send-keys` and read with `capture-pane`
// ---------------------------------------------------------------------------------------------

/// A tmux server of our own (its own socket), killed on drop (and its socket file removed),
/// that remembers every screen it captured.
pub struct Tmux {
    socket: String,
    width: u16,
    height: u16,
    env_remove: Vec<&'static str>,
    screens: std::cell::RefCell<Vec<String>>,
}

impl Tmux {
    /// A server on socket `{prefix}-{tag}-{pid}`, with 120×40 sessions.
    pub fn new(prefix: &str, tag: &str) -> Tmux {
        Tmux {
            socket: format!("{prefix}-{tag}-{}", std::process::id()),
            width: 120,
            height: 40,
            env_remove: Vec::new(),
            screens: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Sessions of `width`×`height` instead.
    pub fn size(mut self, width: u16, height: u16) -> Tmux {
        self.width = width;
        self.height = height;
        self
    }

    /// The server (started by the first session) does not inherit `var`.
    pub fn env_remove(mut self, var: &'static str) -> Tmux {
        self.env_remove.push(var);
        self
    }

    pub fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A detached session running `shell_cmd` with `env` added.
    pub fn start(&self, session: &str, env: &[(&str, &str)], shell_cmd: &str) {
        let (width, height) = (self.width.to_string(), self.height.to_string());
        let mut cmd = Command::new("tmux");
        cmd.args([
            "-L",
            &self.socket,
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            &width,
            "-y",
            &height,
        ]);
        for (k, v) in env {
            cmd.arg("-e").arg(format!("{k}={v}"));
        }
        cmd.arg(shell_cmd).env("TERM", "xterm-256color");
        for var in &self.env_remove {
            cmd.env_remove(var);
        }
        let out = cmd.output().expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn screen(&self, session: &str) -> String {
        let s = self.cmd(&["capture-pane", "-p", "-t", session]);
        self.screens.borrow_mut().push(s.clone());
        s
    }

    /// Every screen captured so far.
    pub fn screens(&self) -> std::cell::Ref<'_, Vec<String>> {
        self.screens.borrow()
    }

    pub fn keys(&self, session: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", session];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Types `text` literally.
    pub fn type_text(&self, session: &str, text: &str) {
        self.cmd(&["send-keys", "-t", session, "-l", text]);
    }

    /// Waits until `pred` holds for the screen, for at most 20 s; panics with the screen
    /// otherwise.
    pub fn wait_until(&self, session: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut screen = String::new();
        while Instant::now() < deadline {
            screen = self.screen(session);
            if pred(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{what} never appeared; screen:\n{screen}");
    }

    /// Waits until the screen contains `needle`; panics with the screen otherwise.
    pub fn wait_for(&self, session: &str, needle: &str) -> String {
        self.wait_until(session, &format!("{needle:?}"), |s| s.contains(needle))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let socket = self.cmd(&["display-message", "-p", "#{socket_path}"]);
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        // tmux leaves its socket file behind.
        let socket = socket.trim();
        if socket.ends_with(&self.socket) {
            let _ = std::fs::remove_file(socket);
        }
    }
}

/// Whether `name` is an executable on `PATH` (or in /usr/bin), for tests that skip without it.
pub fn has_binary(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<PathBuf>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin")])
        .any(|d| d.join(name).is_file())
}

/// The handoff note files in `dir` (`*.md`, not the temp files, not the drafts), sorted.
pub fn note_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".md") && !n.starts_with('.'))
        })
        .collect();
    out.sort();
    out
}

/// Runs `openssl ARGS` in `dir`; panics with what it printed when it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new(require_binary("openssl"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// In `dir`: `ca.pem` and `ca.key`, a test CA valid for two days.
pub fn make_ca(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=sretop test CA",
        ],
    );
}

/// In `dir`, next to [`make_ca`]'s CA: `{name}.pem` and `{name}.key`, a server certificate for
/// 127.0.0.1 the CA signs, valid for two days.
pub fn make_leaf(dir: &Path, name: &str) {
    let (key, csr, pem, ext) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("{name}.ext"),
    );
    std::fs::write(
        dir.join(&ext),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write the extensions");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            &ext,
        ],
    );
}

/// What one run of a binary did: whether it succeeded, and its output as text.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Readable in a failed assertion: both outputs whole.
impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "success: {}\n--- stdout\n{}--- stderr\n{}",
            self.ok, self.stdout, self.stderr
        )
    }
}
