//! The pkgfed processes that deliver: one `pkgfed serve` on SQLite, or N
//! `pkgfed serve --role worker` on PostgreSQL (each on its own loopback port, all
//! with the same base URL so they sign as the same instance), and their CPU, the
//! bench's own and PostgreSQL's over a span.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::pg::{PgCpu, PgCpuProbe};
use crate::server::{Memory, Server, Setup, cpu_time_of, free_port, machine_busy};

/// The delivering processes.
pub struct Fleet {
    /// One `serve` (SQLite) or the workers, in start order.
    pub processes: Vec<Server>,
    /// The instance's base URL (`http://127.0.0.1:<first port>`).
    pub base: String,
    /// Whether they run `--role worker` (and serve `/metrics` on their port).
    workers: bool,
}

impl Fleet {
    /// `pkgfed serve` on `port` (the embedded default: HTTP and the worker).
    pub fn one(setup: &Setup, port: u16) -> Result<Self> {
        let server = setup.start(port, "fanout")?;
        Ok(Self {
            base: server.base(),
            processes: vec![server],
            workers: false,
        })
    }

    /// `n` × `pkgfed serve --role worker`, the first on `port`, the others on free
    /// ports picked one after the other; every one gets `port`'s base URL.
    pub fn workers(setup: &Setup, port: u16, n: usize) -> Result<Self> {
        let base = format!("http://127.0.0.1:{port}");
        let mut setup = setup.clone();
        setup
            .env
            .push(("PKGFED_SERVER_BASE_URL".into(), base.clone()));
        let mut processes = Vec::with_capacity(n);
        for i in 0..n {
            let p = if i == 0 { port } else { free_port()? };
            processes.push(setup.start_args(
                p,
                &format!("worker-{i}"),
                &["serve", "--role", "worker"],
            )?);
        }
        Ok(Self {
            processes,
            base,
            workers: true,
        })
    }

    /// VmRSS and VmHWM of each process; fails with the log tail of one that exited.
    pub fn memory(&self) -> Result<Vec<Memory>> {
        self.processes
            .iter()
            .map(|s| match s.memory() {
                Ok(m) => Ok(m),
                Err(e) => bail!("{e:#} (has pkgfed exited?); its log:\n{}", s.log_tail()),
            })
            .collect()
    }

    /// Successful delivery attempts each worker counted
    /// (`pkgfed_deliveries_total{class="success"}` on its `/metrics`); `None` for
    /// a process that serves no `/metrics` on its port or did not answer.
    pub fn successes(&self) -> Vec<Option<u64>> {
        self.processes
            .iter()
            .map(|s| self.workers.then(|| scrape_successes(s)).flatten())
            .collect()
    }

    /// Stops every process (SIGTERM, then a kill after a timeout).
    pub fn stop(self) -> Result<()> {
        for s in self.processes {
            s.stop()?;
        }
        Ok(())
    }
}

fn scrape_successes(server: &Server) -> Option<u64> {
    let mut stream = TcpStream::connect_timeout(&server.addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.host()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    successes_in(&text)
}

/// The value of `pkgfed_deliveries_total{class="success"}` in Prometheus text.
fn successes_in(text: &str) -> Option<u64> {
    text.lines()
        .filter(|l| l.starts_with("pkgfed_deliveries_total{") && l.contains("class=\"success\""))
        .find_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .map(|v| v as u64)
}

/// CPU used over a span.
#[derive(Clone, Debug)]
pub struct Split {
    /// Each pkgfed process, in [`Fleet::processes`] order.
    pub per_process: Vec<Duration>,
    /// Their sum.
    pub pkgfed: Duration,
    /// The bench itself (inbox servers, the publish call).
    pub client: Duration,
    /// PostgreSQL's processes, when the run is on PostgreSQL.
    pub postgres: Option<PgCpu>,
    /// Every other process on the machine (noise), PostgreSQL's counted share aside.
    pub others: Duration,
}

/// CPU counters at the start of a span.
pub struct FleetProbe {
    pids: Vec<String>,
    start: Vec<Duration>,
    client: Duration,
    machine: Duration,
    postgres: Option<PgCpuProbe>,
}

impl FleetProbe {
    /// Reads the counters of `fleet`, this process, the machine and, with
    /// `database`, PostgreSQL's processes.
    pub fn start(fleet: &Fleet, database: Option<&str>) -> Result<Self> {
        let pids: Vec<String> = fleet
            .processes
            .iter()
            .map(|s| s.pid().to_string())
            .collect();
        let start = pids.iter().map(|p| cpu_time_of(p)).collect::<Result<_>>()?;
        Ok(Self {
            postgres: database.map(PgCpuProbe::start),
            client: cpu_time_of("self")?,
            machine: machine_busy()?,
            pids,
            start,
        })
    }

    /// The CPU used since [`FleetProbe::start`].
    pub fn finish(&self) -> Result<Split> {
        let per_process: Vec<Duration> = self
            .pids
            .iter()
            .zip(&self.start)
            .map(|(p, s)| Ok(cpu_time_of(p)?.saturating_sub(*s)))
            .collect::<Result<_>>()?;
        let pkgfed = per_process.iter().sum();
        let client = cpu_time_of("self")?.saturating_sub(self.client);
        let postgres = self.postgres.as_ref().map(PgCpuProbe::finish);
        let machine = machine_busy()?.saturating_sub(self.machine);
        let counted = pkgfed + client + postgres.map(|p| p.counted()).unwrap_or_default();
        Ok(Split {
            per_process,
            pkgfed,
            client,
            postgres,
            others: machine.saturating_sub(counted),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_success_count_is_read_from_prometheus_text() {
        let text = "HTTP/1.1 200 OK\r\n\r\n# TYPE pkgfed_deliveries_total counter\n\
                    pkgfed_deliveries_total{class=\"retry\"} 3\n\
                    pkgfed_deliveries_total{class=\"success\"} 2997\n";
        assert_eq!(successes_in(text), Some(2997));
        assert_eq!(successes_in("pkgfed_up 1\n"), None);
    }
}
