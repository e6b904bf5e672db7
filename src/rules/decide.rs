//! The verbs: each reads the state and decides the records to append with its outcome. A decision that changes nothing writes nothing.
//!
//! Over 400 lines: one short function per verb of the public surface; the conditions they share are in `check.rs`.

use super::check::os_permission_refusal;
use super::state::{OpenSession, State};
use super::{Decision, Now, Refusal};
use crate::entry::Entry;
use crate::kinds::SessionEndReason;
use crate::model::{purpose_problem, Actor, ConsentStatus, Feature, GrantScope, OsPermission};
use crate::terms::{feature_widenings, AppTerms, FeatureTerms};

/// When sessions end: now, or — for sessions a dead process left open — at the last moment
/// that process was known alive, so no hours of use are invented.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ending {
    At(Now),
    Interrupted { last_alive_ms: i64 },
}

impl State {
    /// Only a person can open a door (rule 1), and only through the app's UI (rule 7). A
    /// grant covers every purpose declared now (rule 4). Granting what is already granted,
    /// the same way, changes nothing.
    pub fn grant(&self, feature: Feature, scope: GrantScope, actor: Actor) -> Decision {
        let all = self.terms(feature).purposes.clone();
        self.grant_covering(feature, all, scope, actor)
    }

    /// A grant for some of the declared purposes (the clipboard for `login`, not for
    /// `channel_stats`). Added to what a standing grant of the same scope, under the same
    /// terms, already covers.
    pub fn grant_purposes(
        &self,
        feature: Feature,
        purposes: &[String],
        scope: GrantScope,
        actor: Actor,
    ) -> Decision {
        if purposes.is_empty() {
            return Decision::refused(Refusal::InvalidPurposes(
                "grant_purposes needs at least one purpose (grant covers them all)".into(),
            ));
        }
        let terms = self.terms(feature);
        for purpose in purposes {
            if let Some(problem) = purpose_problem(purpose) {
                return Decision::refused(Refusal::InvalidPurposes(problem));
            }
            if !terms.declares(purpose) {
                return Decision::refused(Refusal::UndeclaredPurpose {
                    feature,
                    purpose: purpose.clone(),
                });
            }
        }
        // Added to a grant of the same scope under the same terms by the same person: never
        // to another's, whose purposes the new decision would otherwise carry under its own
        // standing (a guardian's grant must not make a minor's own consent count, I1).
        let record = self.record(feature);
        let adds_to_standing = record.status == ConsentStatus::Granted
            && record.scope == Some(scope)
            && record.actor == Some(actor)
            && record.terms_revision == terms.terms_revision;
        let covered = terms.in_declared_order(|p| {
            purposes.iter().any(|c| c == p)
                || (adds_to_standing && record.purposes.iter().any(|c| c == p))
        });
        self.grant_covering(feature, covered, scope, actor)
    }

    /// The grant record covering `purposes` (declared ones, in declared order). A single use
    /// on top of a standing grant adds a use for what the standing grant does not cover
    /// (rule 6), and nothing when it covers everything asked for.
    fn grant_covering(
        &self,
        feature: Feature,
        purposes: Vec<String>,
        scope: GrantScope,
        actor: Actor,
    ) -> Decision {
        if let Some(refusal) = self.grant_refusal(feature, scope, actor) {
            return Decision::refused(refusal);
        }
        let purposes = self.granted_purposes(feature, purposes, scope, actor);
        if purposes.is_empty() || self.grant_changes_nothing(feature, scope, actor, &purposes) {
            return Decision::nothing();
        }
        Decision::records(vec![Entry::Granted {
            feature,
            actor,
            scope,
            terms_revision: self.terms(feature).terms_revision,
            purposes,
        }])
    }

    /// A person (or the app) says no: the decision, then the end of the feature's sessions
    /// (rule 3). Denying what is already denied changes nothing, so the first "no" keeps
    /// its author.
    pub fn deny(&self, feature: Feature, actor: Actor, now: Now) -> Decision {
        if !self.denial_changes_anything(feature, actor) {
            return Decision::nothing();
        }
        let terms_revision = self.terms(feature).terms_revision;
        let denied = Entry::Denied {
            feature,
            actor,
            terms_revision,
        };
        self.close_door(denied, SessionEndReason::Denied, now)
    }

