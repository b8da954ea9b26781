//! The seed's six onboarding events (its part 7), their properties and the rules a batch of
//! them must follow: the desktop core records them, the server judges and stores them, the
//! report counts them. Nothing here carries an e-mail, a phone number or a secret; the
//! assistant's name is the only free text, as in the seed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::choices::{Locale, Plan};
use crate::fields::ObjectReader;
use crate::values::{Text, storable};
use crate::violation::{FieldError, FieldErrors, Violation};
use crate::wizard::Step;

/// At most this many events per `POST /api/v1/events`.
pub const EVENTS_PER_BATCH: usize = 100;
/// A desktop clock may be wrong: an event's time may be this far ahead of the server's clock,
/// or this far before its account was created, and no further.
pub const CLOCK_TOLERANCE_HOURS: i64 = 24;
/// Ten years: longer than any onboarding, shorter than any overflow.
pub const EVENT_DURATION_MAX_SECONDS: i64 = 315_360_000;
pub const EVENT_ASSISTANT_NAME_MAX: usize = 40;
pub const EVENT_VOICE_MAX: usize = 80;
pub const EVENT_APP_VERSION_MAX: usize = 40;

choice!(
    /// How the Vapi key was saved: on step 2 itself, or in the Settings dialog.
    VapiMethod {
        Inline = "inline",
        Settings = "settings",
    }
);

choice!(EventName {
    OnboardingStarted = "onboarding_started",
    OnboardingStepCompleted = "onboarding_step_completed",
    OnboardingStepSkipped = "onboarding_step_skipped",
    VapiConfigured = "vapi_configured",
    AssistantCreated = "assistant_created",
    OnboardingCompleted = "onboarding_completed",
});

/// One event with its properties, as the seed names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "properties", rename_all = "snake_case")]
pub enum Event {
    OnboardingStarted {},
    /// Continue on a step (moving through the rail records nothing).
    OnboardingStepCompleted {
        step_id: Step,
        step_number: u8,
        skipped: bool,
    },
    OnboardingStepSkipped {
        step_id: Step,
        step_number: u8,
    },
    VapiConfigured {
        method: VapiMethod,
    },
    AssistantCreated {
        name: String,
        voice: String,
        /// Always `onboarding` from the wizard (the seed's value).
        from: String,
    },
    OnboardingCompleted {
        duration_seconds: u64,
        steps_skipped: Vec<Step>,
        plan_selected: Plan,
    },
}

impl Event {
    pub fn name(&self) -> EventName {
        match self {
            Event::OnboardingStarted {} => EventName::OnboardingStarted,
            Event::OnboardingStepCompleted { .. } => EventName::OnboardingStepCompleted,
            Event::OnboardingStepSkipped { .. } => EventName::OnboardingStepSkipped,
            Event::VapiConfigured { .. } => EventName::VapiConfigured,
            Event::AssistantCreated { .. } => EventName::AssistantCreated,
            Event::OnboardingCompleted { .. } => EventName::OnboardingCompleted,
        }
    }

    pub fn step_completed(step: Step) -> Self {
        Event::OnboardingStepCompleted {
            step_id: step,
            step_number: step_number(step),
            skipped: false,
        }
    }

    pub fn step_skipped(step: Step) -> Self {
        Event::OnboardingStepSkipped {
            step_id: step,
            step_number: step_number(step),
        }
    }

