//! A forger, for tests only (feature `testing`): rewrites a store's files as someone who knows the format but not the key would — records changed, removed or cut, then the hash chain, the checkpoints and the snapshot recomputed — to show what the log detects by itself and what only a seal can.
//!
//! Over 400 lines: one short function per forgery the tests attempt, built for tests only.

use std::fs;
use std::path::{Path, PathBuf};

use crate::age::{AgeSignal, AgeSource};
use crate::entry::{Entry, Genesis};
use crate::kinds::{AuditKind, SessionEndReason};
use crate::log::record::{decode_frame, encode_frame, Decoded, GENESIS_PREV, HEADER_LEN, MAGIC};
use crate::log::snapshot::Snapshot;
use crate::model::{Actor, Feature, GrantScope, OsPermission};
use crate::rules::State;

/// The user's grant of `feature` until revoked, under `terms_revision`, for `purposes`.
fn users_grant(feature: Feature, terms_revision: u32, purposes: Vec<String>) -> Entry {
    Entry::Granted {
        feature,
        actor: Actor::User,
        scope: GrantScope::UntilRevoked,
        terms_revision,
        purposes,
    }
}

/// A store's log, decoded, ready to be rewritten.
pub struct Forger {
    dir: PathBuf,
    /// (sequence number before the edits, time, entry)
    records: Vec<(u64, i64, Entry)>,
    file_len: u64,
}

impl Forger {
    /// Reads the log of the store in `dir` (closed). Panics on a log that fails to decode.
    pub fn load(dir: &Path) -> Forger {
        let bytes = fs::read(dir.join("consent.log")).expect("a log to forge");
        let mut records = Vec::new();
        let mut pos = MAGIC.len();
        while pos + HEADER_LEN <= bytes.len() && bytes[pos..pos + HEADER_LEN] != [0; HEADER_LEN] {
            match decode_frame(&bytes[pos..]) {
                Decoded::Record(record, len) => {
                    records.push((record.seq, record.time_ms, record.entry));
                    pos += len;
                }
                other => panic!("the forger reads only sound logs: {other:?}"),
            }
        }
        Forger {
            dir: dir.to_path_buf(),
            records,
            file_len: bytes.len() as u64,
        }
    }

    /// How many records the log holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the log holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The kinds of the records, in order.
    pub fn kinds(&self) -> Vec<AuditKind> {
        self.records.iter().map(|(_, _, e)| e.kind()).collect()
    }

    /// Rewrites the store's files from the records: a fresh hash chain, every checkpoint's
    /// digest and time recomputed, seals left as they were (the forger has no key), the log
    /// padded to its former length, a snapshot of the last checkpoint, no index. An untouched
    /// store comes out byte for byte the same.
    pub fn save(&self) {
        let mut log = MAGIC.to_vec();
        let mut prev = GENESIS_PREV;
        let mut state = State::new("");
        let mut max_time = i64::MIN;
        let mut snapshot = None;
        let mut seals = 0;
        let mut owner = (String::new(), 0);
        for (i, (_, time_ms, entry)) in self.records.iter().enumerate() {
            let seq = i as u64 + 1;
            let mut entry = entry.clone();
            if let Entry::Checkpoint {
                digest,
                max_time_before,
            } = &mut entry
            {
                *digest = state.digest();
                *max_time_before = max_time;
            }
            if let Some(genesis) = entry.genesis() {
                owner = (genesis.app_id.clone(), genesis.chain);
                seals = 0;
            }
            let offset = log.len() as u64;
            let seals_before = seals;
            if matches!(entry, Entry::Sealed { .. }) {
                seals += 1;
            }
            prev = encode_frame(&mut log, &prev, seq, *time_ms, &entry);
            max_time = max_time.max(*time_ms);
            state.apply(seq, *time_ms, &entry, None);
            if matches!(entry, Entry::Checkpoint { .. }) {
                snapshot = Some(Snapshot {
                    seq,
                    offset,
                    hash: prev,
                    max_time,
                    last_time: *time_ms,
                    app_id: owner.0.clone(),
                    chain: owner.1,
                    seals: seals_before,
                    state: state.encode(),
                });
            }
        }
        if (log.len() as u64) < self.file_len {
            log.resize(self.file_len as usize, 0);
        }
        fs::write(self.dir.join("consent.log"), log).unwrap();
        let _ = fs::remove_file(self.dir.join("consent.index"));
        match snapshot {
            Some(snapshot) => fs::write(self.dir.join("consent.snapshot"), snapshot.to_bytes()),
            None => fs::remove_file(self.dir.join("consent.snapshot")).or(Ok(())),
        }
        .unwrap();
    }

