//! The seed's onboarding events, recorded where the seed records them and kept with the draft
//! (same atomic writer: an event recorded just before a crash is sent after the restart).
//! Pure: the caller gives the time and the context, so every rule here is tested directly.

use std::collections::BTreeSet;

use ava_model::{Event, EventContext, EventRecord, Plan, Step, VapiMethod};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Kept while offline; past this the oldest go first (and are counted).
pub const MAX_KEPT: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Analytics {
    /// "Share onboarding usage with the Ava team" turned off: nothing is recorded or sent.
    pub sharing_off: bool,
    /// When `onboarding_started` was recorded: once per draft (so per account), and the start
    /// of `duration_seconds`.
    pub started_at: Option<DateTime<Utc>>,
    /// Steps whose last Continue-or-Skip was Skip (`steps_skipped`).
    pub skipped: BTreeSet<Step>,
    pub assistant_recorded: bool,
    pub completed_recorded: bool,
    /// Recorded and not yet accepted by the server, oldest first.
    pub pending: Vec<EventRecord>,
    /// Dropped unsent because more than [`MAX_KEPT`] waited.
    pub dropped: u64,
}

impl Analytics {
    fn record(&mut self, event: Event, now: DateTime<Utc>, context: &EventContext) {
        if self.sharing_off {
            return;
        }
        if self.pending.len() >= MAX_KEPT {
            let excess = self.pending.len() + 1 - MAX_KEPT;
            self.pending.drain(..excess);
            self.dropped += excess as u64;
        }
        self.pending.push(EventRecord {
            id: new_event_id(),
            occurred_at: now,
            event,
            context: context.clone(),
        });
    }

    /// The owner enters the wizard (signed in, or working offline): `onboarding_started`,
    /// once, unless this onboarding was finished before.
    pub fn begin(&mut self, completed: bool, now: DateTime<Utc>, context: &EventContext) {
        if self.started_at.is_none() && !completed && !self.sharing_off {
            self.started_at = Some(now);
            self.record(Event::OnboardingStarted {}, now, context);
        }
    }

    /// Continue on `step` (Done has none: launching is [`Self::completed`]).
    pub fn continued(&mut self, step: Step, now: DateTime<Utc>, context: &EventContext) {
        if step == Step::Done {
            return;
        }
        self.skipped.remove(&step);
        self.record(Event::step_completed(step), now, context);
    }

    pub fn skipped(&mut self, step: Step, now: DateTime<Utc>, context: &EventContext) {
        if step == Step::Done {
            return;
        }
        self.skipped.insert(step);
        self.record(Event::step_skipped(step), now, context);
    }

    pub fn vapi_configured(
        &mut self,
        method: VapiMethod,
        now: DateTime<Utc>,
        context: &EventContext,
    ) {
        self.record(Event::VapiConfigured { method }, now, context);
    }

    /// Once per draft: a retried or adopted creation is the same assistant.
    pub fn assistant_created(
        &mut self,
        name: &str,
        voice: &str,
        now: DateTime<Utc>,
        context: &EventContext,
    ) {
        if self.assistant_recorded {
            return;
        }
        self.assistant_recorded = true;
        let event = Event::AssistantCreated {
            name: name.to_owned(),
            voice: voice.to_owned(),
            from: "onboarding".to_owned(),
        };
        self.record(event, now, context);
    }

    /// Launch, once; the duration runs from `onboarding_started`, across restarts.
    pub fn completed(&mut self, plan: Plan, now: DateTime<Utc>, context: &EventContext) {
        if self.completed_recorded {
            return;
        }
        self.completed_recorded = true;
        let duration_seconds = self
            .started_at
            .map_or(0, |start| (now - start).num_seconds().max(0).unsigned_abs());
        let event = Event::OnboardingCompleted {
            duration_seconds,
            steps_skipped: self.skipped.iter().copied().collect(),
            plan_selected: plan,
        };
        self.record(event, now, context);
    }