    /// The properties object as the API carries it.
    pub fn properties(&self) -> Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("properties").map(Value::take))
            .unwrap_or_else(|| json!({}))
    }

    /// Reads `properties` for the event `name`; field names start with `prefix`.
    fn read(name: EventName, properties: &Value, prefix: &str) -> Result<Self, FieldErrors> {
        let known: &[&str] = match name {
            EventName::OnboardingStarted => &[],
            EventName::OnboardingStepCompleted => &["step_id", "step_number", "skipped"],
            EventName::OnboardingStepSkipped => &["step_id", "step_number"],
            EventName::VapiConfigured => &["method"],
            EventName::AssistantCreated => &["name", "voice", "from"],
            EventName::OnboardingCompleted => {
                &["duration_seconds", "steps_skipped", "plan_selected"]
            }
        };
        let object_name = prefix.trim_end_matches('.');
        let mut r = ObjectReader::nested(properties, known, prefix, object_name)?;
        let event = match name {
            EventName::OnboardingStarted => Some(Event::OnboardingStarted {}),
            EventName::OnboardingStepCompleted | EventName::OnboardingStepSkipped => {
                let step = r.required("step_id", parse_step);
                let number = required_integer(&mut r, "step_number");
                let skipped = match name {
                    EventName::OnboardingStepCompleted => required_bool(&mut r, "skipped"),
                    _ => Some(true),
                };
                match (step, number, skipped) {
                    (Some(step), Some(number), Some(skipped)) => {
                        let expected = i64::from(step_number(step));
                        if number != expected {
                            r.fail(
                                "step_number",
                                Violation::OutOfRange {
                                    min: expected,
                                    max: expected,
                                },
                            );
                            None
                        } else if name == EventName::OnboardingStepSkipped {
                            Some(Event::step_skipped(step))
                        } else {
                            Some(Event::OnboardingStepCompleted {
                                step_id: step,
                                step_number: step_number(step),
                                skipped,
                            })
                        }
                    }
                    _ => None,
                }
            }
            EventName::VapiConfigured => r
                .required("method", VapiMethod::parse)
                .map(|method| Event::VapiConfigured { method }),
            EventName::AssistantCreated => {
                let name = r.required("name", |s| Text::parse(s, EVENT_ASSISTANT_NAME_MAX));
                let voice = r.required("voice", |s| Text::parse(s, EVENT_VOICE_MAX));
                let from = r.required("from", |s| match s {
                    "onboarding" => Ok(s.to_owned()),
                    _ => Err(Violation::NotOneOf {
                        allowed: &["onboarding"],
                    }),
                });
                match (name, voice, from) {
                    (Some(name), Some(voice), Some(from)) => Some(Event::AssistantCreated {
                        name: name.as_str().to_owned(),
                        voice: voice.as_str().to_owned(),
                        from,
                    }),
                    _ => None,
                }
            }
            EventName::OnboardingCompleted => {
                let duration = required_integer(&mut r, "duration_seconds").and_then(|n| {
                    let in_range = (0..=EVENT_DURATION_MAX_SECONDS).contains(&n);
                    let checked = if in_range {
                        Ok(n.unsigned_abs())
                    } else {
                        Err(Violation::OutOfRange {
                            min: 0,
                            max: EVENT_DURATION_MAX_SECONDS,
                        })
                    };
                    r.check("duration_seconds", checked)
                });
                let skipped = if r.value("steps_skipped").is_none() {
                    r.fail("steps_skipped", Violation::Required);
                    None
                } else {
                    r.list("steps_skipped", Step::ALL.len(), parse_step)
                };
                let plan = r.required("plan_selected", Plan::parse);
                match (duration, skipped, plan) {
                    (Some(duration_seconds), Some(steps_skipped), Some(plan_selected)) => {
                        Some(Event::OnboardingCompleted {
                            duration_seconds,
                            steps_skipped,
                            plan_selected,
                        })
                    }
                    _ => None,
                }
            }
        };
        match (r.finish(()), event) {
            (Ok(()), Some(event)) => Ok(event),
            (Err(errors), _) => Err(errors),
            (Ok(()), None) => Err(FieldErrors::single(object_name, Violation::Required)),
        }
    }
}

/// 1-based, as the seed numbers steps.
pub fn step_number(step: Step) -> u8 {
    u8::try_from(step.index() + 1).unwrap_or(u8::MAX)
}

fn parse_step(input: &str) -> Result<Step, Violation> {
    Step::ALL
        .iter()
        .copied()
        .find(|s| s.key() == input)
        .ok_or(Violation::NotOneOf {
            allowed: &Step::NAMES,
        })
}