    /// Withdraws a grant (also one waiting for reconsent), ending the feature's sessions at
    /// once. There is nothing to withdraw from a feature never granted or already denied.
    pub fn revoke(&self, feature: Feature, actor: Actor, now: Now) -> Decision {
        if !self.revocation_changes_anything(feature) {
            return Decision::nothing();
        }
        let terms_revision = self.terms(feature).terms_revision;
        let revoked = Entry::Revoked {
            feature,
            actor,
            terms_revision,
        };
        self.close_door(revoked, SessionEndReason::Revoked, now)
    }

    /// A "no" (rule 3): the decision, then the end of every open session of its feature, at once.
    fn close_door(&self, decision: Entry, reason: SessionEndReason, now: Now) -> Decision {
        let feature = decision.feature();
        let mut entries = vec![decision];
        entries.extend(self.end_sessions(|s| Some(s.feature) == feature, reason, Ending::At(now)));
        Decision::records(entries)
    }

    /// Rules 2, 4, 5 and 7 at the moment of use: a session, or a logged refusal saying why.
    pub fn begin_use(&self, feature: Feature, purpose: &str) -> Decision {
        let Some(reason) = self.use_refusal(feature, purpose) else {
            return Decision::records(vec![Entry::SessionBegan {
                feature,
                purpose: purpose.to_string(),
                terms_revision: self.terms(feature).terms_revision,
            }]);
        };
        // Only a declared purpose is written: anything else could be personal data.
        let declared = self.terms(feature).declares(purpose);
        Decision {
            entries: vec![Entry::SessionRefused {
                feature,
                purpose: declared.then(|| purpose.to_string()),
                reason,
            }],
            outcome: Err(Refusal::Use {
                feature,
                reason,
                purpose: purpose.to_string(),
                during: self.terms(feature).only_during,
            }),
            foreground: None,
        }
    }

    /// Ends one session (nothing when it is not open).
    pub fn end_session(&self, session: u64, reason: SessionEndReason, now: Now) -> Decision {
        Decision::records(self.end_sessions(|s| s.id == session, reason, Ending::At(now)))
    }

    /// What the OS says; a denial ends the feature's sessions. `Limited` is only meaningful
    /// for the photo library.
    pub fn set_os_permission(
        &self,
        feature: Feature,
        permission: OsPermission,
        now: Now,
    ) -> Decision {
        if let Some(refusal) = os_permission_refusal(feature, permission) {
            return Decision::refused(refusal);
        }
        if !self.os_permission_changes(feature, permission) {
            return Decision::nothing();
        }
        let mut entries = vec![Entry::OsPermissionChanged {
            feature,
            permission,
        }];
        if permission.is_denied() && !self.record(feature).os_permission.is_denied() {
            entries.extend(self.end_sessions(
                |s| s.feature == feature,
                SessionEndReason::OsPermissionDenied,
                Ending::At(now),
            ));
        }
        Decision::records(entries)
    }

    /// Rules 6 and 7: leaving the foreground ends camera, microphone, clipboard and sensor
    /// sessions, and single-use grants not in use lapse. The switch itself is recorded only
    /// when it shapes a record: when it ends something, and the return from a recorded
    /// background. Any other record written in the background is preceded by the switch
    /// (`in_context`), so replay always knows what the live rules knew.
    pub fn set_foreground(&self, foreground: bool, now: Now) -> Decision {
        let mut entries = Vec::new();
        if !foreground && self.is_foreground() {
            entries.extend(self.end_sessions(
                |s| s.feature.ends_in_background(),
                SessionEndReason::Background,
                Ending::At(now),
            ));
            entries.extend(self.lapse_unused_once_grants());
        }
        let recorded = !entries.is_empty() || (foreground && !self.foreground);
        if recorded && self.foreground != foreground {
            entries.insert(0, Entry::ForegroundChanged { foreground });
        }
        Decision {
            foreground: Some(foreground),
            ..Decision::records(entries)
        }
    }

    /// `decision` as it is written: when it writes anything and the recorded foreground is not
    /// the one the app reported, the switch goes first, so every record is replayed in the
    /// context it was decided in.
    pub fn in_context(&self, mut decision: Decision) -> Decision {
        let foreground = decision.foreground.unwrap_or(self.is_foreground());
        let first = decision.entries.first();
        let switched = matches!(first, Some(Entry::ForegroundChanged { .. }));
        if first.is_some() && !switched && self.foreground != foreground {
            decision
                .entries
                .insert(0, Entry::ForegroundChanged { foreground });
        }
        decision
    }

