//! Reading the record back: audit queries, the privacy report and the verification report — functions over a log reader and a state view.

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;

use crate::audit::{AuditEntry, AuditFilter};
use crate::engine::{LogHead, StateView, Verification};
use crate::entry::Entry;
use crate::error::Error;
use crate::kinds::RecoveryNotice;
use crate::log::{LogReader, Record};
use crate::model::{ConsentStatus, Feature, NotInForce, OsPermission};

/// The outcome of `verify()`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct VerifyReport {
    /// True when the whole history since the last erase verifies: false if this check found
    /// damage, or if an earlier one did and the store restarted its log.
    pub intact: bool,
    /// Records checked in the current chain.
    pub records_checked: u64,
    /// First sequence number that failed (of the damaged chain).
    pub first_bad_seq: Option<u64>,
    /// What was wrong.
    pub problem: Option<String>,
    /// Where the damaged files were kept aside.
    pub quarantined_as: Option<String>,
    /// The current chain's head.
    pub head: LogHead,
    /// With a sealer: the last record a sound seal covers. Records after it are the unsealed
    /// tail, sealed at the next checkpoint or on close.
    pub sealed_through: Option<u64>,
    /// Records after the last seal record (all of them without a sealer): 0 once the store
    /// closed cleanly.
    pub unsealed_records: u64,
    /// With a sealer: records an open found that no seal covered (written by a process that
    /// ended before sealing them, or by someone without the key), marked in the log as such:
    /// the seals after them do not vouch for them.
    pub unvouched_records: u64,
}

/// How one purpose was used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct PurposeUse {
    /// The purpose.
    pub purpose: String,
    /// Sessions begun for it.
    pub uses: u32,
}

/// One feature's line in the privacy report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct FeatureReport {
    /// The feature.
    pub feature: Feature,
    /// Use sessions begun in the window.
    pub uses: u32,
    /// Time in use of sessions that ended in the window, ms.
    pub time_in_use_ms: u64,
    /// Start of the last use in the window (Unix ms).
    pub last_use_ms: Option<i64>,
    /// Uses refused because a person or the OS said no, or a rule forbade them (background,
    /// an undeclared purpose, a single-use grant already in use).
    pub refused: u32,
    /// Uses that found the feature not yet asked, or its terms changed: the app's cue to ask.
    pub needed_consent: u32,
    /// Uses by purpose.
    pub purposes: Vec<PurposeUse>,
    /// Consent status now.
    pub status: ConsentStatus,
    /// OS permission now.
    pub os_permission: OsPermission,
    /// Granted, but not in force now, and why (see `FeatureState::not_in_force`).
    pub not_in_force: Option<NotInForce>,
}

/// One use session seen in a report's window: a bar on its timeline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct UseInterval {
    /// The feature used.
    pub feature: Feature,
    /// The session (the `seq` of its `SessionBegan`).
    pub session_id: u64,
    /// The declared purpose; none when the session began before the window.
    pub purpose: Option<String>,
    /// When it began (Unix ms); before the window's start when it began earlier.
    pub begin_ms: i64,
    /// Its beginning plus its time in use (so a clock set back mid-use never ends it before
    /// it began); none when it had not ended by the window's end.
    pub end_ms: Option<i64>,
}

/// What the app did with each feature over a time window.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct PrivacyReport {
    /// Start of the window (Unix ms, inclusive).
    pub since_ms: i64,
    /// End of the window (Unix ms, exclusive).
    pub until_ms: i64,
    /// One line per feature, in [`Feature::ALL`] order.
    pub features: Vec<FeatureReport>,
    /// The use sessions begun or ended in the window, oldest first: its timeline.
    pub intervals: Vec<UseInterval>,
    /// The store is damaged (found by an inspector): the report is of the records before the
    /// damage, and everything in the store is off.
    pub damage: Option<RecoveryNotice>,
}

/// Visits records oldest first: all of them, or (with `since_ms`) at least every record at or
/// after that time, skipping older history where the time index allows.
pub(crate) fn scan(
    reader: &LogReader,
    since_ms: Option<i64>,
    mut visit: impl FnMut(&Record),
) -> Result<(), Error> {
    let each = |record: Record| {
        visit(&record);
        ControlFlow::Continue(())
    };
    match since_ms {
        Some(since) => reader.for_each_since(since, each),
        None => reader.for_each(each),
    }
    .map_err(|stop| Error::Unreadable(stop.to_string()))
}

