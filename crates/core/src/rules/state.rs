//! The onboarding state as one typed value, and the pure transitions on it (a reducer): no
//! I/O here, so every rule about edits, the outbox and acknowledgements is tested directly.

use ava_model::{
    FieldName, FieldProblem, FlagsPatch, OnboardingFlags, Profile, ProfilePatch, Step,
    StudioConfig, StudioPatch, UiError,
};
use serde::{Deserialize, Serialize};

/// The signed-in account a draft belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
}

/// Changes made here that the server has not acknowledged yet: the per-field "changed since
/// last sync" marks, already coalesced (one value per field, the latest).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Outbox {
    pub profile: ProfilePatch,
    pub studio: StudioPatch,
    pub flags: FlagsPatch,
    /// Launch was pressed while offline.
    pub complete: bool,
    /// The Vapi key in the keychain must be sent to (`Some(true)`) or deleted from
    /// (`Some(false)`) the server. The key itself never enters the draft.
    pub vapi_key: Option<bool>,
    pub twilio: Option<bool>,
    /// A provisioned assistant still to be recorded with `POST /assistants`.
    pub record_assistant: bool,
}

impl Outbox {
    /// How many changes wait for the server (what the status pill counts).
    pub fn len(&self) -> usize {
        self.profile.len()
            + self.studio.len()
            + self.flags.len()
            + usize::from(self.complete)
            + usize::from(self.vapi_key.is_some())
            + usize::from(self.twilio.is_some())
            + usize::from(self.record_assistant)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One request's worth of the outbox, in the order sync sends them (profile before Launch, so
/// the server completes an onboarding that holds the latest answers).
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "a few parts per sync round, moved once each: a box would buy nothing"
)]
pub enum OutboxPart {
    Profile(ProfilePatch),
    Studio(StudioPatch),
    Flags(FlagsPatch),
    /// Send the keychain's Vapi key (`true`) or delete the server's copy (`false`).
    VapiKey(bool),
    Twilio(bool),
    RecordAssistant,
    Complete,
}

impl Outbox {
    /// What is queued, one part per request.
    pub fn parts(&self) -> Vec<OutboxPart> {
        let mut parts = Vec::new();
        if !self.profile.is_empty() {
            parts.push(OutboxPart::Profile(self.profile.clone()));
        }
        if !self.studio.is_empty() {
            parts.push(OutboxPart::Studio(self.studio.clone()));
        }
        if !self.flags.is_empty() {
            parts.push(OutboxPart::Flags(self.flags));
        }
        parts.extend(self.vapi_key.map(OutboxPart::VapiKey));
        parts.extend(self.twilio.map(OutboxPart::Twilio));
        if self.record_assistant {
            parts.push(OutboxPart::RecordAssistant);
        }
        if self.complete {
            parts.push(OutboxPart::Complete);
        }
        parts
    }
}

impl OutboxPart {
    /// The part as an outbox of its own: what acknowledging or refusing it settles.
    pub fn as_outbox(&self) -> Outbox {
        let mut outbox = Outbox::default();
        match self {
            OutboxPart::Profile(patch) => outbox.profile = patch.clone(),
            OutboxPart::Studio(patch) => outbox.studio = patch.clone(),
            OutboxPart::Flags(patch) => outbox.flags = *patch,
            OutboxPart::VapiKey(upload) => outbox.vapi_key = Some(*upload),
            OutboxPart::Twilio(upload) => outbox.twilio = Some(*upload),
            OutboxPart::RecordAssistant => outbox.record_assistant = true,
            OutboxPart::Complete => outbox.complete = true,
        }
        outbox
    }
}

/// Twilio settings that are not secret (the auth token lives in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TwilioPublic {
    pub account_sid: String,
    pub phone_number: Option<String>,
    /// A Twilio trial account (its `type`): it calls verified numbers only.
    #[serde(default)]
    pub trial: bool,
}

