//! The Vapi and Twilio clients against the fakes: request shapes, the provider's errors kept
//! whole, and every injected fault turned into the right error kind.

mod common;

use std::time::Duration;

use ava_fakes::{Fault, FaultRule};
use ava_vapi::*;
use serde_json::json;

const KEY: &str = "vapi-private-key-0001";

use common::{NUMBER, SID, Setup, TOKEN};

async fn setup(timeout: Duration) -> Setup {
    common::setup(KEY, timeout).await
}

fn spec(name: &str) -> CreateAssistant {
    common::assistant_for(json!({
        "name": name, "instructions": "You are Ava, the front desk of Acme.",
        "phoneNumber": NUMBER, "firstMessage": "Hello!",
        "voice": {"provider": "azure", "voiceId": "en-US-JennyNeural"},
        "model": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.7},
        "metadata": {"created_from": "onboarding"}
    }))
}

#[tokio::test]
async fn key_check_accepts_good_keys_and_keeps_vapis_401_message() {
    let s = setup(DEFAULT_TIMEOUT).await;
    s.vapi.verify_key(&s.key).await.unwrap();
    let err = s
        .vapi
        .verify_key(&SecretString::from("wrong-key-123"))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized());
    assert!(!err.is_transient());
    assert!(err.to_string().contains("Invalid Key. Hot tip"), "{err}");
    assert!(
        !format!("{err:?}").contains("wrong-key-123"),
        "errors never carry the key"
    );
}

#[tokio::test]
async fn create_sends_vapis_real_shape_and_the_fake_stores_it() {
    let s = setup(DEFAULT_TIMEOUT).await;
    let created = s
        .vapi
        .create_assistant(&s.key, &spec("Ava Assistant"))
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("Ava Assistant"));
    let stored = s.fakes.vapi.assistants();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0]["model"]["messages"],
        json!([{"role": "system", "content": "You are Ava, the front desk of Acme."}])
    );
    assert_eq!(
        stored[0]["voice"],
        json!({"provider": "azure", "voiceId": "en-US-JennyNeural"})
    );
    assert!(
        stored[0].get("phoneNumber").is_none(),
        "Vapi would reject phoneNumber"
    );
    assert_eq!(s.fakes.vapi.calls.count("POST /assistant"), 1);

    let fetched = s.vapi.get_assistant(&s.key, &created.id).await.unwrap();
    assert_eq!(fetched.id, created.id);
    let listed = s
        .vapi
        .list_assistants(
            &s.key,
            &ListQuery {
                limit: Some(10),
                created_at_gt: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let later = ListQuery {
        limit: None,
        created_at_gt: Some(created.created_at.clone()),
    };
    assert!(
        s.vapi
            .list_assistants(&s.key, &later)
            .await
            .unwrap()
            .is_empty(),
        "createdAtGt is strict"
    );
    s.vapi.delete_assistant(&s.key, &created.id).await.unwrap();
    let gone = s.vapi.get_assistant(&s.key, &created.id).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
}

#[tokio::test]
async fn vapi_validation_errors_come_back_word_for_word() {
    let s = setup(DEFAULT_TIMEOUT).await;
    let mut too_long = spec("Ava");
    too_long.name = "x".repeat(41);
    let err = s
        .vapi
        .create_assistant(&s.key, &too_long)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProviderError::Rejected {
            provider: Provider::Vapi,
            status: 400,
            message: "name must be shorter than or equal to 40 characters".into()
        }
    );
}

#[tokio::test]
async fn number_import_checks_twilio_ownership_and_attaches() {
    let s = setup(DEFAULT_TIMEOUT).await;
    let assistant = s.vapi.create_assistant(&s.key, &spec("Ava")).await.unwrap();
    let missing = ImportTwilioNumber {
        number: "+14155550100",
        twilio_account_sid: SID,
        twilio_auth_token: &s.token,
        assistant_id: Some(&assistant.id),
        name: None,
        sms_enabled: false,
    };
    let err = s
        .vapi
        .import_twilio_number(&s.key, &missing)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(
        err.to_string().contains("Number Not Found on Twilio."),
        "{err}"
    );

    let import = ImportTwilioNumber {
        number: NUMBER,
        ..missing
    };
    let number = s.vapi.import_twilio_number(&s.key, &import).await.unwrap();
    assert_eq!(number.assistant_id.as_deref(), Some(assistant.id.as_str()));
    let again = s
        .vapi
        .attach_assistant(&s.key, &number.id, &assistant.id)
        .await
        .unwrap();
    assert_eq!(again.id, number.id);
    assert_eq!(
        s.vapi
            .list_phone_numbers(&s.key, &ListQuery::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        !format!("{number:?}").contains(TOKEN),
        "Vapi echoes the token; we never keep it"
    );
}

#[tokio::test]
async fn twilio_account_and_number_checks() {
    let s = setup(DEFAULT_TIMEOUT).await;
    let account = s.twilio.verify_account(SID, &s.token).await.unwrap();
    assert_eq!(account.sid, SID);
    assert!(!format!("{account:?}").contains(TOKEN));
    assert!(s.twilio.owns_number(SID, &s.token, NUMBER).await.unwrap());
    assert!(
        !s.twilio
            .owns_number(SID, &s.token, "+14155550100")
            .await
            .unwrap()
    );
    assert!(
        !s.twilio
            .owns_number(SID, &s.token, "+1415555019")
            .await
            .unwrap(),
        "partial matches do not count"
    );
    let err = s
        .twilio
        .verify_account(SID, &SecretString::from("0".repeat(32)))
        .await
        .unwrap_err();
    assert!(err.is_unauthorized());
    assert!(
        err.to_string()
            .contains("Your AccountSid or AuthToken was incorrect."),
        "{err}"
    );
}

#[tokio::test]
async fn injected_faults_become_the_right_errors() {
    let s = setup(Duration::from_millis(400)).await;
    s.fakes.vapi.faults.fail_next(1, Fault::Status(500));
    let err = s.vapi.verify_key(&s.key).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(err.is_transient());

    s.fakes.vapi.faults.fail_next(1, Fault::Status(429));
    let err = s.vapi.verify_key(&s.key).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert!(err.is_transient());

    s.fakes.vapi.faults.fail_next(1, Fault::Hang);
    let err = s.vapi.verify_key(&s.key).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::Timeout {
            provider: Provider::Vapi
        }
    );

    s.fakes.vapi.faults.fail_next(1, Fault::DropConnection);
    let err = s.vapi.verify_key(&s.key).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unreachable { .. }), "{err:?}");

    s.fakes.twilio.faults.fail_next(1, Fault::Status(503));
    let err = s.twilio.verify_account(SID, &s.token).await.unwrap_err();
    assert_eq!(err.status(), Some(503));

    s.vapi.verify_key(&s.key).await.expect("faults are used up");
    assert_eq!(s.fakes.vapi.calls.count("GET /assistant"), 5);
}

#[tokio::test]
async fn a_fault_after_handling_loses_the_answer_but_not_the_assistant() {
    let s = setup(Duration::from_millis(400)).await;
    s.fakes.vapi.faults.add(
        FaultRule::next(1, Fault::Hang)
            .on("POST /assistant")
            .after_handling(),
    );
    let err = s
        .vapi
        .create_assistant(&s.key, &spec("Ava"))
        .await
        .unwrap_err();
    assert!(err.is_transient());
    assert_eq!(
        s.fakes.vapi.assistants().len(),
        1,
        "Vapi did the work; only the answer was lost"
    );
}