fn required_integer(r: &mut ObjectReader<'_>, field: &str) -> Option<i64> {
    if r.value(field).is_none() {
        r.fail(field, Violation::Required);
        return None;
    }
    r.integer(field)
}

fn required_bool(r: &mut ObjectReader<'_>, field: &str) -> Option<bool> {
    if r.value(field).is_none() {
        r.fail(field, Violation::Required);
        return None;
    }
    r.bool(field)
}

/// Where the event was recorded: enough to break a funnel down, nothing that names anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventContext {
    pub app_version: String,
    /// `std::env::consts::OS`: `linux`, `macos`, `windows` …
    pub os: String,
    pub locale: Locale,
}

/// One recorded event: its own id (so a resend is counted once), when it happened, what it
/// was, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// A UUID, lower-case and hyphenated.
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub event: Event,
    pub context: EventContext,
}

impl EventRecord {
    /// The API's shape: `{id, name, occurred_at, properties, context}`.
    pub fn to_wire(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.event.name().as_str(),
            "occurred_at": self.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "properties": self.event.properties(),
            "context": self.context,
        })
    }
}

/// Reads `POST /api/v1/events` from an account created at `account_created`: every bad field
/// of every event is reported at once, named `events[i].field`
/// (`events[2].properties.step_number`). An event may be up to a day ahead of `now` or a day
/// before the account existed (clocks disagree), no further: otherwise any account could
/// write itself into last year's cohort.
pub fn read_event_batch(
    body: &Value,
    account_created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<EventRecord>, FieldErrors> {
    let accepted = (
        account_created - chrono::Duration::hours(CLOCK_TOLERANCE_HOURS),
        now + chrono::Duration::hours(CLOCK_TOLERANCE_HOURS),
    );
    let r = ObjectReader::new(body, &["events"])?;
    r.finish(())?;
    let items = match body.get("events") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(FieldErrors::single("events", Violation::Required)),
        Some(_) => {
            return Err(FieldErrors::single(
                "events",
                Violation::WrongType {
                    expected: "a list of events",
                },
            ));
        }
    };
    if items.len() > EVENTS_PER_BATCH {
        return Err(FieldErrors::single(
            "events",
            Violation::TooManyItems {
                max: EVENTS_PER_BATCH,
            },
        ));
    }
    let mut errors = Vec::new();
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match read_event(item, &format!("events[{i}]"), accepted) {
            Ok(record) => records.push(record),
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(FieldErrors(errors))
    }
}

fn read_event(
    item: &Value,
    name: &str,
    (earliest, latest): (DateTime<Utc>, DateTime<Utc>),
) -> Result<EventRecord, FieldErrors> {
    let prefix = format!("{name}.");
    let mut r = ObjectReader::nested(
        item,
        &["id", "name", "occurred_at", "properties", "context"],
        &prefix,
        name,
    )?;
    let id = r.required("id", parse_uuid);
    let event_name = r.required("name", EventName::parse);
    let occurred_at = r.required("occurred_at", |s| {
        let at = DateTime::parse_from_rfc3339(s)
            .map_err(|_| Violation::WrongType {
                expected: "an RFC 3339 time such as 2026-11-30T09:00:00Z",
            })?
            .with_timezone(&Utc);
        if at > latest {
            return Err(Violation::InTheFuture);
        }
        if at < earliest {
            return Err(Violation::TooLongAgo);
        }
        Ok(at)
    });
    let properties = r.value("properties");
    if properties.is_none() {
        r.fail("properties", Violation::Required);
    }
    let event = event_name.zip(properties).and_then(|(n, properties)| {
        Event::read(n, properties, &format!("{prefix}properties."))
            .map_err(|e| r.absorb(e))
            .ok()
    });
    let context = match r.value("context") {
        None => {
            r.fail("context", Violation::Required);
            None
        }
        Some(value) => read_context(value, &format!("{prefix}context"))
            .map_err(|e| r.absorb(e))
            .ok(),
    };
    match (id, occurred_at, event, context) {
        (Some(id), Some(occurred_at), Some(event), Some(context)) => r.finish(EventRecord {
            id,
            occurred_at,
            event,
            context,
        }),
        _ => Err(FieldErrors(if r.errors.is_empty() {
            vec![FieldError::new(name, Violation::Required)]
        } else {
            r.errors
        })),
    }
}