/// Where exactly-once provisioning stands; written before every call to Vapi.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provisioning {
    /// Put in the assistant's metadata, so a retry can find what an earlier try created.
    pub id: String,
    pub name: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub assistant_id: Option<String>,
    pub phone_number_id: Option<String>,
    pub recorded: bool,
}

/// Everything the wizard holds, as saved in the draft file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub account: Option<Account>,
    pub step: Step,
    pub profile: Profile,
    pub studio: StudioConfig,
    pub flags: OnboardingFlags,
    pub outbox: Outbox,
    /// "Keep my keys on this computer only": never send them to the server.
    pub keys_local_only: bool,
    pub twilio: Option<TwilioPublic>,
    pub vapi_key_preview: Option<String>,
    pub provisioning: Option<Provisioning>,
    pub completed: bool,
    /// Values the server refused (a rule the model did not know), shown at their fields until
    /// the user edits them: kept here so a restart still shows why they never arrived.
    pub refused: Vec<UiError>,
    pub analytics: crate::rules::analytics::Analytics,
    /// The assistant as Vapi last confirmed it (the body of the create or last PATCH): while it
    /// differs from what the draft describes, the live assistant is updated.
    pub live_assistant: Option<serde_json::Value>,
    /// "Continue offline" was chosen on this computer: the account screen is not shown again.
    pub entered_offline: bool,
    /// The account's revision this draft last merged (`GET /user/me`'s `ETag`): the server is
    /// asked for anything newer than this. `None` until the first pull.
    pub server_revision: Option<i64>,
    /// The live assistant as the server keeps it (it holds the Vapi key and the assistant a
    /// computer recorded), as of the last pull; `None` when the server keeps none.
    pub server_live: Option<ava_model::LiveAssistant>,
}

/// Step 7's choices, declared with the studio config that keeps them.
pub use ava_model::AssistantChoices;

/// One user action on the draft.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one edit per keystroke, moved once into the draft: a box would buy nothing"
)]
pub enum Edit {
    Profile(ProfilePatch),
    Studio(StudioPatch),
    Flags(FlagsPatch),
    GoTo(Step),
    KeysLocalOnly(bool),
}

impl Draft {
    /// Applies an edit locally and marks what must reach the server. Returns whether anything
    /// the server holds changed (so a sync is worth scheduling).
    pub fn apply(&mut self, edit: Edit) -> bool {
        match edit {
            Edit::Profile(patch) => {
                self.forget_refusals(&patch.fields());
                self.profile.apply(&patch);
                let outbox = std::mem::take(&mut self.outbox.profile);
                self.outbox.profile = outbox.then(patch);
                true
            }
            Edit::Studio(patch) => {
                self.forget_refusals(&patch.fields());
                self.studio.apply(&patch);
                let outbox = std::mem::take(&mut self.outbox.studio);
                self.outbox.studio = outbox.then(patch);
                true
            }
            Edit::Flags(patch) => {
                self.forget_refusals(&patch.fields());
                self.flags.apply(&patch);
                self.outbox.flags = self.outbox.flags.then(patch);
                true
            }
            Edit::GoTo(step) => {
                self.step = step;
                false
            }
            Edit::KeysLocalOnly(local) => {
                let turned_on = local && !self.keys_local_only;
                self.keys_local_only = local;
                if turned_on {
                    // "Only on this computer" from now on: an upload still queued is replaced by
                    // deleting whatever copy the server already has.
                    self.outbox.vapi_key = Some(false);
                    self.outbox.twilio = Some(false);
                }
                turned_on
            }
        }
    }

    /// The server accepted `sent`: clear the marks it covered, keep edits made meanwhile.
    pub fn acknowledge(&mut self, sent: &Outbox) {
        let outbox = std::mem::take(&mut self.outbox);
        self.outbox = Outbox {
            profile: outbox.profile.unsent_after(&sent.profile),
            studio: outbox.studio.unsent_after(&sent.studio),
            flags: outbox.flags.unsent_after(&sent.flags),
            complete: outbox.complete && !sent.complete,
            vapi_key: if outbox.vapi_key == sent.vapi_key {
                None
            } else {
                outbox.vapi_key
            },
            twilio: if outbox.twilio == sent.twilio {
                None
            } else {
                outbox.twilio
            },
            record_assistant: outbox.record_assistant && !sent.record_assistant,
        };
    }

