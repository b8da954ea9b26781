//! The fake Twilio REST API (2010-04-01): account lookup and incoming phone numbers, behind
//! HTTP Basic auth, with Twilio's `{code, message, more_info, status}` error bodies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::contract::{Drift, Enforcement, enforce};
use crate::faults::{Calls, Faults, Instrumentation, instrument, lock};

#[derive(Debug, Clone)]
struct Account {
    auth_token: String,
    friendly_name: String,
    numbers: Vec<String>,
    /// `Full`, or `Trial` until upgraded.
    kind: &'static str,
    /// Outgoing caller ids: the only numbers a trial account may call.
    verified: Vec<String>,
}

/// A fake Twilio holding accounts and the numbers each one owns.
#[derive(Clone, Default)]
pub struct FakeTwilio {
    accounts: Arc<Mutex<HashMap<String, Account>>>,
    pub calls: Calls,
    pub faults: Faults,
    /// Requests our client sent and answers of this fake that Twilio's contract does not
    /// describe (Twilio ignores query parameters it does not know, so nothing is refused).
    pub drift: Drift,
}

impl FakeTwilio {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_account(&self, account_sid: &str, auth_token: &str) {
        lock(&self.accounts).insert(
            account_sid.to_owned(),
            Account {
                auth_token: auth_token.to_owned(),
                friendly_name: "My first Twilio account".to_owned(),
                numbers: Vec::new(),
                kind: "Full",
                verified: Vec::new(),
            },
        );
    }

    /// Makes the account a trial one (what a new Twilio account is until upgraded).
    pub fn make_trial(&self, account_sid: &str) {
        if let Some(account) = lock(&self.accounts).get_mut(account_sid) {
            account.kind = "Trial";
        }
    }

    /// Adds `number` to the account's verified caller ids.
    pub fn verify_caller_id(&self, account_sid: &str, number: &str) {
        if let Some(account) = lock(&self.accounts).get_mut(account_sid) {
            account.verified.push(number.to_owned());
        }
    }

    /// Whether Twilio would connect a call from this account to `number` (a trial account
    /// reaches verified numbers only).
    pub(crate) fn may_call(&self, account_sid: &str, number: &str) -> bool {
        lock(&self.accounts)
            .get(account_sid)
            .is_none_or(|a| a.kind != "Trial" || a.verified.iter().any(|v| v == number))
    }

    /// Gives the account a number; an unknown account is created without a valid token.
    pub fn add_number(&self, account_sid: &str, number: &str) {
        let mut accounts = lock(&self.accounts);
        let account = accounts
            .entry(account_sid.to_owned())
            .or_insert_with(|| Account {
                auth_token: String::new(),
                friendly_name: String::new(),
                numbers: Vec::new(),
                kind: "Full",
                verified: Vec::new(),
            });
        account.numbers.push(number.to_owned());
    }

    /// What Vapi's import asks Twilio: are these credentials good, and is the number theirs?
    pub(crate) fn check_import(
        &self,
        account_sid: &str,
        auth_token: &str,
        number: &str,
    ) -> Result<(), &'static str> {
        let accounts = lock(&self.accounts);
        match accounts.get(account_sid) {
            Some(account) if !account.auth_token.is_empty() && account.auth_token == auth_token => {
                if account.numbers.iter().any(|n| n == number) {
                    Ok(())
                } else {
                    Err("Number Not Found on Twilio.")
                }
            }
            _ => Err("Twilio Error: Authenticate"),
        }
    }

    pub fn router(&self) -> Router {
        let instrumentation = Instrumentation {
            calls: self.calls.clone(),
            faults: self.faults.clone(),
            error_body: twilio_error_body,
        };
        let enforcement = Enforcement {
            contract: crate::contract::twilio,
            refuse: None,
            drift: self.drift.clone(),
        };
        Router::new()
            .route("/2010-04-01/Accounts/{account_file}", get(fetch_account))
            .route(
                "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json",
                get(list_numbers),
            )
            .route(
                "/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds.json",
                get(list_caller_ids),
            )
            .route_layer(from_fn_with_state(enforcement, enforce))
            .route_layer(from_fn_with_state(instrumentation, instrument))
            .fallback(not_found)
            .with_state(self.clone())
    }

    fn authenticate(&self, headers: &HeaderMap, path_sid: &str) -> Result<Account, Response> {
        let Some((user, password)) = basic_auth(headers) else {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                20003,
                "Authenticate",
                Some("Authentication Error - No credentials provided"),
            ));
        };
        let accounts = lock(&self.accounts);
        let account = accounts
            .get(&user)
            .filter(|a| !a.auth_token.is_empty() && a.auth_token == password)
            .cloned()
            .ok_or_else(|| {
                error(
                    StatusCode::UNAUTHORIZED,
                    20003,
                    "Authenticate",
                    Some("Your AccountSid or AuthToken was incorrect."),
                )
            })?;
        if user != path_sid {
            // Credentials of one account reading another (the subaccount mix-up).
            return Err(not_found_body(&format!("/2010-04-01/Accounts/{path_sid}")));
        }
        Ok(account)
    }
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn error(status: StatusCode, code: u32, message: &str, detail: Option<&str>) -> Response {
    let mut body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    if let Some(detail) = detail {
        body["detail"] = json!(detail);
    }
    (status, axum::Json(body)).into_response()
}

fn not_found_body(path: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        20404,
        &format!("The requested resource {path} was not found"),
        None,
    )
}

pub(crate) fn twilio_error_body(status: u16) -> Value {
    let (code, message) = match status {
        429 => (20429, "Too Many Requests"),
        503 => (20503, "Service Unavailable"),
        _ => (20500, "Internal Server Error"),
    };
    json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
}

