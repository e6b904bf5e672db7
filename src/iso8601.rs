//! ISO-8601 timestamps for exports and reports: Unix milliseconds as a civil date and time at an offset.
//!
//! Dates are computed with the days-from-civil inverse (Howard Hinnant, "chrono-Compatible
//! Low-Level Date Algorithms"): the proleptic Gregorian calendar, no leap seconds, as Unix
//! time has none. The local offset comes from the C library. This replaces the `time`
//! crate in the shipped library, where a formatter for one fixed layout cost ~20 KiB; the
//! tests hold it to `time`'s output.

use std::fmt::Write;

/// Unix milliseconds as ISO-8601 in UTC, with milliseconds and an explicit `+00:00`.
pub fn iso8601(ms: i64) -> String {
    format_at(ms, 0)
}

/// Unix milliseconds as ISO-8601 with the device's local offset at that moment, as Apple's
/// App Privacy Report writes them (`2026-11-23T09:15:02.125+08:00`).
pub fn iso8601_local(ms: i64) -> String {
    format_at(ms, local_offset_seconds(ms))
}

/// `ms` shifted by `offset_s` seconds and written `YYYY-MM-DDTHH:MM:SS.mmm±HH:MM`; a moment
/// outside years 0000–9999 is written `@{ms}ms` rather than as a misleading date.
fn format_at(ms: i64, offset_s: i32) -> String {
    let offset_s = if offset_s.unsigned_abs() < 24 * 3600 {
        offset_s
    } else {
        0
    };
    let Some(local_ms) = ms.checked_add(i64::from(offset_s) * 1000) else {
        return format!("@{ms}ms");
    };
    let days = local_ms.div_euclid(86_400_000);
    let of_day = local_ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return format!("@{ms}ms");
    }
    let (sign, offset) = if offset_s < 0 {
        ('-', -offset_s)
    } else {
        ('+', offset_s)
    };
    let mut out = String::with_capacity(29);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}{sign}{:02}:{:02}",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000,
        offset / 3600,
        offset / 60 % 60,
    );
    out
}

/// Year, month (1–12) and day (1–31) of the day `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The local time zone's offset from UTC at `ms`, from the C library (`localtime_r`, which
/// follows `TZ` and the device's zone, daylight saving included).
#[cfg(unix)]
pub(crate) fn local_offset_seconds(ms: i64) -> i32 {
    let secs = ms.div_euclid(1000) as libc::time_t;
    // SAFETY: `tm` is plain data; localtime_r writes only into it and is thread-safe.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            0
        } else {
            tm.tm_gmtoff as i32
        }
    }
}

#[cfg(not(unix))]
pub(crate) fn local_offset_seconds(_ms: i64) -> i32 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::{OffsetDateTime, UtcOffset};

    /// What the `time` crate writes for the same moment and offset.
    fn by_time_crate(ms: i64, offset_s: i32) -> String {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
        );
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap()
            .to_offset(UtcOffset::from_whole_seconds(offset_s).unwrap())
            .format(&format)
            .unwrap()
    }

    #[test]
    fn known_moments() {
        assert_eq!(iso8601(1_700_000_000_123), "2023-11-14T22:13:20.123+00:00");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000+00:00");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999+00:00");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000+00:00");
        assert_eq!(
            format_at(1_700_000_000_123, 8 * 3600),
            "2023-11-15T06:13:20.123+08:00"
        );
        assert_eq!(
            format_at(1_700_000_000_123, -(9 * 3600 + 30 * 60)),
            "2023-11-14T12:43:20.123-09:30"
        );
        // An offset no time zone has (a day or more) is not trusted: UTC instead.
        assert_eq!(format_at(0, 86_400), "1970-01-01T00:00:00.000+00:00");
        let local = iso8601_local(1_700_000_000_123);
        assert_eq!(local.len(), iso8601(0).len(), "{local}");
    }

    #[test]
    fn moments_no_date_can_name_are_written_as_milliseconds() {
        assert_eq!(iso8601(i64::MAX), format!("@{}ms", i64::MAX));
        assert_eq!(iso8601(i64::MIN), format!("@{}ms", i64::MIN));
        assert_eq!(iso8601(-62_167_219_200_001), "@-62167219200001ms"); // 0000-01-01 minus 1 ms
        assert_eq!(
            iso8601(-62_167_219_200_000),
            "0000-01-01T00:00:00.000+00:00"
        );
        assert_eq!(
            iso8601(253_402_300_799_999),
            "9999-12-31T23:59:59.999+00:00"
        );
        assert_eq!(iso8601(253_402_300_800_000), "@253402300800000ms");
    }

    proptest! {
        #[test]
        fn agrees_with_the_time_crate(
            ms in -62_135_596_800_000i64..253_402_214_400_000, // years 0001..=9999, a day short
            offset_s in -(23 * 3600 + 59 * 60)..=(23 * 3600 + 59 * 60),
        ) {
            let offset_s = offset_s / 60 * 60; // whole minutes, as the format writes them
            prop_assert_eq!(format_at(ms, offset_s), by_time_crate(ms, offset_s));
        }
    }
}
