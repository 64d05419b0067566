//! Runs a test inside a fresh network namespace, so no packet can leave the
//! machine even if the fetcher had a bug.
//!
//! The SSRF matrix aims the fetcher at 10/8, 169.254.169.254, fc00::/7… On the
//! host network a buggy fetcher would really connect there. So each test
//! re-runs itself under `unshare --net --mount`, where the only interface is
//! `lo`. Inside, every address of the matrix is added to `lo` with a listener
//! that counts connections (a bug shows up as a count, not as traffic), and a
//! private `/etc/hosts` is bind-mounted so host names resolve through the
//! system resolver exactly as in production, to the addresses the test chose.
//!
//! Needs root (or `CAP_SYS_ADMIN`), util-linux `unshare` and iproute2 `ip`;
//! `.ci/run` installs `ip` when it is missing. Without them the test fails in
//! CI (`CI=true`) and is skipped with a message elsewhere.

use std::net::IpAddr;
use std::process::Command;

/// Set in the environment of the re-run inside the namespace.
const INSIDE: &str = "PKGFED_SSRF_SANDBOX";

/// Addresses added to `lo` inside the namespace: every private range of the
/// matrix, plus `PUBLIC`, an address the policy allows, which stands in for a
/// remote server (it is local inside the namespace and unroutable outside).
pub const LOCAL_ADDRESSES: &[&str] = &[
    "127.5.6.7",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "169.254.169.254",
    PUBLIC,
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
];

/// The allowed-looking address of the test's "remote" server (see
/// `LOCAL_ADDRESSES`): outside the forbidden ranges, served from `lo`.
pub const PUBLIC: &str = "192.0.1.10";

/// The `/etc/hosts` the namespace sees. A DNS server answers `name.` like
/// `name`; the hosts file needs the absolute spelling listed to do the same.
const HOSTS: &str = "\
127.0.0.1 localhost
::1 localhost
127.0.0.1 loopback.test loopback.test.
127.5.6.7 loopback-alias.test
169.254.169.254 metadata.test
10.1.2.3 internal.test
192.168.1.1 router.test
fc00::1 ula.test
::ffff:127.0.0.1 mapped.test
192.0.1.10 remote.test
192.0.1.10 hop.test
192.0.1.10 mixed.test
10.1.2.3 mixed.test
";

/// Returns `true` when the caller is inside the namespace and should run the
/// test body; otherwise re-runs test `name` there, asserts it passed and
/// returns `false` (or skips, outside CI, when namespaces are unavailable).
pub fn enter(name: &str) -> bool {
    if std::env::var_os(INSIDE).is_some() {
        assert_isolated();
        return true;
    }
    if let Err(reason) = can_sandbox() {
        let message = format!(
            "the SSRF matrix needs a private network namespace ({reason}); run as root with \
             util-linux `unshare` and iproute2 `ip` installed"
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message}");
        }
        eprintln!("skipping {name}: {message}");
        return false;
    }
    // One file per test: the tests of this binary run in parallel.
    let hosts =
        std::env::temp_dir().join(format!("pkgfed-ssrf-hosts-{}-{name}", std::process::id()));
    std::fs::write(&hosts, HOSTS).expect("write the namespace's hosts file");
    let mut script = String::from("set -e; ip link set lo up; ");
    for addr in LOCAL_ADDRESSES {
        // No duplicate address detection: nothing else is on this link, and a
        // "tentative" IPv6 address cannot be bound yet.
        let (prefix, flags) = if addr.contains(':') {
            (128, " nodad")
        } else {
            (32, "")
        };
        script.push_str(&format!("ip addr add {addr}/{prefix} dev lo{flags}; "));
    }
    script.push_str(&format!(
        "mount --bind {} /etc/hosts; exec \"$0\" \"$@\"",
        hosts.display()
    ));
    let exe = std::env::current_exe().expect("the test binary's path");
    let status = Command::new("unshare")
        .args(["--net", "--mount", "--", "/bin/sh", "-c", &script])
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .status()
        .expect("run unshare");
    let _ = std::fs::remove_file(&hosts);
    assert!(
        status.success(),
        "{name} failed inside its network namespace (output above)"
    );
    false
}

/// Whether `unshare --net --mount` and `ip` work here.
fn can_sandbox() -> Result<(), String> {
    let probe = Command::new("unshare")
        .args(["--net", "--mount", "--", "ip", "link", "set", "lo", "up"])
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if probe.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`unshare --net --mount -- ip link set lo up` failed: {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        ))
    }
}

/// Refuses to run the matrix anywhere but in a namespace whose only interface
/// is `lo` (`/proc/net/dev` lists the current namespace's interfaces).
fn assert_isolated() {
    let devices = std::fs::read_to_string("/proc/net/dev").expect("read /proc/net/dev");
    let interfaces: Vec<&str> = devices
        .lines()
        .skip(2)
        .filter_map(|line| line.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(
        interfaces,
        ["lo"],
        "refusing to run the SSRF matrix outside an isolated network namespace"
    );
}

/// Parses one of the literal addresses above.
pub fn ip(text: &str) -> IpAddr {
    text.parse().expect("a literal IP address")
}