    /// The server refused part of `sent` (a 422 naming fields). A refused value is not sent
    /// again as it is, but an edit made while the request was out is newer than the refusal:
    /// it stays queued and no refusal is shown for it. A refused secret upload is dropped (the
    /// same secret would be refused again); Launch and the assistant's record stay queued and
    /// are retried with backoff. Returns the refusals to show.
    pub fn refuse(&mut self, sent: &Outbox, problems: &[FieldProblem]) -> Vec<UiError> {
        let names: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        self.acknowledge(&Outbox {
            profile: sent.profile.only(&names),
            studio: sent.studio.only(&names),
            flags: sent.flags.only(&names),
            vapi_key: sent.vapi_key,
            twilio: sent.twilio,
            ..Outbox::default()
        });
        let still_queued = [
            self.outbox.profile.field_names(),
            self.outbox.studio.field_names(),
            self.outbox.flags.field_names(),
        ]
        .concat();
        let shown: Vec<UiError> = problems
            .iter()
            .filter(|p| !still_queued.contains(&p.field.as_str()))
            .map(|p| UiError::new(p.code.clone(), &p.message).at_named(&p.field))
            .collect();
        self.refused
            .retain(|old| !shown.iter().any(|new| new.field == old.field));
        self.refused.extend(shown.iter().cloned());
        shown
    }

    /// A queued upload whose secret is no longer in the keychain (removed from outside the
    /// app, or a keychain reset): it cannot be sent, so it is not counted as sent either; the
    /// credential shows as missing, with why, until the user enters it again.
    pub fn upload_impossible(&mut self, sent: &Outbox, why: UiError) {
        self.acknowledge(sent);
        if sent.vapi_key.is_some() {
            self.vapi_key_preview = None;
        }
        if sent.twilio.is_some() {
            self.twilio = None;
        }
        self.refused.retain(|old| old.field != why.field);
        self.refused.push(why);
    }

    /// A credential entered again clears what was said about its predecessor.
    pub fn forget_refusals(&mut self, fields: &[FieldName]) {
        self.refused
            .retain(|r| r.field.is_none_or(|f| !fields.contains(&f)));
    }

    /// Whether the live assistant the server keeps runs everything this draft holds: the
    /// server says it applied the latest answers, and none of this computer's is still on its
    /// way there. `None` when the server keeps no assistant for this account.
    pub fn server_keeps_live_up_to_date(&self) -> Option<bool> {
        let live = self.server_live.as_ref()?;
        Some(live.up_to_date && self.outbox.profile.is_empty() && self.outbox.studio.is_empty())
    }

    /// The outbox is empty and every recorded event was sent.
    pub fn nothing_to_send(&self) -> bool {
        self.outbox.is_empty() && self.analytics.pending.is_empty()
    }

    /// Whether the server may hold a copy of a key (so keeping keys on this computer only
    /// deletes something, and the user should say so first).
    pub fn server_may_hold_keys(&self) -> bool {
        !self.keys_local_only && (self.vapi_key_preview.is_some() || self.twilio.is_some())
    }

    /// Step 1's defaults from the computer: its time zone and language, for the fields the
    /// user (or the server) has not set. `None` when nothing is left to fill.
    pub fn os_defaults(&self, os_timezone: Option<&str>, os_locale: &str) -> Option<ProfilePatch> {
        let mut patch = ProfilePatch::default();
        if self.profile.timezone.is_none()
            && let Some(zone) = os_timezone.and_then(|z| ava_model::Timezone::parse(z).ok())
        {
            patch.timezone = ava_model::Change::Set(zone);
        }
        if self.profile.locale.is_none() {
            patch.locale = ava_model::Change::Set(ava_model::Locale::from_os_locale(os_locale));
        }
        (patch != ProfilePatch::default()).then_some(patch)
    }

