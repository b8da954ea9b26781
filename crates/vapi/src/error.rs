use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Vapi,
    Twilio,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::Vapi => "Vapi",
            Provider::Twilio => "Twilio",
        })
    }
}

/// What went wrong talking to a provider. Messages never contain a secret: request bodies
/// and headers are never echoed, and URLs are stripped from transport errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered with an error status; `message` is its own words.
    #[error("{provider} answered {status}: {message}")]
    Rejected {
        provider: Provider,
        status: u16,
        message: String,
    },
    #[error("{provider} did not answer in time")]
    Timeout { provider: Provider },
    #[error("could not reach {provider}: {detail}")]
    Unreachable { provider: Provider, detail: String },
    #[error("{provider} sent an answer that could not be read: {detail}")]
    BadResponse { provider: Provider, detail: String },
}

impl ProviderError {
    pub fn provider(&self) -> Provider {
        match self {
            ProviderError::Rejected { provider, .. }
            | ProviderError::Timeout { provider }
            | ProviderError::Unreachable { provider, .. }
            | ProviderError::BadResponse { provider, .. } => *provider,
        }
    }

    /// The provider's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ProviderError::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The key or credentials were refused (a 401): asking again will not help.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// Worth retrying with backoff: no answer, a 429 or a 5xx. A timed-out POST may still
    /// have done its work, which is why provisioning de-duplicates before retrying.
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::Timeout { .. } | ProviderError::Unreachable { .. } => true,
            ProviderError::Rejected { status, .. } => *status == 429 || *status >= 500,
            ProviderError::BadResponse { .. } => false,
        }
    }

    pub(crate) fn from_transport(provider: Provider, error: reqwest::Error) -> Self {
        if error.is_timeout() {
            ProviderError::Timeout { provider }
        } else {
            ProviderError::Unreachable {
                provider,
                detail: error.without_url().to_string(),
            }
        }
    }
}

const MAX_MESSAGE_CHARS: usize = 500;

/// The human part of a provider's error body: Vapi's `message` (a string or a list of
/// class-validator messages), Twilio's `message` plus `detail`, or the raw text, capped.
pub(crate) fn provider_message(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(json) => {
            let message = match &json["message"] {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => String::new(),
            };
            match json["detail"].as_str() {
                Some(detail) if !message.is_empty() => format!("{message} ({detail})"),
                Some(detail) => detail.to_owned(),
                None if message.is_empty() => json.to_string(),
                None => message,
            }
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let text = text.trim();
    if text.is_empty() {
        return "no details given".to_owned();
    }
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// Sends a request and reads the whole answer, mapping every failure to a [`ProviderError`].
pub(crate) async fn send(
    provider: Provider,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>), ProviderError> {
    let response = request
        .send()
        .await
        .map_err(|e| ProviderError::from_transport(provider, e))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| ProviderError::from_transport(provider, e))?;
    if (200..300).contains(&status) {
        Ok((status, body.to_vec()))
    } else {
        Err(ProviderError::Rejected {
            provider,
            status,
            message: provider_message(&body),
        })
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    provider: Provider,
    body: &[u8],
) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|e| ProviderError::BadResponse {
        provider,
        detail: e.to_string(),
    })
}