/// Log records matching `filter`, newest first.
pub(crate) fn audit_log(
    reader: &LogReader,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, Error> {
    let limit = filter.limit.map_or(usize::MAX, |l| l as usize);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut newest = VecDeque::new();
    scan(reader, filter.since_ms, |record| {
        if filter.matches(record) {
            if newest.len() == limit {
                newest.pop_front();
            }
            newest.push_back(AuditEntry::from_record(record));
        }
    })?;
    Ok(newest.into_iter().rev().collect())
}

/// Per feature: uses, time in use, last use and refusals in `[since_ms, until_ms)`, with the
/// status now.
pub(crate) fn privacy_report(
    reader: &LogReader,
    view: &StateView,
    since_ms: i64,
    until_ms: i64,
) -> Result<PrivacyReport, Error> {
    let mut lines: Vec<FeatureReport> = view
        .states
        .iter()
        .map(|s| FeatureReport {
            feature: s.feature,
            uses: 0,
            time_in_use_ms: 0,
            last_use_ms: None,
            refused: 0,
            needed_consent: 0,
            purposes: Vec::new(),
            status: s.status,
            os_permission: s.os_permission,
            not_in_force: s.not_in_force,
        })
        .collect();
    let mut intervals: Vec<UseInterval> = Vec::new();
    // Where each session begun in the window sits in `intervals`, until it ends.
    let mut open: HashMap<u64, usize> = HashMap::new();
    // Sessions begun before this record were cut off with the history retention removed.
    let first_kept = reader.first_seq();
    scan(reader, Some(since_ms), |record| {
        if record.time_ms < since_ms || record.time_ms >= until_ms {
            return;
        }
        match &record.entry {
            Entry::SessionBegan {
                feature, purpose, ..
            } => {
                open.insert(record.seq, intervals.len());
                intervals.push(UseInterval {
                    feature: *feature,
                    session_id: record.seq,
                    purpose: Some(purpose.clone()),
                    begin_ms: record.time_ms,
                    end_ms: None,
                });
                let line = &mut lines[feature.index()];
                line.uses += 1;
                line.last_use_ms = Some(record.time_ms);
                match line.purposes.iter_mut().find(|p| p.purpose == *purpose) {
                    Some(p) => p.uses += 1,
                    None => line.purposes.push(PurposeUse {
                        purpose: purpose.clone(),
                        uses: 1,
                    }),
                }
            }
            Entry::SessionEnded {
                feature,
                session,
                duration_ms,
                ..
            } => {
                // Only what is still there counts: the end of a use whose start was cut off
                // is no use of its own (I6).
                if *session < first_kept {
                    return;
                }
                lines[feature.index()].time_in_use_ms += duration_ms;
                let duration = i64::try_from(*duration_ms).unwrap_or(i64::MAX);
                match open.remove(session) {
                    Some(i) => {
                        let interval = &mut intervals[i];
                        interval.end_ms = Some(interval.begin_ms.saturating_add(duration));
                    }
                    // Begun before the window: counted back from its end.
                    None => intervals.push(UseInterval {
                        feature: *feature,
                        session_id: *session,
                        purpose: None,
                        begin_ms: record.time_ms.saturating_sub(duration),
                        end_ms: Some(record.time_ms),
                    }),
                }
            }
            Entry::SessionRefused {
                feature, reason, ..
            } => {
                let line = &mut lines[feature.index()];
                if reason.needs_asking() {
                    line.needed_consent += 1;
                } else {
                    line.refused += 1;
                }
            }
            _ => {}
        }
    })?;
    Ok(PrivacyReport {
        since_ms,
        until_ms,
        features: lines,
        intervals,
        damage: view.damage.clone(),
    })
}

/// The public report of a verification, with the head it ends at.
pub(crate) fn verify_report(verification: Verification, head: LogHead) -> VerifyReport {
    let notice = verification.notice;
    VerifyReport {
        intact: notice.is_none(),
        records_checked: verification.records_checked,
        first_bad_seq: notice.as_ref().map(|n| n.first_bad_seq),
        problem: notice.as_ref().map(|n| n.problem.clone()),
        // Empty when damage was found by a read-only opener, which keeps nothing aside.
        quarantined_as: notice
            .map(|n| n.quarantined_as)
            .filter(|kept| !kept.is_empty()),
        unsealed_records: match verification.last_seal_at {
            Some(seal) => head.seq.saturating_sub(seal),
            None => verification.records_checked,
        },
        unvouched_records: verification.unvouched,
        sealed_through: verification.sealed_through,
        head,
    }
}
