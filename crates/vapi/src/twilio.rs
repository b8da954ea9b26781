use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{Provider, ProviderError, decode, send};

pub const TWILIO_BASE_URL: &str = "https://api.twilio.com";

/// The parts of Twilio's account resource the app shows. The body also carries the auth
/// token, which is deliberately not deserialized.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TwilioAccount {
    pub sid: String,
    pub friendly_name: String,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Deserialize)]
struct CallerIdPage {
    outgoing_caller_ids: Vec<IncomingNumber>,
}

#[derive(Deserialize)]
struct NumberPage {
    incoming_phone_numbers: Vec<IncomingNumber>,
}

#[derive(Deserialize)]
struct IncomingNumber {
    phone_number: String,
}

#[derive(Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    base_url: String,
}

impl TwilioClient {
    pub fn new(http: reqwest::Client, base_url: Option<&str>) -> Self {
        Self {
            http,
            base_url: base_url
                .unwrap_or(TWILIO_BASE_URL)
                .trim_end_matches('/')
                .to_owned(),
        }
    }

    /// The cheap credentials check: fetch the account itself.
    pub async fn verify_account(
        &self,
        account_sid: &str,
        auth_token: &SecretString,
    ) -> Result<TwilioAccount, ProviderError> {
        let url = format!("{}/2010-04-01/Accounts/{account_sid}.json", self.base_url);
        let request = self
            .http
            .get(url)
            .basic_auth(account_sid, Some(auth_token.expose_secret()));
        let (_, body) = send(Provider::Twilio, request).await?;
        decode(Provider::Twilio, &body)
    }

    /// Whether `number` (E.164) is one of the account's incoming numbers. Twilio answers a
    /// miss with 200 and an empty list, and `PhoneNumber` is a partial match, so only an exact
    /// match counts.
    pub async fn owns_number(
        &self,
        account_sid: &str,
        auth_token: &SecretString,
        number: &str,
    ) -> Result<bool, ProviderError> {
        let query = [("PhoneNumber", number), ("PageSize", "50")];
        let page: NumberPage = self
            .list(account_sid, auth_token, "IncomingPhoneNumbers", &query)
            .await?;
        Ok(page
            .incoming_phone_numbers
            .iter()
            .any(|n| n.phone_number == number))
    }

    /// A list resource of the account (`Accounts/{sid}/{resource}.json`), one page.
    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        account_sid: &str,
        auth_token: &SecretString,
        resource: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ProviderError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{account_sid}/{resource}.json",
            self.base_url
        );
        let request = self
            .http
            .get(url)
            .query(query)
            .basic_auth(account_sid, Some(auth_token.expose_secret()));
        let (_, body) = send(Provider::Twilio, request).await?;
        decode(Provider::Twilio, &body)
    }

    /// Whether `number` is one of the account's verified caller ids: the only numbers a
    /// trial account may call.
    pub async fn is_verified_caller_id(
        &self,
        account_sid: &str,
        auth_token: &SecretString,
        number: &str,
    ) -> Result<bool, ProviderError> {
        let page: CallerIdPage = self
            .list(
                account_sid,
                auth_token,
                "OutgoingCallerIds",
                &[("PhoneNumber", number)],
            )
            .await?;
        Ok(page
            .outgoing_caller_ids
            .iter()
            .any(|n| n.phone_number == number))
    }
}
