//! The command-line tool's time arguments (`--since`): an age like `7d`, a date, or an RFC 3339 time. Uses only the library's public API, so the fuzz target `since` builds it too.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, Time};

const UNITS: [(char, i64); 5] = [
    ('s', 1_000),
    ('m', 60_000),
    ('h', 3_600_000),
    ('d', 86_400_000),
    ('w', 7 * 86_400_000),
];

/// Unix milliseconds for `text`, relative to `now_ms` for ages:
/// - an age: a whole number and a unit, `90s`, `30m`, `24h`, `7d`, `2w`;
/// - a date, `2026-11-01`: that day's local midnight;
/// - an RFC 3339 time, `2026-11-01T08:00:00+08:00` or `…Z`.
pub fn parse_since(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    let expected = || {
        format!(
            "{text:?}: expected an age (30m, 24h, 7d, 2w), a date (2026-11-01) or an RFC 3339 time (2026-11-01T08:00:00Z)"
        )
    };
    if let Some(unit) = text.chars().last() {
        if let Some((_, unit_ms)) = UNITS.iter().find(|(u, _)| *u == unit) {
            let digits = &text[..text.len() - unit.len_utf8()];
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let n: i64 = digits.parse().map_err(|_| expected())?;
                return n
                    .checked_mul(*unit_ms)
                    .and_then(|ago| now_ms.checked_sub(ago))
                    .ok_or_else(|| format!("{text:?}: too far back"));
            }
        }
    }
    if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        let utc_midnight_ms = date.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp() * 1000;
        // The local offset at that moment (its own day's, daylight saving included).
        let offset_ms = local_offset_ms(utc_midnight_ms);
        return Ok(utc_midnight_ms - offset_ms);
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| expected())
}

/// The local offset at `ms` as the library formats local times (daylight saving included);
/// UTC for a time beyond what RFC 3339 writes.
fn local_offset_ms(ms: i64) -> i64 {
    OffsetDateTime::parse(&consentkit::iso8601_local(ms), &Rfc3339)
        .map_or(0, |t| i64::from(t.offset().whole_seconds()) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000;

    #[test]
    fn ages_dates_and_times_are_understood() {
        assert_eq!(parse_since("7d", NOW), Ok(NOW - 7 * 86_400_000));
        assert_eq!(parse_since("30m", NOW), Ok(NOW - 30 * 60_000));
        assert_eq!(parse_since("2w", NOW), Ok(NOW - 14 * 86_400_000));
        assert_eq!(
            parse_since("2026-11-01T00:00:00Z", NOW),
            Ok(1_793_491_200_000)
        );
        assert_eq!(
            parse_since("2026-11-01T08:00:00+08:00", NOW),
            Ok(1_793_491_200_000)
        );
        let date = parse_since("2026-11-01", NOW).unwrap();
        assert!((date - 1_793_491_200_000).abs() <= 14 * 3_600_000, "{date}");
    }

    #[test]
    fn anything_else_is_a_clear_error_never_a_panic() {
        for bad in [
            "",
            "é",
            "d",
            "-7d",
            "7 d",
            "7dd",
            "1.5h",
            "99999999999999999999d",
            "2026-13-01",
            "éd",
            "7é",
        ] {
            let err = parse_since(bad, NOW).unwrap_err();
            assert!(
                err.contains("expected") || err.contains("too far"),
                "{bad:?}: {err}"
            );
        }
        assert!(parse_since("9223372036854775807w", NOW).is_err());
    }
}
