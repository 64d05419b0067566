//! Human-readable output of `pkgfed admin …`: the API's JSON as aligned tables, and
//! Server-Sent Events parsed from the byte stream.

use serde_json::Value;

/// A JSON value as a table cell: strings unquoted, null as `-`.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Unix milliseconds as UTC time (`-` for null).
pub fn time(v: &Value) -> String {
    let Some(ms) = v.as_i64() else {
        return cell(v);
    };
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// Prints rows under headers, columns aligned; `empty` when there are no rows.
pub fn table(headers: &[&str], rows: &[Vec<String>], empty: &str) {
    if rows.is_empty() {
        println!("{empty}");
        return;
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    (*c).to_owned()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        println!("{}", text.join("  "));
    };
    line(headers.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// `activity-status`: one row per recipient of each delivery.
pub fn activity(v: &Value) {
    println!("activity:  {}", cell(&v["activity_id"]));
    println!("type:      {}", cell(&v["kind"]));
    println!("actor:     {}", cell(&v["actor_id"]));
    match &v["status_detail"] {
        Value::Null => println!("status:    {}", cell(&v["status"])),
        d => println!("status:    {} ({})", cell(&v["status"]), cell(d)),
    }
    println!();
    let mut rows = Vec::new();
    for d in items(&v["deliveries"]) {
        let detail = match d["state"].as_str() {
            Some("pending") => format!("next attempt {}", time(&d["next_attempt_at"])),
            _ => cell(&d["last_error"]),
        };
        let recipients = items(&d["recipients"]);
        let recipients = if recipients.is_empty() {
            vec!["-".to_owned()]
        } else {
            recipients.iter().map(cell).collect()
        };
        for r in recipients {
            rows.push(vec![
                r,
                cell(&d["inbox"]),
                cell(&d["state"]),
                cell(&d["attempts"]),
                cell(&d["last_status"]),
                detail.clone(),
            ]);
        }
    }
    table(
        &["RECIPIENT", "INBOX", "STATE", "ATTEMPTS", "HTTP", "DETAIL"],
        &rows,
        "no deliveries",
    );
}

/// `failures`.
pub fn failures(v: &Value) {
    let rows: Vec<Vec<String>> = items(&v["failures"])
        .iter()
        .map(|r| {
            vec![
                time(&r["created_at"]),
                cell(&r["result"]),
                cell(&r["status_code"]),
                cell(&r["activity_type"]),
                cell(&r["inbox_url"]),
                cell(&r["suggested_action"]),
                cell(&r["reason"]),
            ]
        })
        .collect();
    table(
        &[
            "WHEN", "RESULT", "HTTP", "TYPE", "INBOX", "ACTION", "REASON",
        ],
        &rows,
        "no failed deliveries",
    );
}

/// A list of dead followers.
pub fn dead(list: &Value) {
    let rows: Vec<Vec<String>> = items(list)
        .iter()
        .map(|f| {
            vec![
                cell(&f["package"]),
                cell(&f["actor_id"]),
                cell(&f["inbox"]),
                cell(&f["reason"]),
            ]
        })
        .collect();
    table(
        &["PACKAGE", "FOLLOWER", "INBOX", "REASON"],
        &rows,
        "no dead followers",
    );
}

/// `cleanup-dead-followers`.
pub fn cleanup(v: &Value) {
    let n = cell(&v["removed"]);
    if v["dry_run"].as_bool() == Some(true) {
        println!("dry run: would remove {n} dead follower(s)");
    } else {
        println!("removed {n} dead follower(s)");
    }
    if v["removed"].as_u64().unwrap_or_default() > 0 {
        dead(&v["followers"]);
    }
}

/// `flagged-domains`.
pub fn flagged(v: &Value) {
    let rows: Vec<Vec<String>> = items(&v["flagged_domains"])
        .iter()
        .map(|d| {
            vec![
                cell(&d["domain"]),
                time(&d["flagged_at"]),
                cell(&d["reason"]),
            ]
        })
        .collect();
    table(
        &["DOMAIN", "FLAGGED", "REASON"],
        &rows,
        "no flagged domains",
    );
}

/// `blocks`.
pub fn blocks(v: &Value) {
    if v["allowlist_mode"].as_bool() == Some(true) {
        println!("allow-list mode: only federation.allowed_domains are federated with");
    }
    let rows: Vec<Vec<String>> = items(&v["domain_blocks"])
        .iter()
        .map(|d| {
            vec![
                cell(&d["domain"]),
                cell(&d["source"]),
                time(&d["created_at"]),
                cell(&d["reason"]),
            ]
        })
        .collect();
    table(
        &["DOMAIN", "SOURCE", "ADDED", "REASON"],
        &rows,
        "no blocked domains",
    );
}

/// `hosts`.
pub fn hosts(v: &Value) {
    let rows: Vec<Vec<String>> = items(&v["hosts"])
        .iter()
        .map(|h| {
            vec![
                cell(&h["host"]),
                cell(&h["circuit"]),
                cell(&h["consecutive_failures"]),
                time(&h["failing_since"]),
                time(&h["circuit_open_until"]),
                if h["unavailable"].as_bool() == Some(true) {
                    "no".into()
                } else {
                    "yes".into()
                },
                cell(&h["pending"]),
                time(&h["last_success_at"]),
                cell(&h["signature_scheme"]),
            ]
        })
        .collect();
    table(
        &[
            "HOST",
            "CIRCUIT",
            "FAILURES",
            "FAILING SINCE",
            "OPEN UNTIL",
            "AVAILABLE",
            "PENDING",
            "LAST SUCCESS",
            "SCHEME",
        ],
        &rows,
        "no hosts yet (nothing delivered)",
    );
}

/// `registries`.
pub fn registries(v: &Value) {
    let rows: Vec<Vec<String>> = items(&v["registries"])
        .iter()
        .map(|r| {
            vec![
                cell(&r["ecosystem"]),
                if r["change_feed"].as_bool() == Some(true) {
                    "feed".into()
                } else {
                    "poll".into()
                },
                cell(&r["tracked"]),
                cell(&r["due"]),
                cell(&r["erroring"]),
                cell(&r["requests"]["requests"]),
                format!("{:.1}%", r["error_rate"].as_f64().unwrap_or(0.0) * 100.0),
                cell(&r["last_success"]),
                if r["stalled"].as_bool() == Some(true) {
                    "STALLED".into()
                } else {
                    "ok".into()
                },
            ]
        })
        .collect();
    table(
        &[
            "REGISTRY",
            "MODE",
            "TRACKED",
            "BACKLOG",
            "ERRORING",
            "REQUESTS",
            "ERRORS",
            "LAST SUCCESS",
            "STATE",
        ],
        &rows,
        "no registry configured",
    );
    for u in items(&v["unconfigured"]) {
        println!(
            "{} is enabled but not watched: set {}",
            cell(&u["ecosystem"]),
            cell(&u["key"])
        );
    }
}

/// One Server-Sent Events message, or a comment line.
#[derive(Debug, PartialEq, Eq)]
pub enum SseMessage {
    /// An event with its name and data.
    Event {
        /// `event:` (default `message`).
        name: String,
        /// `data:` lines joined with newlines.
        data: String,
    },
    /// A `:` comment other than a keep-alive ping.
    Comment(String),
}

/// Splits an SSE byte stream into messages, across chunk boundaries.
#[derive(Default)]
pub struct SseParser {
    pending: Vec<u8>,
    name: Option<String>,
    data: Vec<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the messages it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseMessage> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push(SseMessage::Event {
                        name: self.name.take().unwrap_or_else(|| "message".into()),
                        data: self.data.join("\n"),
                    });
                }
                self.name = None;
                self.data.clear();
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "" if !value.is_empty() && value != "keep-alive" => {
                    out.push(SseMessage::Comment(value.to_owned()));
                }
                "event" => self.name = Some(value.to_owned()),
                "data" => self.data.push(value.to_owned()),
                _ => {}
            }
        }
        out
    }
}