    /// Merges the server's copy, field by field: the server's values, with the edits made here
    /// and not yet acknowledged on top (they still go out, and arriving last, they win).
    /// Returns the fields whose value changed here, i.e. what another computer (or any client
    /// of the API) saved since this draft last looked.
    pub fn adopt_server(&mut self, me: &ava_model::Me) -> Merged {
        self.account = Some(Account {
            id: me.id,
            email: me.email.clone(),
        });
        let mut profile = me.profile.clone();
        let mut studio = me.studio_config.clone();
        let mut flags = me.onboarding;
        profile.apply(&self.outbox.profile);
        studio.apply(&self.outbox.studio);
        flags.apply(&self.outbox.flags);
        // A value the server refused stays on screen, beside why, until the owner corrects it.
        let refused: Vec<&str> = self
            .refused
            .iter()
            .filter_map(|r| r.field.map(FieldName::as_str))
            .collect();
        profile.copy_fields(&self.profile, &refused);
        studio.copy_fields(&self.studio, &refused);
        flags.copy_fields(&self.flags, &refused);
        let profile_changed = self.profile.changed_fields(&profile).into_iter();
        let studio_changed = self.studio.changed_fields(&studio).into_iter();
        let flags_changed = self.flags.changed_fields(&flags).into_iter();
        // Launch is never taken back: a computer that launched keeps its home.
        let completed = me.onboarding_completed || self.completed || self.outbox.complete;
        let merged = Merged {
            fields: profile_changed
                .map(FieldName::from)
                .chain(studio_changed.map(FieldName::from))
                .chain(flags_changed.map(FieldName::from))
                .collect(),
            completed: completed != self.completed,
        };
        self.profile = profile;
        self.studio = studio;
        self.flags = flags;
        self.completed = completed;
        self.server_revision = Some(me.revision);
        self.server_live = me.live_assistant.clone();
        merged
    }
}

/// What a merge of the server's copy changed here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    pub fields: Vec<FieldName>,
    /// Launch was made elsewhere: this computer shows the home now.
    pub completed: bool,
}

impl Merged {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && !self.completed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(v: serde_json::Value) -> Edit {
        Edit::Profile(ProfilePatch::from_json(&v).unwrap())
    }

    #[test]
    fn the_parts_of_an_outbox_cover_it_once_each_and_launch_goes_last() {
        let full = Outbox {
            profile: ProfilePatch::from_json(&json!({"full_name": "Ann"})).unwrap(),
            studio: StudioPatch::from_json(&json!({"seats": 2})).unwrap(),
            flags: FlagsPatch::from_json(&json!({"onboarding_vapi_skipped": true})).unwrap(),
            complete: true,
            vapi_key: Some(true),
            twilio: Some(false),
            record_assistant: true,
        };
        let parts = full.parts();
        assert_eq!(
            parts.len(),
            7,
            "one request per resource and per other mark"
        );
        assert_eq!(parts.last(), Some(&OutboxPart::Complete));
        let mut draft = Draft {
            outbox: full,
            ..Draft::default()
        };
        for part in parts {
            let before = draft.outbox.len();
            draft.acknowledge(&part.as_outbox());
            assert!(draft.outbox.len() < before, "{part:?} settled nothing");
        }
        assert!(draft.outbox.is_empty(), "left: {:?}", draft.outbox);
        assert!(Outbox::default().parts().is_empty());
    }

    #[test]
    fn keeping_keys_local_cancels_uploads_and_deletes_the_servers_copies() {
        let mut draft = Draft::default();
        draft.outbox.vapi_key = Some(true);
        assert!(draft.apply(Edit::KeysLocalOnly(true)), "worth a sync");
        assert_eq!(draft.outbox.vapi_key, Some(false));
        assert_eq!(draft.outbox.twilio, Some(false));
        draft.outbox = Outbox::default();
        assert!(
            !draft.apply(Edit::KeysLocalOnly(true)),
            "already local: nothing to do"
        );
        assert_eq!(draft.outbox.vapi_key, None);
    }

