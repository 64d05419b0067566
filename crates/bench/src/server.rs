//! The `pkgfed` subprocess: configured through `PKGFED_*` variables only, listening
//! on a loopback port, with its log in the benchmark's temporary directory.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long a server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// The pkgfed binary: `explicit`, or `pkgfed` next to the running binary.
pub fn pkgfed_bin(explicit: Option<&Path>) -> Result<PathBuf> {
    let bin = match explicit {
        Some(p) => p.to_owned(),
        None => std::env::current_exe()
            .context("cannot locate the running binary")?
            .with_file_name("pkgfed"),
    };
    if !bin.is_file() {
        bail!(
            "pkgfed binary not found at {}: build it with `cargo build --release -p pkgfed -p pkgfed-bench` or pass --pkgfed",
            bin.display()
        );
    }
    Ok(bin)
}

/// A free loopback port (bound then released; the server binds it right after).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(l.local_addr()?.port())
}

/// Where and how pkgfed runs: binary, working directory, database, port.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The pkgfed binary.
    pub bin: PathBuf,
    /// Working directory (no `pkgfed.toml` there) and home of the log files.
    pub dir: PathBuf,
    /// `sqlite://…`
    pub database_url: String,
    /// More `PKGFED_*` variables, applied after (and overriding) the defaults above.
    pub env: Vec<(String, String)>,
}

impl Setup {
    /// A setup with its database at `<dir>/pkgfed.db`.
    pub fn new(bin: PathBuf, dir: &Path) -> Self {
        Self {
            bin,
            dir: dir.to_owned(),
            database_url: format!("sqlite://{}", dir.join("pkgfed.db").display()),
            env: Vec::new(),
        }
    }

    /// The database file.
    pub fn database_path(&self) -> PathBuf {
        self.dir.join("pkgfed.db")
    }

