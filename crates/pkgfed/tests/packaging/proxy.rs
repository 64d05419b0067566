//! The reverse-proxy examples of docs/deploy.md, taken from the document itself: the
//! nginx one runs for real in front of a real pkgfed (TLS with a throwaway
//! certificate, `Host` passed, both body limits answered), the Caddy one passes
//! `caddy validate` and `caddy fmt` (Caddy would fetch a real certificate, which
//! cannot happen here).

use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::tools::{both, free_port, pkgfed, repo_root, require, run};

const PROXIES: &str = "apt-get install nginx-light caddy openssl";

/// The body of the first fenced block of `lang` in docs/deploy.md.
fn example(lang: &str) -> String {
    let doc = std::fs::read_to_string(repo_root().join("docs/deploy.md")).unwrap();
    let start = doc
        .find(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("no {lang} example"))
        + lang.len()
        + 4;
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_owned()
}

/// Kills the child when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> (String, String) {
    let out = run(Command::new("curl")
        .args([
            "-sS",
            "-k",
            "--noproxy",
            "*",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
        ])
        .args(args));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap();
    (status.to_owned(), body.to_owned())
}

fn start_pkgfed(dir: &Path, port: u16) -> Running {
    let config = dir.join("pkgfed.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nbase_url = \"https://pkgs.example.org\"\n\
             [packages]\necosystems = [\"cargo\"]\n[watch]\nenabled = false\n"
        ),
    )
    .unwrap();
    let pkgfed_cmd = |args: &[&str]| {
        let mut cmd = Command::new(pkgfed());
        cmd.arg("--config")
            .arg(&config)
            .args(args)
            .current_dir(dir)
            .env_clear();
        cmd
    };
    let added = run(&mut pkgfed_cmd(&["packages", "add", "pkg:cargo/serde"]));
    assert!(added.status.success(), "{}", both(&added));
    Running(
        pkgfed_cmd(&["serve"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn nginx_example_terminates_tls_passes_host_and_enforces_the_body_limits() {
    let (Some(nginx), Some(openssl)) = (require("nginx", PROXIES), require("openssl", PROXIES))
    else {
        return;
    };
    if require("curl", "apt-get install curl").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(Command::new(openssl)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=pkgs.example.org", "-keyout"])
        .arg(d.join("key.pem"))
        .arg("-out")
        .arg(d.join("cert.pem")));
    assert!(out.status.success(), "{}", both(&out));

    let (app, https, http) = (free_port(), free_port(), free_port());
    let _pkgfed = start_pkgfed(d, app);
    // The documented server blocks, moved to loopback test ports and a test cert.
    let server = example("nginx")
        .replace(
            "/etc/letsencrypt/live/pkgs.example.org/fullchain.pem",
            &d.join("cert.pem").display().to_string(),
        )
        .replace(
            "/etc/letsencrypt/live/pkgs.example.org/privkey.pem",
            &d.join("key.pem").display().to_string(),
        )
        .replace(
            "listen 443 ssl http2;",
            &format!("listen 127.0.0.1:{https} ssl http2;"),
        )
        .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{app}"))
        .lines()
        .filter(|l| !l.contains("listen [::]"))
        .collect::<Vec<_>>()
        .join("\n");
    let conf = d.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\npid {pid};\nerror_log {err};\nevents {{}}\nhttp {{\naccess_log off;\n\
             client_body_temp_path {tmp};\nproxy_temp_path {tmp};\n{server}\n}}\n",
            pid = d.join("nginx.pid").display(),
            err = d.join("error.log").display(),
            tmp = d.display(),
        ),
    )
    .unwrap();
    let error_log = d.join("error.log");
    let prefix = [
        "-p",
        d.to_str().unwrap(),
        "-c",
        conf.to_str().unwrap(),
        "-e",
        error_log.to_str().unwrap(),
    ];
    let test = run(Command::new(&nginx).arg("-t").args(prefix));
    assert!(test.status.success(), "{}", both(&test));
    // One process (master_process off), so killing it leaves no worker behind.
    let _nginx = Running(
        Command::new(&nginx)
            .args(prefix)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let base = format!("https://pkgs.example.org:{https}");
    let resolve = format!("pkgs.example.org:{https}:127.0.0.1");
    let webfinger = format!("{base}/.well-known/webfinger?resource=acct:serde@pkgs.example.org");
    // Both servers start asynchronously; bounded wait for the first good answer.
    let mut answer = (String::new(), String::new());
    for _ in 0..600 {
        answer = curl(&["--resolve", &resolve, &webfinger]);
        if answer.0 == "200" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(answer.0, "200", "{}", answer.1);
    let jrd: serde_json::Value = serde_json::from_str(&answer.1).unwrap();
    assert_eq!(jrd["subject"], "acct:serde@pkgs.example.org");
    assert_eq!(
        jrd["links"][0]["href"],
        "https://pkgs.example.org/packages/serde"
    );

    // Under the limit: reaches pkgfed, which refuses the unsigned garbage itself.
    let body = d.join("body");
    std::fs::write(&body, vec![b'x'; 200 * 1024]).unwrap();
    let post = |file: &Path| {
        curl(&[
            "--resolve",
            &resolve,
            "-X",
            "POST",
            "-H",
            "content-type: application/activity+json",
            "--data-binary",
            &format!("@{}", file.display()),
            &format!("{base}/inbox"),
        ])
    };
    let (status, text) = post(&body);
    assert!(
        status.starts_with('4') && status != "413",
        "{status} {text}"
    );
    assert!(!text.contains("nginx"), "pkgfed answers: {text}");
    // Over 256 KiB: refused at the proxy with 413, pkgfed never sees it.
    std::fs::write(&body, vec![b'x'; 300 * 1024]).unwrap();
    let (status, text) = post(&body);
    assert_eq!(status, "413");
    assert!(text.contains("nginx"), "nginx answers: {text}");

    // Plain http is redirected to https.
    let out = run(Command::new("curl")
        .args([
            "-sS",
            "--noproxy",
            "*",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
        ])
        .args(["--resolve", &format!("pkgs.example.org:{http}:127.0.0.1")])
        .arg(format!("http://pkgs.example.org:{http}/actor")));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("301 https://pkgs.example.org/actor"),
        "{text}"
    );
}

#[test]
fn caddy_example_is_valid_and_formatted() {
    let Some(caddy) = require("caddy", PROXIES) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Caddyfile");
    let example = example("caddyfile");
    std::fs::write(&file, &example).unwrap();
    let caddy_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&caddy);
        cmd.args(args)
            .arg(&file)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"));
        run(&mut cmd)
    };
    let out = caddy_cmd(&["validate", "--adapter", "caddyfile", "--config"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Valid configuration"),
        "{}",
        both(&out)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("not formatted"),
        "{}",
        both(&out)
    );
    let out = caddy_cmd(&["fmt"]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), example);
}