    /// Rules 5 and I3 on open (after `reopened`, so no session is open): the app's terms
    /// take effect, and a grant whose terms widened — another revision, a dependency dropped
    /// — needs asking again, with a record of what widened. Narrowing needs nothing (a
    /// purpose added is not covered by a grant that lists its purposes). A revision lower
    /// than the one in force is a configuration error: revisions only go forward.
    pub fn apply_terms(&self, terms: &[FeatureTerms]) -> Decision {
        let mut entries = Vec::new();
        for (feature, terms) in Feature::ALL.into_iter().zip(terms) {
            let current = self.terms(feature);
            if current == terms {
                continue;
            }
            if terms.terms_revision < current.terms_revision {
                return Decision::refused(Refusal::RevisionLowered(format!(
                    "{}: terms_revision {} is lower than {}, already in force in this store; revisions only go forward",
                    feature.as_str(),
                    terms.terms_revision,
                    current.terms_revision
                )));
            }
            entries.push(Entry::PolicyApplied {
                feature,
                terms: terms.clone(),
            });
            let record = self.record(feature);
            if record.status != ConsentStatus::Granted {
                continue;
            }
            let widened =
                feature_widenings(record.terms_revision, record.granted_only_during, terms);
            if !widened.is_empty() {
                entries.push(Entry::ReconsentRequired {
                    feature,
                    terms_revision: terms.terms_revision,
                    widened,
                });
            }
        }
        Decision::records(entries)
    }

    /// Whether `entries` can only turn things off (or record what happened): when the disk is
    /// full they go into the room kept for them, and when nothing can be written they still
    /// take effect (I4). An age signal counts unless it makes a minor an adult.
    pub fn only_turns_off(&self, entries: &[Entry]) -> bool {
        entries.iter().all(|entry| match entry {
            Entry::AgeSignalSet(signal) => {
                signal.may_be_below(self.app.age_of_consent) || !self.is_minor()
            }
            _ => entry.is_closing(),
        })
    }

    /// Whether `entry` is a "no" a process could have kept after a failed write: a denial, a
    /// withdrawal, a decline, an OS refusal, an age signal that may make a minor, an erasure
    /// (carried out by the engine: it starts a chain). Anything else among the unwritten
    /// decisions was planted.
    pub fn may_redecide(&self, entry: &Entry) -> bool {
        match entry {
            Entry::AgeSignalSet(signal) => signal.may_be_below(self.app.age_of_consent),
            Entry::Erased(_) => true,
            _ => entry.says_no(),
        }
    }

    /// A "no" the log could not take, decided again at the next open at the time it was made
    /// (I4): the verb that wrote `entry`. What it no longer changes writes nothing.
    pub fn redecide(&self, entry: &Entry, now: Now) -> Decision {
        if !self.may_redecide(entry) {
            return Decision::nothing();
        }
        match entry {
            Entry::Denied { feature, actor, .. } => self.deny(*feature, *actor, now),
            Entry::Revoked { feature, actor, .. } => self.revoke(*feature, *actor, now),
            Entry::PolicyDeclined { actor, .. } => match self.app.policy_revision {
                Some(_) => self.decline_policy(*actor, now),
                None => Decision::nothing(),
            },
            Entry::AgeSignalSet(signal) => self.set_age_signal(*signal, now),
            Entry::OsPermissionChanged {
                feature,
                permission,
            } => self.set_os_permission(*feature, *permission, now),
            _ => Decision::nothing(),
        }
    }

    /// The "no"s kept after a failed write are unreadable: every "no" they could have held is
    /// assumed (when in doubt, off) — each grant withdrawn and the policy declined, by the
    /// app, so nobody's quiet period starts — after a record of why.
    pub fn assume_every_no(&self, problem: String, now: Now) -> Decision {
        let mut problem = problem;
        problem.truncate(crate::kinds::MAX_PROBLEM_LEN);
        let mut entries = vec![Entry::DerivedFileRebuilt {
            file: crate::kinds::DerivedFile::Unwritten,
            problem,
        }];
        let mut state = self.clone();
        let mut take = |decision: Decision, state: &mut State| {
            for entry in decision.entries {
                state.apply(0, now.wall_ms, &entry, None);
                entries.push(entry);
            }
        };
        for feature in Feature::ALL {
            let revoked = state.revoke(feature, Actor::App, now);
            take(revoked, &mut state);
        }
        if state.policy_status() == crate::policy::PolicyStatus::Agreed {
            let declined = state.decline_policy(Actor::App, now);
            take(declined, &mut state);
        }
        Decision::records(entries)
    }