    fn problem(field: &str) -> FieldProblem {
        FieldProblem {
            field: field.to_owned(),
            code: ava_model::ErrorCode::Other("reserved_name".to_owned()),
            message: format!("{field} is refused"),
        }
    }

    #[test]
    fn a_refusal_sets_aside_the_value_sent_but_never_a_later_edit() {
        let mut draft = Draft::default();
        draft.apply(profile(json!({"full_name": "Admin", "industry": "legal"})));
        let sent = draft.outbox.clone();
        // Typed while the request was out: newer than the refusal.
        draft.apply(profile(json!({"full_name": "Ann"})));
        let shown = draft.refuse(&sent, &[problem("full_name"), problem("industry")]);
        assert_eq!(
            serde_json::to_value(&draft.outbox.profile).unwrap(),
            json!({"full_name": "Ann"}),
            "the re-edit stays queued; the refused industry does not"
        );
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].field.map(|f| f.as_str()), Some("industry"));
        assert_eq!(
            draft.profile.industry.as_ref().map(|i| i.as_str()),
            Some("legal"),
            "the value stays in the draft"
        );

        // Kept with the draft, replaced by a newer refusal of the same field, cleared by an edit.
        let back: Draft = serde_json::from_str(&serde_json::to_string(&draft).unwrap()).unwrap();
        assert_eq!(back.refused, draft.refused);
        draft.refuse(&Outbox::default(), &[problem("industry")]);
        assert_eq!(draft.refused.len(), 1);
        draft.apply(profile(json!({"industry": "retail"})));
        assert!(draft.refused.is_empty());
    }

    #[test]
    fn refused_launch_stays_queued_and_a_refused_upload_is_dropped() {
        let mut draft = Draft::default();
        draft.outbox.complete = true;
        draft.outbox.vapi_key = Some(true);
        let launch = Outbox {
            complete: true,
            ..Outbox::default()
        };
        draft.refuse(&launch, &[problem("accept_terms")]);
        assert!(draft.outbox.complete);
        let upload = Outbox {
            vapi_key: Some(true),
            ..Outbox::default()
        };
        draft.refuse(&upload, &[problem("api_key")]);
        assert_eq!(draft.outbox.vapi_key, None);
        assert_eq!(draft.refused.len(), 2);
    }

    #[test]
    fn an_upload_without_its_secret_is_not_sent_and_shows_as_missing() {
        let mut draft = Draft {
            vapi_key_preview: Some("sk-…0042".to_owned()),
            ..Draft::default()
        };
        draft.outbox.vapi_key = Some(true);
        assert!(draft.server_may_hold_keys());
        let upload = Outbox {
            vapi_key: Some(true),
            ..Outbox::default()
        };
        draft.upload_impossible(
            &upload,
            UiError::new(ava_model::ErrorCode::SecretMissing, "gone")
                .at(ava_model::FormField::VapiApiKey),
        );
        assert!(draft.outbox.is_empty());
        assert_eq!(draft.vapi_key_preview, None);
        assert!(!draft.server_may_hold_keys());
        assert_eq!(draft.refused[0].code, ava_model::ErrorCode::SecretMissing);
    }

    #[test]
    fn os_defaults_fill_only_what_is_empty() {
        let mut draft = Draft::default();
        let patch = draft
            .os_defaults(Some("Asia/Jerusalem"), "he_IL.UTF-8")
            .unwrap();
        draft.apply(Edit::Profile(patch));
        assert_eq!(
            draft.profile.timezone.as_ref().unwrap().as_str(),
            "Asia/Jerusalem"
        );
        assert_eq!(draft.profile.locale, Some(ava_model::Locale::He));

        draft.apply(profile(json!({"timezone": "Europe/Paris", "locale": "fr"})));
        assert_eq!(draft.os_defaults(Some("America/New_York"), "en_US"), None);

        let fresh = Draft::default();
        let patch = fresh.os_defaults(Some("Not/AZone"), "C").unwrap();
        assert!(
            patch.timezone.is_keep(),
            "an unknown zone is left for the user"
        );
        assert_eq!(patch.locale, ava_model::Change::Set(ava_model::Locale::En));
    }

    #[test]
    fn many_edits_to_one_field_leave_one_mark_with_the_latest_value() {
        let mut draft = Draft::default();
        for name in ["A", "An", "Ann"] {
            assert!(draft.apply(profile(json!({"full_name": name}))));
        }
        assert!(
            !draft.apply(Edit::GoTo(Step::Vapi)),
            "moving around is not a server change"
        );
        assert_eq!(draft.outbox.len(), 1);
        assert_eq!(
            serde_json::to_value(&draft.outbox.profile).unwrap(),
            json!({"full_name": "Ann"})
        );
        assert_eq!(draft.profile.full_name.as_ref().unwrap().as_str(), "Ann");
    }

    #[test]
    fn acknowledging_keeps_edits_made_during_the_request() {
        let mut draft = Draft::default();
        draft.apply(profile(json!({"full_name": "Ann", "industry": "legal"})));
        let sent = draft.outbox.clone();
        draft.apply(profile(json!({"full_name": "Anna"})));
        draft.acknowledge(&sent);
        assert_eq!(
            serde_json::to_value(&draft.outbox.profile).unwrap(),
            json!({"full_name": "Anna"})
        );
        let sent = draft.outbox.clone();
        draft.acknowledge(&sent);
        assert!(draft.outbox.is_empty());
    }

    #[test]
    fn server_state_is_adopted_under_local_edits() {
        let mut draft = Draft::default();
        draft.apply(profile(json!({"full_name": "Local name"})));
        let me: ava_model::Me = serde_json::from_value(json!({
            "id": 7, "email": "ann@acme.com",
            "profile": {"full_name": "Server name", "organization_name": "Acme", "industry": null, "timezone": null,
                        "locale": "fr", "marketing_opt_in": false, "accept_terms": true},
            "studio_config": {"persona": "sdr", "job_to_be_done": null, "languages": ["fr"], "tone": null, "guidelines": null,
                              "strategy": null, "number": null, "business_hours": null, "fallback_email": null,
                              "calendar": null, "workspace_apps": [], "crm": null, "plan": "pro", "seats": 3},
            "onboarding": {"onboarding_vapi_skipped": true, "onboarding_twilio_skipped": false, "onboarding_assistant_created": false},
            "onboarding_completed": false, "onboarding_completed_at": null, "updated_at": "2026-11-24T08:00:00Z"
        }))
        .unwrap();
        draft.adopt_server(&me);
        assert_eq!(
            draft.profile.full_name.as_ref().unwrap().as_str(),
            "Local name"
        );
        assert_eq!(
            draft.profile.organization_name.as_ref().unwrap().as_str(),
            "Acme"
        );
        assert_eq!(draft.studio.seats.get(), 3);
        assert!(draft.flags.onboarding_vapi_skipped);
        assert_eq!(draft.account.as_ref().unwrap().id, 7);
    }

    #[test]
    fn a_draft_round_trips_through_json() {
        let mut draft = Draft::default();
        draft.apply(profile(
            json!({"full_name": "Ann", "organization_name": ""}),
        ));
        draft.apply(Edit::Studio(
            StudioPatch::from_json(&json!({"languages": [], "seats": 4})).unwrap(),
        ));
        draft.apply(Edit::GoTo(Step::Telephony));
        let text = serde_json::to_string(&draft).unwrap();
        let back: Draft = serde_json::from_str(&text).unwrap();
        assert_eq!(back, draft);
    }
}