    /// The last revocation of `feature` becomes a grant (until revoked, by the user, under the
    /// terms then in force), and the sessions it ended stay open.
    pub fn revoke_to_grant(&mut self, feature: Feature) {
        let at = self
            .records
            .iter()
            .rposition(|(_, _, e)| matches!(e, Entry::Revoked { feature: f, .. } if *f == feature))
            .expect("a revocation to forge");
        let Entry::Revoked { terms_revision, .. } = self.records[at].2 else {
            unreachable!()
        };
        let purposes = self.purposes_at(feature, at);
        self.records[at].2 = Entry::Granted {
            feature,
            actor: Actor::User,
            scope: GrantScope::UntilRevoked,
            terms_revision,
            purposes,
        };
        self.records.retain(|(_, _, e)| {
            !matches!(e, Entry::SessionEnded { feature: f, reason: SessionEndReason::Revoked, .. } if *f == feature)
        });
        self.reseat();
    }

    /// The last revocation of `feature` disappears, and the sessions it ended stay open: a
    /// rewrite the rules cannot tell from a history where nobody withdrew.
    pub fn remove_revocation(&mut self, feature: Feature) {
        let at = self
            .records
            .iter()
            .rposition(|(_, _, e)| matches!(e, Entry::Revoked { feature: f, .. } if *f == feature))
            .expect("a revocation to remove");
        self.records.remove(at);
        self.records.retain(|(_, _, e)| {
            !matches!(e, Entry::SessionEnded { feature: f, reason: SessionEndReason::Revoked, .. } if *f == feature)
        });
        self.reseat();
    }

    /// The first grant of `feature` is made by the app instead of a person.
    pub fn grant_by_app(&mut self, feature: Feature) {
        for (_, _, entry) in &mut self.records {
            if let Entry::Granted {
                feature: f, actor, ..
            } = entry
            {
                if *f == feature {
                    *actor = Actor::App;
                    return;
                }
            }
        }
        panic!("no grant of {feature:?} to forge");
    }

    /// The first refused start of an SDK becomes a start: an SDK that ran before it was
    /// allowed to (before the policy was agreed to, say), with a log claiming otherwise.
    pub fn refused_sdk_to_started(&mut self) {
        for (_, _, entry) in &mut self.records {
            if let Entry::SdkRefused { sdk: Some(sdk), .. } = entry {
                *entry = Entry::SdkStarted { sdk: sdk.clone() };
                return;
            }
        }
        panic!("no refused SDK start to forge");
    }

    /// The first decline of the privacy policy becomes an agreement by the app itself.
    pub fn decline_to_agreement_by_app(&mut self) {
        for (_, _, entry) in &mut self.records {
            if let Entry::PolicyDeclined { revision, .. } = entry {
                *entry = Entry::PolicyAgreed {
                    revision: *revision,
                    actor: Actor::App,
                };
                return;
            }
        }
        panic!("no decline to forge");
    }

    /// The `n`th use session (its beginning and its end) disappears.
    pub fn remove_session(&mut self, n: usize) {
        let began = self
            .records
            .iter()
            .filter(|(_, _, e)| matches!(e, Entry::SessionBegan { .. }))
            .nth(n)
            .map(|(seq, _, _)| *seq)
            .expect("a session to remove");
        self.records.retain(|(seq, _, e)| {
            *seq != began && !matches!(e, Entry::SessionEnded { session, .. } if *session == began)
        });
        self.reseat();
    }

    /// Appends a well-chained grant of `feature` by the user after the last record (and, if
    /// the log says the app is in the background, its return to the foreground first): what
    /// someone without the key adds after the last seal.
    pub fn append_grant(&mut self, feature: Feature) {
        let mut state = State::new("");
        for (i, (_, time, entry)) in self.records.iter().enumerate() {
            state.apply(i as u64 + 1, *time, entry, None);
        }
        let time = self.records.last().map_or(0, |(_, t, _)| *t) + 1;
        if !state.foreground {
            self.push(time, Entry::ForegroundChanged { foreground: true });
        }
        let terms = state.terms(feature);
        self.push(
            time,
            users_grant(feature, terms.terms_revision, terms.purposes.clone()),
        );
    }

    /// Appends a well-chained copy of the last grant: a second grant of what is granted.
    pub fn repeat_last_grant(&mut self) {
        let grant = self
            .records
            .iter()
            .rev()
            .find(|(_, _, e)| matches!(e, Entry::Granted { .. }))
            .map(|(_, _, e)| e.clone())
            .expect("a grant to repeat");
        let time = self.records.last().map_or(0, |(_, t, _)| *t) + 1;
        self.push(time, grant);
    }

    /// Appends a well-chained record of an age signal (`lower`–`upper`, from `source`) after
    /// the last record, whatever the rules would say of it.
    pub fn append_age_signal(&mut self, lower: u32, upper: Option<u32>, source: AgeSource) {
        let time = self.records.last().map_or(0, |(_, t, _)| *t) + 1;
        self.push(
            time,
            Entry::AgeSignalSet(AgeSignal {
                lower,
                upper,
                source,
            }),
        );
    }

