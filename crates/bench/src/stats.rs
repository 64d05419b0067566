//! Latency percentiles and the printed report.

use std::time::Duration;

use crate::load::Outcome;
use crate::server::CpuSplit;

/// Latency percentiles of a run, in microseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Latency {
    /// Median.
    pub p50: u32,
    /// 90th percentile.
    pub p90: u32,
    /// 99th percentile.
    pub p99: u32,
    /// Slowest.
    pub max: u32,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    /// Nearest-rank percentiles of `samples` (sorted in place).
    pub fn of(samples: &mut [u32]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let at = |p: usize| {
            let rank = (samples.len() * p).div_ceil(100).max(1);
            samples[rank - 1]
        };
        Self {
            p50: at(50),
            p90: at(90),
            p99: at(99),
            max: samples[samples.len() - 1],
            mean: samples.iter().map(|&s| f64::from(s)).sum::<f64>() / samples.len() as f64,
        }
    }
}

/// Microseconds as milliseconds with two decimals.
pub fn ms(us: u32) -> String {
    format!("{:.2} ms", f64::from(us) / 1000.0)
}

/// Prints one run: throughput, latency, status codes and CPU per request.
pub fn report(name: &str, outcome: &mut Outcome, expected: u16, cpu: CpuSplit) -> Latency {
    let lat = Latency::of(&mut outcome.latencies_us);
    let n = outcome.answered().max(1) as f64;
    println!("== {name}");
    println!(
        "requests {} in {:.2} s  →  {:.0} req/s",
        outcome.answered(),
        outcome.elapsed.as_secs_f64(),
        outcome.rps()
    );
    println!(
        "latency  p50 {}  p90 {}  p99 {}  max {}  mean {:.2} ms",
        ms(lat.p50),
        ms(lat.p90),
        ms(lat.p99),
        ms(lat.max),
        lat.mean / 1000.0
    );
    let statuses: Vec<String> = outcome
        .statuses
        .iter()
        .map(|(s, c)| format!("{s}×{c}"))
        .collect();
    println!(
        "status   {}  errors {}  not-{expected} {}",
        statuses.join(" "),
        outcome.errors,
        outcome.unexpected(expected)
    );
    for e in &outcome.error_samples {
        println!("  error: {e}");
    }
    let secs = outcome.elapsed.as_secs_f64().max(1e-9);
    let cores = |d: Duration| d.as_secs_f64() / secs;
    println!(
        "cpu      server {:.1} µs/req ({:.2} cores)  client {:.1} µs/req ({:.2} cores)  other processes {:.2} cores",
        cpu.server.as_secs_f64() * 1e6 / n,
        cores(cpu.server),
        cpu.client.as_secs_f64() * 1e6 / n,
        cores(cpu.client),
        cores(cpu.others),
    );
    if cores(cpu.others) > 0.1 {
        println!(
            "warning: other processes used {:.2} cores during the run; numbers are pessimistic",
            cores(cpu.others)
        );
    }
    lat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u32> = (1..=100).rev().collect();
        let l = Latency::of(&mut v);
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50, 90, 99, 100));
        let mut one = vec![7];
        assert_eq!(Latency::of(&mut one).p99, 7);
    }
}
