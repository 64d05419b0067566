//! [`Timestamp`]: the instants of an advisory (RFC 3339, or a bare date as midnight UTC).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC, read from RFC 3339 (or a bare `YYYY-MM-DD`, as midnight
/// UTC) and written as RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(time::OffsetDateTime);

impl Timestamp {
    /// Parses RFC 3339 (`2024-03-01T12:00:00Z`, any offset, fractions allowed)
    /// or a date (`2024-03-01`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(t) =
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        {
            return Ok(Timestamp(t.to_offset(time::UtcOffset::UTC)));
        }
        let date_format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &date_format)
            .map(|d| Timestamp(d.midnight().assume_utc()))
            .map_err(|_| format!("{s:?} is not an RFC 3339 timestamp or a YYYY-MM-DD date"))
    }

    /// The instant `secs` after the Unix epoch.
    pub fn from_unix(secs: i64) -> Option<Self> {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .map(Timestamp)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// RFC 3339 in UTC: `2024-03-01T12:00:00Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}