    /// Appends a well-chained record of the OS saying `permission` for `feature`.
    pub fn append_os_permission(&mut self, feature: Feature, permission: OsPermission) {
        let time = self.records.last().map_or(0, |(_, t, _)| *t) + 1;
        self.push(
            time,
            Entry::OsPermissionChanged {
                feature,
                permission,
            },
        );
    }

    /// Appends a well-chained record asking again for agreement to the policy revision
    /// `revision`, saying an SDK was added, whether or not anything widened.
    pub fn append_policy_reconsent(&mut self, revision: u32) {
        let time = self.records.last().map_or(0, |(_, t, _)| *t) + 1;
        self.push(
            time,
            Entry::PolicyReconsentRequired {
                revision,
                widened: vec![crate::terms::Widening::SdkAdded {
                    sdk: "tracker".into(),
                }],
            },
        );
    }

    /// Replaces the whole log with a new chain numbered one higher — an erasure, then the app
    /// in the foreground and a grant of `feature` — written without the key (so unsealed).
    pub fn replace_with_a_chain_above(&mut self, feature: Feature) {
        let genesis = self
            .records
            .iter()
            .rev()
            .find_map(|(_, _, e)| e.genesis().cloned());
        let genesis = genesis.expect("a chain to replace");
        let time = self.records.last().map_or(0, |(_, t, _)| *t) + 1;
        let purposes = self.purposes_at(feature, self.records.len());
        self.records.clear();
        self.push(
            time,
            Entry::Erased(Genesis {
                chain: genesis.chain + 1,
                recovery: None,
                ..genesis
            }),
        );
        self.push(time, Entry::ForegroundChanged { foreground: true });
        self.push(time, users_grant(feature, 1, purposes));
    }

    fn push(&mut self, time: i64, entry: Entry) {
        let seq = self.records.len() as u64 + 1;
        self.records.push((seq, time, entry));
    }

    /// Keeps only the first `keep` records.
    pub fn truncate(&mut self, keep: usize) {
        self.records.truncate(keep);
    }

    /// The first record no longer says the chain was recovered after damage.
    pub fn unrecover(&mut self) {
        let (_, _, first) = &mut self.records[0];
        let Entry::Recovered(genesis) = first else {
            panic!("the first record is not a recovery")
        };
        *first = Entry::ChainStarted(Genesis {
            recovery: None,
            ..genesis.clone()
        });
    }

    /// The declared purposes of `feature` in force before record `at`.
    fn purposes_at(&self, feature: Feature, at: usize) -> Vec<String> {
        let mut state = State::new("");
        for (i, (_, time, entry)) in self.records[..at].iter().enumerate() {
            state.apply(i as u64 + 1, *time, entry, None);
        }
        state.terms(feature).purposes.clone()
    }

    /// Session ids name the sequence number of their beginning: after records were removed,
    /// point each end at its session's new place, and number everything afresh.
    fn reseat(&mut self) {
        let new_seq: std::collections::HashMap<u64, u64> = self
            .records
            .iter()
            .enumerate()
            .map(|(i, (old, _, _))| (*old, i as u64 + 1))
            .collect();
        for (i, (old, _, entry)) in self.records.iter_mut().enumerate() {
            if let Entry::SessionEnded { session, .. } = entry {
                *session = new_seq[session];
            }
            *old = i as u64 + 1;
        }
    }
}

/// Zeroes the last record of the store's log on disk, as if it were never written.
pub fn zero_last_record(dir: &Path) {
    let path = dir.join("consent.log");
    let mut bytes = fs::read(&path).unwrap();
    let mut pos = MAGIC.len();
    let mut last = None;
    while let Decoded::Record(_, len) = decode_frame(&bytes[pos..]) {
        last = Some(pos..pos + len);
        pos += len;
    }
    bytes[last.expect("a record to zero")].fill(0);
    fs::write(&path, bytes).unwrap();
}

/// Rewrites the base of a compacted log so that `feature` reads granted by the user, with a
/// sound checksum: a forger who knows the format but cannot change the checkpoint the base is
/// bound to.
pub fn grant_in_base(dir: &Path, feature: Feature) {
    let path = dir.join("consent.log");
    let bytes = fs::read(&path).expect("a log to forge");
    let log = crate::log::bytes::Bytes::memory(bytes.clone());
    let (start, base) = match crate::log::base::read(&log).expect("readable") {
        Ok((start, Some(base))) => (start, base),
        _ => panic!("the log has no base to forge"),
    };
    let mut state = State::decode(&base.state).expect("a state");
    let record = &mut state.features[feature.index()];
    record.status = crate::model::ConsentStatus::Granted;
    record.scope = Some(GrantScope::UntilRevoked);
    record.actor = Some(Actor::User);
    let mut forged = base.clone();
    forged.state = state.encode();
    let mut out = MAGIC.to_vec();
    out.extend(forged.to_bytes());
    out.extend_from_slice(&bytes[start as usize..]);
    fs::write(&path, out).unwrap();
    let _ = fs::remove_file(dir.join("consent.snapshot"));
}
