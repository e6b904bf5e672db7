//! Reading the record back: the audit log, the privacy report, verification and the chain head.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use crate::entry::{AuditEntry, AuditFilter, AuditKind};
use crate::error::ConsentError;
use crate::log::{LogReader, Record, VerifyFailure};
use crate::model::{ConsentStatus, Feature, OsPermission};
use crate::store::ConsentStore;

/// The last record of the chain: an anchor an app can store elsewhere to detect truncation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, uniffi::Record)]
pub struct LogHead {
    /// Sequence number of the last record.
    pub seq: u64,
    /// Its hex SHA-256.
    pub hash: String,
}

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
    /// Time in use of sessions that ended in the window (monotonic clock), ms.
    pub time_in_use_ms: u64,
    /// Start of the last use in the window (Unix ms).
    pub last_use_ms: Option<i64>,
    /// Uses refused in the window.
    pub refused: u32,
    /// Uses by purpose.
    pub purposes: Vec<PurposeUse>,
    /// Consent status now.
    pub status: ConsentStatus,
    /// OS permission now.
    pub os_permission: OsPermission,
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
}

#[uniffi::export]
impl ConsentStore {
    /// Log records matching `filter`, newest first.
    pub fn audit_log(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>, ConsentError> {
        let limit = filter.limit.map_or(usize::MAX, |l| l as usize);
        let mut newest = VecDeque::new();
        self.scan(filter.since_ms, |entry| {
            if filter.matches(&entry) {
                if newest.len() == limit {
                    newest.pop_front();
                }
                newest.push_back(entry);
            }
        })?;
        Ok(newest.into_iter().rev().collect())
    }

    /// Per feature: uses, time in use, last use and refusals in `[since_ms, until_ms)`,
    /// with the current status.
    pub fn privacy_report(
        &self,
        since_ms: i64,
        until_ms: i64,
    ) -> Result<PrivacyReport, ConsentError> {
        let mut lines: Vec<FeatureReport> = self
            .states()
            .into_iter()
            .map(|s| FeatureReport {
                feature: s.feature,
                uses: 0,
                time_in_use_ms: 0,
                last_use_ms: None,
                refused: 0,
                purposes: Vec::new(),
                status: s.status,
                os_permission: s.os_permission,
            })
            .collect();
        // Straight from the decoded records: the report needs no hex hashes or copies.
        self.scan_records(Some(since_ms), |record| {
            let entry = &record.entry;
            let in_window = record.time_ms >= since_ms && record.time_ms < until_ms;
            let (Some(feature), true) = (entry.feature, in_window) else {
                return;
            };
            let line = &mut lines[feature.index()];
            match entry.kind {
                AuditKind::SessionBegan => {
                    line.uses += 1;
                    line.last_use_ms = Some(record.time_ms);
                    let purpose = entry.purpose.as_deref().unwrap_or_default();
                    match line.purposes.iter_mut().find(|p| p.purpose == purpose) {
                        Some(p) => p.uses += 1,
                        None => line.purposes.push(PurposeUse {
                            purpose: purpose.to_string(),
                            uses: 1,
                        }),
                    }
                }
                AuditKind::SessionEnded => line.time_in_use_ms += entry.duration_ms,
                AuditKind::SessionRefused => line.refused += 1,
                _ => {}
            }
        })?;
        Ok(PrivacyReport {
            since_ms,
            until_ms,
            features: lines,
        })
    }

    /// Checks the whole chain. Damage turns every feature off, keeps the files aside and
    /// starts a new chain that names them; the report says where and why.
    pub fn verify(&self) -> Result<VerifyReport, ConsentError> {
        let (reader, epoch) = self.reader()?;
        let outcome = reader.verify();
        let (checked, damage) = match outcome {
            Ok(checked) => (checked, None),
            Err(VerifyFailure {
                first_bad_seq,
                problem,
                records_checked,
            }) => {
                let found = self
                    .inner
                    .restart_chain(Some((first_bad_seq, problem)), Some(epoch))?;
                (records_checked, found)
            }
        };
        let notice = damage.or_else(|| self.recovery_notice());
        Ok(VerifyReport {
            intact: notice.is_none(),
            records_checked: checked,
            first_bad_seq: notice.as_ref().map(|n| n.first_bad_seq),
            problem: notice.as_ref().map(|n| n.problem.clone()),
            quarantined_as: notice.map(|n| n.quarantined_as),
            head: self.head(),
        })
    }

    /// The chain's last record.
    pub fn head(&self) -> LogHead {
        let core = self.inner.core.read();
        let (seq, hash) = match &core.journal {
            Some(journal) => journal.head(),
            None => (0, [0; 32]),
        };
        LogHead {
            seq,
            hash: hex::encode(hash),
        }
    }
}

impl ConsentStore {
    /// A reader of the log as it is now, and the chain it belongs to.
    pub(crate) fn reader(&self) -> Result<(LogReader, u64), ConsentError> {
        let core = self.inner.core.read();
        Ok((core.journal()?.reader(), core.chain_epoch))
    }

    /// Visits records oldest first, as public entries. See `scan_records`.
    pub(crate) fn scan(
        &self,
        since_ms: Option<i64>,
        mut visit: impl FnMut(AuditEntry),
    ) -> Result<(), ConsentError> {
        self.scan_records(since_ms, |record| visit(record.to_audit()))
    }

    /// Visits records oldest first, without holding the store's lock: all of them, or (with
    /// `since_ms`) at least every record at or after that time, skipping older history where
    /// the time index allows.
    pub(crate) fn scan_records(
        &self,
        since_ms: Option<i64>,
        mut visit: impl FnMut(&Record),
    ) -> Result<(), ConsentError> {
        let (reader, _) = self.reader()?;
        let each = |record: Record| {
            visit(&record);
            ControlFlow::Continue(())
        };
        match since_ms {
            Some(since) => reader.for_each_since(since, each),
            None => reader.for_each(each),
        }
        .map_err(|stop| {
            ConsentError::storage(format!(
                "the log could not be read ({stop}); run verify() to recover"
            ))
        })
    }
}
