//! The soak's per-minute rows: what the load saw in the minute, and the server's
//! memory, descriptors, CPU and queue at its end.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Result;

use crate::db;
use crate::server::Server;

/// One label's requests within the current minute.
#[derive(Default)]
pub struct Stats {
    latencies_us: Vec<u32>,
    statuses: HashMap<u16, u64>,
    errors: u64,
}

impl Stats {
    fn count(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.errors
    }

    fn not(&self, expected: u16) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s != expected)
            .map(|(_, n)| n)
            .sum::<u64>()
            + self.errors
    }

    fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        self.latencies_us.sort_unstable();
        let i = ((self.latencies_us.len() as f64 * p).ceil() as usize).saturating_sub(1);
        f64::from(self.latencies_us[i.min(self.latencies_us.len() - 1)]) / 1000.0
    }
}

/// The current minute's stats per label (`inbox`, `get`).
#[derive(Default)]
pub struct Windows(Mutex<HashMap<&'static str, Stats>>);

impl Windows {
    /// One request's outcome.
    pub fn record(&self, label: &'static str, took: Duration, result: Result<u16>) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let s = m.entry(label).or_default();
        match result {
            Ok(status) => {
                s.latencies_us
                    .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
                *s.statuses.entry(status).or_default() += 1;
            }
            Err(_) => s.errors += 1,
        }
    }

    fn take(&self, label: &'static str) -> Stats {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(label)
            .unwrap_or_default()
    }
}

/// One minute's row.
pub struct Window {
    minute: u64,
    inbox_rps: f64,
    inbox_p50: f64,
    inbox_p99: f64,
    inbox_bad: u64,
    get_rps: f64,
    get_p99: f64,
    get_bad: u64,
    rss_mib: f64,
    hwm_mib: f64,
    fds: usize,
    cpu_cores: f64,
    open_deliveries: i64,
    states: String,
    fleet_posts: u64,
    load1: String,
}

/// Takes the minute's stats and samples the server.
pub async fn sample(
    minute: u64,
    windows: &Windows,
    server: &Server,
    cpu: Duration,
    database_url: &str,
    fleet_posts: u64,
) -> Result<Window> {
    let mut inbox = windows.take("inbox");
    let mut get = windows.take("get");
    let memory = server.memory()?;
    let fds = std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
        .map(|d| d.count())
        .unwrap_or(0);
    let load1 = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    Ok(Window {
        minute,
        inbox_rps: inbox.count() as f64 / 60.0,
        inbox_p50: inbox.percentile_ms(0.50),
        inbox_p99: inbox.percentile_ms(0.99),
        inbox_bad: inbox.not(202),
        get_rps: get.count() as f64 / 60.0,
        get_p99: get.percentile_ms(0.99),
        get_bad: get.not(200),
        rss_mib: memory.rss_kib as f64 / 1024.0,
        hwm_mib: memory.hwm_kib as f64 / 1024.0,
        fds,
        cpu_cores: cpu.as_secs_f64() / 60.0,
        open_deliveries: db::open_deliveries(database_url).await?,
        states: db::delivery_states(database_url).await?,
        fleet_posts,
        load1,
    })
}

/// The table's header (Markdown, so the rows paste into docs/benchmarks.md).
pub fn print_header() {
    println!(
        "| min | inbox/s | p50 ms | p99 ms | inbox not 202 | GET/s | GET p99 ms | GET not 200 | RSS MiB | peak MiB | fds | server cores | open deliveries | fleet POSTs | load1 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
}

impl Window {
    /// Prints the row.
    pub fn print(&self) {
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {} | {:.0} | {:.1} | {} | {:.1} | {:.1} | {} | {:.2} | {} | {} | {} |",
            self.minute,
            self.inbox_rps,
            self.inbox_p50,
            self.inbox_p99,
            self.inbox_bad,
            self.get_rps,
            self.get_p99,
            self.get_bad,
            self.rss_mib,
            self.hwm_mib,
            self.fds,
            self.cpu_cores,
            self.open_deliveries,
            self.fleet_posts,
            self.load1
        );
    }
}

/// First against last minute, and the worst minute.
pub fn summary(rows: &[Window]) {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return;
    };
    let worst_p99 = rows.iter().map(|r| r.inbox_p99).fold(0.0, f64::max);
    let bad: u64 = rows.iter().map(|r| r.inbox_bad + r.get_bad).sum();
    println!(
        "RSS {:.1} -> {:.1} MiB (peak {:.1}); fds {} -> {}; open deliveries {} -> {}; \
         inbox p99 worst minute {:.1} ms; requests not answered as expected: {bad}",
        first.rss_mib,
        last.rss_mib,
        last.hwm_mib,
        first.fds,
        last.fds,
        first.open_deliveries,
        last.open_deliveries,
        worst_p99
    );
    println!("delivery states at the end: {}", last.states);
}