/// `pkgfed admin recheck`: what was marked, and how the checks ended when it waited.
pub fn recheck(v: &Value) {
    let marked = v["marked"].as_object();
    let total: u64 = marked
        .into_iter()
        .flatten()
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    let per: Vec<String> = marked
        .into_iter()
        .flatten()
        .map(|(e, n)| format!("{e} {}", cell(n)))
        .collect();
    println!(
        "marked {total} tracked package(s) for a check ({})",
        per.join(", ")
    );
    if total == 0 {
        println!("nothing is tracked there: packages are watched once somebody follows them");
    } else if v.get("remaining").is_none() {
        println!("the checks run in the background; `pkgfed admin registries` shows the backlog");
    } else {
        match v["erroring"].as_u64().unwrap_or(0) {
            0 => println!("all checked"),
            n => println!(
                "all checked; {n} package(s) failing their check (`pkgfed admin registries` shows each registry's errors)"
            ),
        }
    }
}

/// Prints one message: `name  data` (or just the data, one JSON per line, with
/// `--json`); comments such as skipped-event warnings go to stderr.
pub fn event(json: bool, m: &SseMessage) {
    match m {
        SseMessage::Event { data, .. } if json => println!("{data}"),
        SseMessage::Event { name, data } => println!("{name}  {data}"),
        SseMessage::Comment(c) => eprintln!("server: {c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_messages_survive_chunk_boundaries_and_skip_pings() {
        let mut p = SseParser::default();
        assert!(p.feed(b":keep-alive\n\nevent: circuit_op").is_empty());
        let got = p.feed(b"ened\r\ndata: {\"host\":\"a\"}\n\n: lagged, 3 events skipped\n\n");
        assert_eq!(
            got,
            vec![
                SseMessage::Event {
                    name: "circuit_opened".into(),
                    data: "{\"host\":\"a\"}".into()
                },
                SseMessage::Comment("lagged, 3 events skipped".into()),
            ]
        );
    }

    #[test]
    fn times_and_cells() {
        assert_eq!(time(&Value::from(0)), "1970-01-01 00:00:00Z");
        assert_eq!(time(&Value::Null), "-");
        assert_eq!(cell(&serde_json::json!(["a", "b"])), "a, b");
        assert_eq!(cell(&Value::from(410)), "410");
    }
}
