//! One mode of the watch bench: seed, start pkgfed, wait for the baselines, publish
//! during the window, wait for the deliveries, report.

use super::*;

pub(super) async fn run_mode(
    args: &WatchArgs,
    scaled: Scaled,
    bin: &Path,
    pkgs: &[Pkg],
    feed: bool,
) -> Result<()> {
    let mode = if feed {
        "change-feed mode (pypi.updates_feed_url set; cargo and npm poll)"
    } else {
        "polling mode (no change feed)"
    };
    println!("\n==== {mode}");
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds.clamp(60, 7_200));
    let k = scaled.k as f64;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let database_url = format!("sqlite://{}", dir.path().join("pkgfed.db").display());

    // The registry: two versions of every package.
    let fixture = FixtureRegistry::start()
        .await
        .context("cannot start the fixture registry")?;
    let newest = now_unix() - args.age_days as i64 * 86_400;
    fixture.edit(|r| {
        for p in pkgs {
            for (version, unix) in [("1.0.0", newest - 60 * 86_400), ("1.1.0", newest)] {
                publish_in(r, p, version, unix);
            }
        }
    });

    let inboxes = Arc::new(Inboxes::default());
    let ports = start_inboxes(args.inbox_servers, &inboxes).await?;
    let t = Instant::now();
    seed_db(&database_url, pkgs, &ports).await?;
    println!(
        "seeded the registry and the database in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Picked after the inbox servers bound their ports.
    let port = free_port()?;
    let setup = Setup {
        bin: bin.to_owned(),
        dir: dir.path().to_owned(),
        database_url: database_url.clone(),
        env: server_env(&scaled, &fixture, feed),
    };
    let server = setup.start(port, "watch")?;
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::from_str(&database_url)?.read_only(true))
        .await
        .context("cannot open the database for reading")?;

    // 1. Baseline: every package checked once; nothing may be posted.
    let started = Instant::now();
    let cpu0 = server.cpu()?;
    let mut done_at: HashMap<String, Duration> = HashMap::new();
    let per_eco = (pkgs.len() / 3) as i64;
    loop {
        let counts = baseline_counts(&pool).await?;
        for (eco, (n, b)) in &counts {
            if *n >= per_eco && b >= n && !done_at.contains_key(eco) {
                done_at.insert(eco.clone(), started.elapsed());
            }
        }
        if done_at.len() == 3 {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "baselines incomplete: {counts:?}; pkgfed's log:\n{}",
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let baseline_took = started.elapsed();
    let baseline_cpu = server.cpu()?.saturating_sub(cpu0);
    let baseline_requests = count(&fixture.requests(), started, Instant::now());
    println!(
        "baselines done after {} (cargo {}, npm {}, pypi {}); pkgfed CPU {:.1} s; registry requests cargo {}, npm {}, pypi {} (+{} feed); POSTs so far {}",
        human(baseline_took.as_secs_f64()),
        human(done_at["cargo"].as_secs_f64()),
        human(done_at["npm"].as_secs_f64()),
        human(done_at["pypi"].as_secs_f64()),
        baseline_cpu.as_secs_f64(),
        baseline_requests
            .get(&Ecosystem::Cargo)
            .map_or(0, |c| c.packages),
        baseline_requests
            .get(&Ecosystem::Npm)
            .map_or(0, |c| c.packages),
        baseline_requests
            .get(&Ecosystem::Pypi)
            .map_or(0, |c| c.packages),
        baseline_requests
            .get(&Ecosystem::Pypi)
            .map_or(0, |c| c.feed),
        inboxes.posts.load(Ordering::Relaxed),
    );
    let posts_in_baseline = inboxes.posts.load(Ordering::Relaxed);

    // 2. The window: publications, requests, CPU, memory.
    let window = Duration::from_secs(if feed {
        args.feed_window_seconds
            .unwrap_or(scaled.max_interval * 115 / 100)
    } else {
        args.window_seconds
    })
    .max(Duration::from_secs(5));
    let picks = pick_samples(args.samples, pkgs.len());
    let (sampler, peak_rss) = sample_peak_rss(server.pid());
    let w0 = Instant::now();
    let cpu_w0 = server.cpu()?;
    let self_w0 = cpu_time_of("self")?;
    let machine_w0 = machine_busy()?;
    let mem_w0 = server.memory()?;
    let mut samples = Vec::with_capacity(picks.len());
    for (n, &i) in picks.iter().enumerate() {
        let due = w0 + window.mul_f64((n as f64 + 0.5) / picks.len() as f64);
        tokio::time::sleep_until(due.into()).await;
        let version = "2.0.0".to_owned();
        let at = Instant::now();
        publish(&fixture, &pkgs[i], &version, now_unix());
        samples.push(Sample {
            pkg: i,
            version,
            at,
        });
    }
    tokio::time::sleep_until((w0 + window).into()).await;
    let w1 = Instant::now();
    let cpu_window = server.cpu()?.saturating_sub(cpu_w0);
    let self_window = cpu_time_of("self")?.saturating_sub(self_w0);
    let machine_window = machine_busy()?.saturating_sub(machine_w0);
    let mem_w1 = server.memory()?;
    let demand = schedule_demand(&pool).await?;
    let window_requests = count(&fixture.requests(), w0, w1);

    // 3. Every sample delivered (or the deadline).
    let round = pkgs.len() as f64 / 3.0 / scaled.rps;
    let drain_until = (Instant::now()
        + Duration::from_secs_f64(2.0 * round.max(scaled.min_interval as f64) + 30.0))
    .min(deadline);
    loop {
        let arrived = {
            let r = inboxes.releases.lock().unwrap_or_else(|e| e.into_inner());
            samples
                .iter()
                .filter(|s| r.contains_key(&(pkgs[s.pkg].handle.clone(), s.version.clone())))
                .count()
        };
        if arrived == samples.len() || Instant::now() > drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sampler.abort();
    let mem_end = server.memory()?;
    let cpu_total = server.cpu()?.saturating_sub(cpu0);
    let all_requests = fixture.requests();
    let warnings = server.warnings();
    server.stop()?;
    pool.close().await;

    let mut lat = latencies(&samples, pkgs, &all_requests, &inboxes, k);

    // Report.
    let w = w1.duration_since(w0).as_secs_f64();
    println!(
        "window {:.0} s (= {} at defaults), {} publications; other CPU: bench {:.1} s, other processes {:.1} s ({:.2} cores)",
        w,
        human(w * k),
        samples.len(),
        self_window.as_secs_f64(),
        machine_window
            .saturating_sub(cpu_window + self_window)
            .as_secs_f64(),
        machine_window
            .saturating_sub(cpu_window + self_window)
            .as_secs_f64()
            / w
    );
    let total_req = print_requests(&window_requests, &demand, w, k, feed);

    println!(
        "\npkgfed CPU in the window {:.2} s = {:.3} cores; {:.0} µs per registry request; at defaults ≈ {:.1} CPU-s per hour ({:.4} cores)",
        cpu_window.as_secs_f64(),
        cpu_window.as_secs_f64() / w,
        cpu_window.as_secs_f64() * 1e6 / total_req.max(1) as f64,
        cpu_window.as_secs_f64() / w / k * 3600.0,
        cpu_window.as_secs_f64() / w / k,
    );
    println!(
        "pkgfed CPU baseline {:.1} s ({:.0} µs per package); whole mode {:.1} s",
        baseline_cpu.as_secs_f64(),
        baseline_cpu.as_secs_f64() * 1e6 / pkgs.len() as f64,
        cpu_total.as_secs_f64()
    );
    println!(
        "pkgfed memory: VmRSS at window start {}, end {}, peak sampled {}; after drain {}; VmHWM {}",
        mib(mem_w0.rss_kib),
        mib(mem_w1.rss_kib),
        mib(peak_rss.load(Ordering::Relaxed)),
        mib(mem_end.rss_kib),
        mib(mem_end.hwm_kib)
    );

    let lost = print_latencies(&mut lat, pkgs.len());
    let posts = inboxes.posts.load(Ordering::Relaxed);
    println!(
        "\ninbox POSTs {} (during baselines {}), not a release Create naming its version {}; pkgfed WARN/ERROR log lines {}",
        posts,
        posts_in_baseline,
        inboxes.other.load(Ordering::Relaxed),
        warnings.len()
    );
    for l in warnings.iter().take(5) {
        println!("  {l}");
    }
    if args.keep {
        println!("kept: {}", dir.keep().display());
    }
    if posts_in_baseline > 0 {
        bail!("{posts_in_baseline} POSTs during the baselines (a baseline must post nothing)");
    }
    if lost > 0 {
        bail!("{lost} publications did not reach an inbox in time");
    }
    Ok(())
}
