//! Notification latency of the watch bench per registry: publication → the check that
//! saw it → the inbox POST, measured and scaled back to the defaults.

use super::*;

/// Latencies of one registry's samples, in seconds.
pub(super) struct Lat {
    detect: Vec<f64>,
    deliver: Vec<f64>,
    total: Vec<f64>,
    scaled_total: Vec<f64>,
    missing: usize,
}

/// Each sample's publication → first 200 for its package after it → its Create at an
/// inbox; `scaled_total` = detect × K + deliver.
pub(super) fn latencies(
    samples: &[Sample],
    pkgs: &[Pkg],
    all_requests: &[RecordedRequest],
    inboxes: &Inboxes,
    k: f64,
) -> HashMap<Ecosystem, Lat> {
    let arrivals = inboxes
        .releases
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut first_ok: HashMap<&str, Vec<Instant>> = HashMap::new();
    let sampled_paths: HashSet<&str> = samples.iter().map(|s| pkgs[s.pkg].path.as_str()).collect();
    for r in all_requests {
        if r.status == 200 && sampled_paths.contains(r.path.as_str()) {
            first_ok.entry(r.path.as_str()).or_default().push(r.at);
        }
    }
    let mut lat: HashMap<Ecosystem, Lat> = HashMap::new();
    for s in samples {
        let p = &pkgs[s.pkg];
        let l = lat.entry(p.eco).or_insert_with(|| Lat {
            detect: Vec::new(),
            deliver: Vec::new(),
            total: Vec::new(),
            scaled_total: Vec::new(),
            missing: 0,
        });
        let arrived = arrivals.get(&(p.handle.clone(), s.version.clone()));
        let seen = first_ok
            .get(p.path.as_str())
            .and_then(|v| v.iter().find(|&&t| t > s.at).copied());
        match (seen, arrived) {
            (Some(seen), Some(&arrived)) => {
                let detect = seen.duration_since(s.at).as_secs_f64();
                let deliver = arrived.saturating_duration_since(seen).as_secs_f64();
                l.detect.push(detect);
                l.deliver.push(deliver);
                l.total.push(arrived.duration_since(s.at).as_secs_f64());
                l.scaled_total.push(detect * k + deliver);
            }
            _ => l.missing += 1,
        }
    }
    lat
}

/// Prints the latency table; how many samples never arrived.
pub(super) fn print_latencies(lat: &mut HashMap<Ecosystem, Lat>, packages: usize) -> usize {
    println!(
        "\nnotification latency, publication → inbox (measured; at defaults = (publication → check) × K + (check → inbox))"
    );
    println!(
        "{:<6} {:>4} {:>4} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>14} {:>14} {:>14}",
        "",
        "n",
        "lost",
        "detect p50",
        "detect p99",
        "deliver p50",
        "deliver p99",
        "total p50",
        "total p99",
        "dflt p50",
        "dflt p99",
        "dflt max"
    );
    let mut lost = 0;
    for eco in ECOSYSTEMS {
        let Some(l) = lat.get_mut(&eco) else {
            continue;
        };
        for v in [
            &mut l.detect,
            &mut l.deliver,
            &mut l.total,
            &mut l.scaled_total,
        ] {
            v.sort_by(f64::total_cmp);
        }
        lost += l.missing;
        println!(
            "{:<6} {:>4} {:>4} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>14} {:>14} {:>14}",
            eco.as_str(),
            l.total.len(),
            l.missing,
            human(pct(&l.detect, 50.0)),
            human(pct(&l.detect, 99.0)),
            human(pct(&l.deliver, 50.0)),
            human(pct(&l.deliver, 99.0)),
            human(pct(&l.total, 50.0)),
            human(pct(&l.total, 99.0)),
            human(pct(&l.scaled_total, 50.0)),
            human(pct(&l.scaled_total, 99.0)),
            human(pct(&l.scaled_total, 100.0)),
        );
    }
    let polling_round = packages as f64 / 3.0 / DEFAULT_RPS;
    println!(
        "(polling round at defaults: {} packages ÷ {} req/s = {}; feed read every {} s at defaults)",
        packages / 3,
        DEFAULT_RPS,
        human(polling_round),
        DEFAULT_FEED_INTERVAL
    );
    lost
}