fn read_context(value: &Value, name: &str) -> Result<EventContext, FieldErrors> {
    let mut r = ObjectReader::nested(
        value,
        &["app_version", "os", "locale"],
        &format!("{name}."),
        name,
    )?;
    let app_version = r.required("app_version", |s| {
        Text::parse(s, EVENT_APP_VERSION_MAX).map(|t| t.as_str().to_owned())
    });
    let os = r.required("os", |s| {
        let slug = s.len() <= 20
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if s.is_empty() || !slug {
            Err(Violation::InvalidSlug)
        } else {
            Ok(s.to_owned())
        }
    });
    let locale = r.required("locale", Locale::parse);
    match (app_version, os, locale) {
        (Some(app_version), Some(os), Some(locale)) => r.finish(EventContext {
            app_version,
            os,
            locale,
        }),
        _ => Err(FieldErrors(r.errors)),
    }
}

/// A UUID in its hyphenated form, any case; kept lower-case.
pub fn parse_uuid(input: &str) -> Result<String, Violation> {
    storable(input)?;
    let groups: Vec<&str> = input.split('-').collect();
    let shaped = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if shaped {
        Ok(input.to_ascii_lowercase())
    } else {
        Err(Violation::InvalidUuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-30T12:00:00Z".parse().unwrap()
    }

    fn account_created() -> DateTime<Utc> {
        "2026-11-29T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn an_event_is_dated_between_its_account_and_tomorrow() {
        let at = |time: &str| {
            json!({"events": [{"id": "00000000-0000-4000-8000-000000000001",
                "name": "onboarding_started", "occurred_at": time, "properties": {},
                "context": context()}]})
        };
        let code = |time: &str| {
            read_event_batch(&at(time), account_created(), now())
                .err()
                .map(|e| e.0[0].code().to_owned())
        };
        assert_eq!(
            code("2026-11-28T09:00:00Z"),
            None,
            "a slow clock, within a day"
        );
        assert_eq!(
            code("2026-12-01T11:00:00Z"),
            None,
            "a fast clock, within a day"
        );
        assert_eq!(
            code("2026-11-28T07:59:59Z").as_deref(),
            Some("too_long_ago")
        );
        assert_eq!(
            code("2026-12-01T12:00:01Z").as_deref(),
            Some("in_the_future")
        );
        // Found by schemathesis: a time in the year 582 with an odd offset was called
        // "in the future"; it is simply too long ago.
        assert_eq!(
            code("0582-09-05T01:25:18.4-19:14").as_deref(),
            Some("too_long_ago")
        );
    }

    fn context() -> Value {
        json!({"app_version": "0.1.0", "os": "linux", "locale": "fr"})
    }

    #[test]
    fn step_names_are_the_wire_names() {
        for step in Step::ALL {
            assert_eq!(serde_json::to_value(step).unwrap(), json!(step.key()));
            assert_eq!(parse_step(step.key()), Ok(step));
        }
        assert!(parse_step("welcome").is_err());
    }

    #[test]
    fn every_event_round_trips_through_the_wire_shape() {
        let events = [
            Event::OnboardingStarted {},
            Event::step_completed(Step::Vapi),
            Event::step_skipped(Step::Twilio),
            Event::VapiConfigured {
                method: VapiMethod::Settings,
            },
            Event::AssistantCreated {
                name: "Ava".into(),
                voice: "Elliot".into(),
                from: "onboarding".into(),
            },
            Event::OnboardingCompleted {
                duration_seconds: 3_600,
                steps_skipped: vec![Step::Twilio],
                plan_selected: Plan::Pro,
            },
        ];
        let records: Vec<EventRecord> = events
            .iter()
            .enumerate()
            .map(|(i, event)| EventRecord {
                id: format!("00000000-0000-4000-8000-00000000000{i}"),
                occurred_at: now(),
                event: event.clone(),
                context: EventContext {
                    app_version: "0.1.0".into(),
                    os: "linux".into(),
                    locale: Locale::He,
                },
            })
            .collect();
        let wire: Vec<Value> = records.iter().map(EventRecord::to_wire).collect();
        assert_eq!(
            wire[1]["properties"],
            json!({"step_id": "vapi", "step_number": 2, "skipped": false})
        );
        assert_eq!(wire[0]["properties"], json!({}));
        let back = read_event_batch(&json!({ "events": wire }), account_created(), now()).unwrap();
        assert_eq!(back, records);
    }

    #[test]
    fn each_bad_field_is_named_with_its_event() {
        let body = json!({"events": [
            {"id": "00000000-0000-4000-8000-000000000001", "name": "onboarding_started",
             "occurred_at": "2026-11-30T11:00:00Z", "properties": {}, "context": context()},
            {"id": "not-a-uuid", "name": "onboarding_step_completed",
             "occurred_at": "2026-12-03T11:00:00Z",
             "properties": {"step_id": "vapi", "step_number": 3, "skipped": false, "email": "a@b.c"},
             "context": {"app_version": "0.1.0", "os": "linux", "locale": "de"}},
            {"id": "00000000-0000-4000-8000-000000000003", "name": "page_viewed",
             "occurred_at": "2026-11-30T11:00:00Z", "properties": {}, "context": context()},
        ]});
        let errors = read_event_batch(&body, account_created(), now()).unwrap_err();
        let named: Vec<(&str, &str)> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code()))
            .collect();
        for expected in [
            ("events[1].id", "invalid_uuid"),
            ("events[1].occurred_at", "in_the_future"),
            ("events[1].properties.step_number", "out_of_range"),
            ("events[1].properties.email", "unknown_field"),
            ("events[1].context.locale", "invalid_choice"),
            ("events[2].name", "invalid_choice"),
        ] {
            assert!(named.contains(&expected), "{expected:?} not in {named:?}");
        }
        assert!(
            !named.iter().any(|(f, _)| f.starts_with("events[0]")),
            "{named:?}"
        );
    }

    #[test]
    fn a_batch_is_bounded_and_its_shape_checked() {
        let one = json!({"id": "00000000-0000-4000-8000-000000000001", "name": "onboarding_started",
                         "occurred_at": "2026-11-30T11:00:00Z", "properties": {}, "context": context()});
        let too_many = json!({ "events": vec![one.clone(); EVENTS_PER_BATCH + 1] });
        assert_eq!(
            read_event_batch(&too_many, account_created(), now())
                .unwrap_err()
                .0[0]
                .code(),
            "too_many_items"
        );
        assert_eq!(
            read_event_batch(&json!({"events": []}), account_created(), now()).unwrap(),
            vec![]
        );
        assert_eq!(
            read_event_batch(
                &json!({"events": [one], "extra": 1}),
                account_created(),
                now()
            )
            .unwrap_err()
            .0[0]
                .field,
            "extra"
        );
        let missing =
            json!({"events": [{"name": "assistant_created", "properties": {"name": "Ava"}}]});
        let errors = read_event_batch(&missing, account_created(), now()).unwrap_err();
        let fields: Vec<&str> = errors.fields().collect();
        for field in [
            "events[0].id",
            "events[0].occurred_at",
            "events[0].context",
            "events[0].properties.voice",
            "events[0].properties.from",
        ] {
            assert!(fields.contains(&field), "{field} not in {fields:?}");
        }
    }
}