    /// On open: the app's terms per feature and as a whole, in one decision, so that a config
    /// refused for either part changes nothing.
    pub fn apply_config(&self, terms: &[FeatureTerms], app: &AppTerms) -> Decision {
        let features = self.apply_terms(terms);
        if features.outcome.is_err() {
            return features;
        }
        let app = self.apply_app_terms(app);
        if app.outcome.is_err() {
            return app;
        }
        let mut entries = features.entries;
        entries.extend(app.entries);
        Decision::records(entries)
    }

    /// The store closes: every session ends and single-use grants not in use lapse.
    pub fn close(&self, now: Now) -> Decision {
        let mut entries =
            self.end_sessions(|_| true, SessionEndReason::StoreClosed, Ending::At(now));
        entries.extend(self.lapse_unused_once_grants());
        Decision::records(entries)
    }

    /// A store reopened after its process died: the sessions it left open end as
    /// interrupted, at the last moment it was known alive, and single-use grants lapse.
    pub fn reopened(&self, last_alive_ms: i64) -> Decision {
        let mut entries = self.end_sessions(
            |_| true,
            SessionEndReason::Interrupted,
            Ending::Interrupted { last_alive_ms },
        );
        entries.extend(self.lapse_unused_once_grants());
        Decision::records(entries)
    }

    /// Before everything is erased, the open sessions end, so observers hear of it.
    pub fn erasing(&self, now: Now) -> Decision {
        Decision::records(self.end_sessions(|_| true, SessionEndReason::Erased, Ending::At(now)))
    }

    /// `SessionEnded` for each matching session — then for each session that was only used
    /// during a feature left with no open session (rule 7) — and `GrantConsumed` where a
    /// single-use grant is used up by its session (rule 6).
    pub(super) fn end_sessions(
        &self,
        matches: impl Fn(&OpenSession) -> bool,
        reason: SessionEndReason,
        ending: Ending,
    ) -> Vec<Entry> {
        let mut ending_sessions: Vec<(&OpenSession, SessionEndReason)> = self
            .sessions
            .iter()
            .filter(|s| matches(s))
            .map(|s| (s, reason))
            .collect();
        let ends = |list: &[(&OpenSession, SessionEndReason)], id: u64| {
            list.iter().any(|(e, _)| e.id == id)
        };
        let dependents: Vec<&OpenSession> = self
            .sessions
            .iter()
            .filter(|s| !ends(&ending_sessions, s.id))
            .filter(|s| {
                self.terms(s.feature).only_during.is_some_and(|during| {
                    self.sessions_of(during)
                        .all(|d| ends(&ending_sessions, d.id))
                })
            })
            .collect();
        ending_sessions.extend(
            dependents
                .into_iter()
                .map(|s| (s, SessionEndReason::DependencyEnded)),
        );
        let mut entries = Vec::new();
        for (i, &(session, reason)) in ending_sessions.iter().enumerate() {
            let duration_ms = match ending {
                // A session found in the log has no monotonic start: the wall clocks say.
                Ending::At(now) => session.began_mono_ms.map_or_else(
                    || now.wall_ms.saturating_sub(session.began_ms).max(0) as u64,
                    |began| now.mono_ms.saturating_sub(began),
                ),
                Ending::Interrupted { last_alive_ms } => {
                    last_alive_ms.saturating_sub(session.began_ms).max(0) as u64
                }
            };
            entries.push(Entry::SessionEnded {
                feature: session.feature,
                session: session.id,
                reason,
                duration_ms,
            });
            // A single-use grant is used up when its use ends: when no session resting on
            // it is left open.
            let record = self.record(session.feature);
            let still_resting = self
                .sessions_of(session.feature)
                .filter(|s| !ending_sessions[..=i].iter().any(|(e, _)| e.id == s.id))
                .any(|s| record.rests_on_single_use(&s.purpose));
            if reason.grant_stands()
                && record.rests_on_single_use(&session.purpose)
                && !still_resting
            {
                entries.push(Entry::GrantConsumed {
                    feature: session.feature,
                });
            }
        }
        entries
    }

    /// `GrantLapsed` for each single-use grant with no open session. (A grant whose session
    /// ends in the same decision is consumed by it instead.)
    fn lapse_unused_once_grants(&self) -> Vec<Entry> {
        Feature::ALL
            .into_iter()
            .filter(|&feature| self.has_unused_once_grant(feature))
            .map(|feature| Entry::GrantLapsed { feature })
            .collect()
    }
}