    /// Turning sharing off deletes what was not sent yet and records nothing more.
    pub fn set_sharing(&mut self, on: bool) {
        self.sharing_off = !on;
        if !on {
            self.pending.clear();
        }
    }

    /// The server took (or de-duplicated) these.
    pub fn sent(&mut self, ids: &[String]) {
        self.pending.retain(|e| !ids.contains(&e.id));
    }
}

/// A random (version 4) UUID, hyphenated.
fn new_event_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ava_model::Locale;

    fn context() -> EventContext {
        EventContext {
            app_version: "0.1.0".into(),
            os: "linux".into(),
            locale: Locale::En,
        }
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        "2026-11-30T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
            + chrono::Duration::minutes(minutes)
    }

    fn names(a: &Analytics) -> Vec<&'static str> {
        a.pending.iter().map(|e| e.event.name().as_str()).collect()
    }

    #[test]
    fn a_skip_path_records_what_the_seed_records() {
        let (mut a, c) = (Analytics::default(), context());
        a.begin(false, at(0), &c);
        a.begin(false, at(1), &c);
        a.continued(Step::Profile, at(2), &c);
        a.skipped(Step::Vapi, at(3), &c);
        a.continued(Step::Persona, at(4), &c);
        a.skipped(Step::Twilio, at(5), &c);
        // Back to Vapi through the rail (nothing), then Continue on it after all.
        a.continued(Step::Vapi, at(6), &c);
        a.completed(Plan::Free, at(90), &c);
        a.completed(Plan::Free, at(91), &c);
        assert_eq!(
            names(&a),
            [
                "onboarding_started",
                "onboarding_step_completed",
                "onboarding_step_skipped",
                "onboarding_step_completed",
                "onboarding_step_skipped",
                "onboarding_step_completed",
                "onboarding_completed"
            ]
        );
        assert_eq!(
            a.pending.last().unwrap().event,
            Event::OnboardingCompleted {
                duration_seconds: 90 * 60,
                steps_skipped: vec![Step::Twilio],
                plan_selected: Plan::Free
            }
        );
        let ids: BTreeSet<&str> = a.pending.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), a.pending.len(), "every event has its own id");
        assert!(ava_model::parse_uuid(&a.pending[0].id).is_ok());
    }

    #[test]
    fn a_finished_onboarding_does_not_start_again_and_an_assistant_is_counted_once() {
        let (mut a, c) = (Analytics::default(), context());
        a.begin(true, at(0), &c);
        assert!(a.pending.is_empty());
        a.assistant_created("Ava", "en-US-AriaNeural", at(1), &c);
        a.assistant_created("Ava", "en-US-AriaNeural", at(2), &c);
        assert_eq!(names(&a), ["assistant_created"]);
    }

    #[test]
    fn offline_for_ever_keeps_the_newest_thousand_and_counts_the_rest() {
        let (mut a, c) = (Analytics::default(), context());
        for i in 0..1_250 {
            a.vapi_configured(VapiMethod::Inline, at(i), &c);
        }
        assert_eq!(a.pending.len(), MAX_KEPT);
        assert_eq!(a.dropped, 250);
        assert_eq!(a.pending[0].occurred_at, at(250), "the oldest went first");
    }

    #[test]
    fn turning_sharing_off_deletes_the_unsent_and_records_nothing_more() {
        let (mut a, c) = (Analytics::default(), context());
        a.begin(false, at(0), &c);
        a.set_sharing(false);
        assert!(a.pending.is_empty());
        a.continued(Step::Profile, at(1), &c);
        a.completed(Plan::Pro, at(2), &c);
        assert!(a.pending.is_empty());
        a.set_sharing(true);
        a.continued(Step::Profile, at(3), &c);
        assert_eq!(names(&a), ["onboarding_step_completed"]);
        let id = a.pending[0].id.clone();
        a.sent(&[id]);
        assert!(a.pending.is_empty());
    }
}
