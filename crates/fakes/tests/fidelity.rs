//! The fakes answer as the notes say Vapi and Twilio do (shared/notes/vapi-twilio.md), so code
//! tested against them meets the same shapes in production.

use ava_fakes::FakeProviders;
use serde_json::{Value, json};

const KEY: &str = "fidelity-key-0001";
const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "fedcba9876543210fedcba9876543210";

async fn start() -> (FakeProviders, reqwest::Client) {
    let fakes = FakeProviders::start().await.unwrap();
    fakes.vapi.add_key(KEY);
    fakes.twilio.add_account(SID, TOKEN);
    fakes.twilio.add_number(SID, "+14155550199");
    (fakes, reqwest::Client::new())
}

/// Sends the request: its status and JSON body (`null` when the body is not JSON).
async fn json_of(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn vapi_creation_is_a_201_with_server_fields_and_class_validator_errors() {
    let (fakes, http) = start().await;
    let url = format!("{}/assistant", fakes.vapi_url());
    let (status, body) = json_of(
        http.post(&url)
            .bearer_auth(KEY)
            .json(&json!({"name": "Ava", "voice": {"provider": "vapi", "voiceId": "Elliot"}})),
    )
    .await;
    assert_eq!(status, 201);
    for field in ["id", "orgId", "createdAt", "updatedAt"] {
        assert!(body[field].is_string(), "{field} in {body}");
    }

    let (status, body) = json_of(
        http.post(&url)
            .bearer_auth(KEY)
            .json(&json!({"name": "n".repeat(41), "fillerInjectionEnabled": true, "voice": {"provider": "bark", "voiceId": "x"},
                          "model": {"provider": "openai"}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(body["statusCode"], 400);
    let messages: Vec<&str> = body["message"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(messages.contains(&"name must be shorter than or equal to 40 characters"));
    assert!(messages.contains(&"property fillerInjectionEnabled should not exist"));
    assert!(
        messages.iter().any(|m| {
            m.starts_with("voice.provider must be one of the following values: azure, cartesia")
        }),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"model.model should not be empty"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn vapi_401_and_lists_are_plain_arrays() {
    let (fakes, http) = start().await;
    let url = format!("{}/assistant", fakes.vapi_url());
    let (status, body) = json_of(http.get(&url).bearer_auth("public-key-by-mistake")).await;
    assert_eq!(status, 401);
    assert_eq!(body["statusCode"], 401);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid Key. Hot tip")
    );
    let (status, body) = json_of(http.get(&url).bearer_auth(KEY)).await;
    assert_eq!((status, body), (200, json!([])), "no paging envelope");
    let (status, _) = json_of(http.get(format!("{url}?limit=1001")).bearer_auth(KEY)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn number_import_checks_the_twilio_account() {
    let (fakes, http) = start().await;
    let url = format!("{}/phone-number", fakes.vapi_url());
    let import = async |number: &str, token: &str| {
        json_of(http.post(&url).bearer_auth(KEY).json(
            &json!({"provider": "twilio", "number": number, "twilioAccountSid": SID, "twilioAuthToken": token}),
        ))
        .await
    };
    let (status, body) = import("+14155550100", TOKEN).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Number Not Found on Twilio."))
    );
    let (status, body) = import("+14155550199", &"0".repeat(32)).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Twilio Error: Authenticate"))
    );
    let (status, body) = import("+14155550199", TOKEN).await;
    assert_eq!(status, 201);
    assert_eq!(body["status"], "active");
    assert_eq!(
        body["twilioAuthToken"], TOKEN,
        "Vapi echoes the token, as its schema says"
    );
}

#[tokio::test]
async fn twilio_errors_and_empty_number_lists() {
    let (fakes, http) = start().await;
    let base = fakes.twilio_url();
    let (status, body) = json_of(http.get(format!("{base}/2010-04-01/Accounts/{SID}.json"))).await;
    assert_eq!((status, body["code"].as_u64()), (401, Some(20003)));
    let (status, body) = json_of(
        http.get(format!("{base}/2010-04-01/Accounts/{SID}.json"))
            .basic_auth(SID, Some("wrong")),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["detail"],
        "Your AccountSid or AuthToken was incorrect."
    );
    assert_eq!(
        body["more_info"],
        "https://www.twilio.com/docs/errors/20003"
    );
    let (status, body) = json_of(
        http.get(format!(
            "{base}/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=%2B15550000000"
        ))
        .basic_auth(SID, Some(TOKEN)),
    )
    .await;
    assert_eq!(
        status, 200,
        "a number that is not found is an empty page, not a 404"
    );
    assert_eq!(body["incoming_phone_numbers"], json!([]));
    assert!(body["next_page_uri"].is_null());
    let (status, body) = json_of(
        http.get(format!("{base}/2010-04-01/Nope.json"))
            .basic_auth(SID, Some(TOKEN)),
    )
    .await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(20404)));
}