    fn command(&self, port: u16) -> Command {
        let mut cmd = Command::new(&self.bin);
        // Only our configuration: no inherited PKGFED_* (PKGFED_LOG aside), no file.
        for (k, _) in std::env::vars() {
            if k.starts_with("PKGFED_") && k != "PKGFED_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.current_dir(&self.dir)
            .env("PKGFED_SERVER_LISTEN", format!("127.0.0.1:{port}"))
            .env("PKGFED_SERVER_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("PKGFED_SERVER_ALLOW_HTTP", "true")
            // The benches measure federation; no registry is watched.
            .env("PKGFED_WATCH_ENABLED", "false")
            .env("PKGFED_FEDERATION_ALLOW_PRIVATE_ADDRESSES", "true")
            .env("PKGFED_STORAGE_DATABASE_URL", &self.database_url)
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `pkgfed packages add <purl>` on the database (with the base URL of
    /// `port`) and returns the package actor's handle.
    pub fn add_package(&self, port: u16, purl: &str) -> Result<String> {
        let out = self
            .command(port)
            .args(["packages", "add", purl])
            .output()
            .context("cannot run `pkgfed packages add`")?;
        if !out.status.success() {
            bail!(
                "`pkgfed packages add {purl}` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("actor:"))
            .and_then(|url| url.trim().rsplit('/').next())
            .map(str::to_owned)
            .with_context(|| format!("no `actor:` line in the output of packages add: {stdout}"))
    }

    /// Starts `pkgfed serve` on `port` and waits until it accepts connections (it
    /// binds only after opening and migrating the database).
    pub fn start(&self, port: u16, label: &str) -> Result<Server> {
        self.start_args(port, label, &["serve"])
    }

    /// Starts `pkgfed <args>` (a `serve` variant, e.g. `serve --role worker`) on
    /// `port` and waits until it accepts connections.
    pub fn start_args(&self, port: u16, label: &str, args: &[&str]) -> Result<Server> {
        let log_path = self.dir.join(format!("pkgfed-{label}.log"));
        let log = File::create(&log_path).context("cannot create the server log")?;
        let child = self
            .command(port)
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log_path,
        };
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "pkgfed exited during start-up ({status}); its log:\n{}",
                    server.log_tail()
                );
            }
            if std::net::TcpStream::connect_timeout(&server.addr, Duration::from_millis(200))
                .is_ok()
            {
                return Ok(server);
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "pkgfed did not listen within {START_TIMEOUT:?}; its log:\n{}",
                    server.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

/// A running pkgfed; killed on drop if not stopped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    log_path: PathBuf,
}

/// Memory figures from `/proc/<pid>/status`, in KiB.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// Resident set size now.
    pub rss_kib: u64,
    /// Peak resident set size.
    pub hwm_kib: u64,
}

impl Server {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user + system) it used so far.
    pub fn cpu(&self) -> Result<Duration> {
        cpu_time_of(&self.pid().to_string())
    }

    /// Log lines at WARN or ERROR, but for the expected ones about private addresses.
    pub fn warnings(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                (l.contains("WARN") || l.contains("ERROR"))
                    && !l.contains("allow_private_addresses")
            })
            .map(str::to_owned)
            .collect()
    }

    /// `http://127.0.0.1:port`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:port`, the host of handles and the `Host` header.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// VmRSS and VmHWM.
    pub fn memory(&self) -> Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .context("cannot read /proc/<pid>/status")?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("no {name} in /proc/<pid>/status"))
        };
        Ok(Memory {
            rss_kib: field("VmRSS:")?,
            hwm_kib: field("VmHWM:")?,
        })
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Sends SIGTERM and waits for a graceful exit; kills it after a timeout.
    pub fn stop(mut self) -> Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < STOP_TIMEOUT {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("pkgfed did not stop within {STOP_TIMEOUT:?}; killing it");
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// CPU time (utime + stime) of `pid` (`self` for this process), from /proc.
pub fn cpu_time_of(pid: &str) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are fields 14
    // and 15 of the whole line, i.e. 12th and 13th after `) `.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("malformed /proc/<pid>/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .context("malformed /proc/<pid>/stat")
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(total as f64 / clock_ticks() as f64))
}

/// Busy CPU time of the whole machine (all CPUs, all processes), from /proc/stat.
pub fn machine_busy() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("no cpu line in /proc/stat")?;
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse().ok())
        .collect();
    if v.len() < 8 {
        bail!("short cpu line in /proc/stat");
    }
    let busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    Ok(Duration::from_secs_f64(busy as f64 / clock_ticks() as f64))
}

/// CPU used by the server, by this process and by everything else over a span.
#[derive(Clone, Copy, Debug)]
pub struct CpuSplit {
    /// The pkgfed subprocess.
    pub server: Duration,
    /// The benchmark itself (load generator).
    pub client: Duration,
    /// Every other process on the machine (noise).
    pub others: Duration,
}

/// CPU counters at the start of a measured span.
pub struct CpuProbe {
    pid: String,
    server: Duration,
    client: Duration,
    machine: Duration,
}

impl CpuProbe {
    /// Reads the counters now.
    pub fn start(server: &Server) -> Result<Self> {
        let pid = server.pid().to_string();
        Ok(Self {
            server: cpu_time_of(&pid)?,
            client: cpu_time_of("self")?,
            machine: machine_busy()?,
            pid,
        })
    }

    /// The CPU used since [`CpuProbe::start`].
    pub fn finish(&self) -> Result<CpuSplit> {
        let server = cpu_time_of(&self.pid)?.saturating_sub(self.server);
        let client = cpu_time_of("self")?.saturating_sub(self.client);
        let machine = machine_busy()?.saturating_sub(self.machine);
        Ok(CpuSplit {
            server,
            client,
            others: machine.saturating_sub(server + client),
        })
    }
}

/// `getconf CLK_TCK`, 100 when unknown.
fn clock_ticks() -> u64 {
    static TCK: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100)
    })
}