async fn not_found(uri: axum::http::Uri) -> Response {
    not_found_body(uri.path())
}

const RFC_2822_EXAMPLE: &str = "Thu, 30 Jul 2015 20:00:00 +0000";

async fn fetch_account(
    State(fake): State<FakeTwilio>,
    Path(account_file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(account_sid) = account_file.strip_suffix(".json") else {
        return not_found_body(&format!("/2010-04-01/Accounts/{account_file}"));
    };
    match fake.authenticate(&headers, account_sid) {
        Err(response) => response,
        Ok(account) => axum::Json(json!({
            "sid": account_sid,
            "friendly_name": account.friendly_name,
            "status": "active",
            "type": account.kind,
            "owner_account_sid": account_sid,
            "auth_token": account.auth_token,
            "date_created": RFC_2822_EXAMPLE,
            "date_updated": RFC_2822_EXAMPLE,
            "uri": format!("/2010-04-01/Accounts/{account_sid}.json"),
            "subresource_uris": {
                "incoming_phone_numbers": format!("/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json"),
            },
        }))
        .into_response(),
    }
}

/// A request under `/Accounts/{AccountSid}/` whose Basic credentials are that account's; any
/// other is answered as Twilio answers it (401, or 404 for another account's path).
struct Signed {
    account_sid: String,
    account: Account,
}

impl axum::extract::FromRequestParts<FakeTwilio> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        fake: &FakeTwilio,
    ) -> Result<Self, Response> {
        let Path(account_sid) = Path::<String>::from_request_parts(parts, fake)
            .await
            .map_err(IntoResponse::into_response)?;
        let account = fake.authenticate(&parts.headers, &account_sid)?;
        Ok(Self {
            account_sid,
            account,
        })
    }
}

#[derive(Deserialize)]
struct NumberQuery {
    #[serde(rename = "PhoneNumber")]
    phone_number: Option<String>,
    #[serde(rename = "PageSize")]
    page_size: Option<usize>,
}

async fn list_numbers(
    Signed {
        account_sid,
        account,
    }: Signed,
    Query(query): Query<NumberQuery>,
) -> Response {
    let page_size = query.page_size.unwrap_or(50).min(1000);
    let items: Vec<Value> = account
        .numbers
        .iter()
        .filter(|n| {
            query
                .phone_number
                .as_deref()
                .is_none_or(|want| matches_pattern(n, want))
        })
        .take(page_size)
        .enumerate()
        .map(|(i, number)| {
            number_resource(
                i + 1,
                &account_sid,
                number,
                json!({
                    "capabilities": {"voice": true, "sms": true, "mms": false, "fax": false},
                    "voice_url": "",
                    "sms_url": "",
                    "status": "in-use",
                    "type": "local",
                    "trunk_sid": null,
                    "voice_application_sid": null,
                }),
            )
        })
        .collect();
    let end = items.len().saturating_sub(1);
    one_page(
        &format!("/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json"),
        json!({
            "incoming_phone_numbers": items,
            "page_size": page_size,
            "start": 0,
            "end": end,
        }),
    )
}

/// The fields every number resource of Twilio's begins with (`index` makes its sid), then `rest`.
fn number_resource(index: usize, account_sid: &str, number: &str, rest: Value) -> Value {
    let mut resource = json!({
        "sid": format!("PN{index:032x}"),
        "account_sid": account_sid,
        "phone_number": number,
        "friendly_name": number,
    });
    if let (Some(fields), Value::Object(rest)) = (resource.as_object_mut(), rest) {
        fields.extend(rest);
    }
    resource
}

/// A list that fits on Twilio's first page: `list` (the items and their counts) with the
/// page's links, all pointing at `uri`.
fn one_page(uri: &str, list: Value) -> Response {
    let mut page = json!({
        "page": 0,
        "uri": uri,
        "first_page_uri": uri,
        "next_page_uri": null,
        "previous_page_uri": null,
    });
    if let (Some(fields), Value::Object(list)) = (page.as_object_mut(), list) {
        fields.extend(list);
    }
    axum::Json(page).into_response()
}

/// Twilio's `PhoneNumber` filter: a partial match where `*` stands for one digit.
fn matches_pattern(number: &str, pattern: &str) -> bool {
    let number: Vec<char> = number.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    if pattern.len() > number.len() {
        return false;
    }
    (0..=number.len() - pattern.len()).any(|start| {
        pattern
            .iter()
            .zip(&number[start..])
            .all(|(p, n)| *p == '*' && n.is_ascii_digit() || p == n)
    })
}

/// `OutgoingCallerIds.json`: the verified numbers, filtered by `PhoneNumber` (200 and an empty
/// list when none matches).
async fn list_caller_ids(signed: Signed, Query(query): Query<NumberQuery>) -> Response {
    let Signed {
        account_sid,
        account,
    } = signed;
    let items: Vec<Value> = account
        .verified
        .iter()
        .filter(|n| query.phone_number.as_deref().is_none_or(|want| *n == want))
        .enumerate()
        .map(|(i, number)| {
            number_resource(
                i + 100,
                &account_sid,
                number,
                json!({
                    "date_created": RFC_2822_EXAMPLE,
                    "date_updated": RFC_2822_EXAMPLE,
                    "uri": format!("/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds/PN{:032x}.json", i + 100),
                }),
            )
        })
        .collect();
    one_page(
        &format!("/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds.json"),
        json!({"outgoing_caller_ids": items, "page_size": 50}),
    )
}
