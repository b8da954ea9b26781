//! Request extractors whose rejections speak the API's envelope: a JSON body (content type,
//! size and syntax checked; field rules are the model's job) and the signed-in user.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use ipnet::IpNet;
use serde_json::Value;
use std::net::IpAddr;

use crate::AppState;
use crate::error::ApiError;

/// A syntactically valid JSON body, not yet judged by any field rule.
pub struct JsonBody(pub Value);

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::MalformedJson(rejection.body_text())
                }
            })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::MalformedJson(e.to_string()))
    }
}

/// The user a valid bearer token names. Every query of a protected route is scoped by it.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: i32,
}

/// [`AuthUser`] with the sign-in its token belongs to (absent from tokens issued before
/// sign-ins were named).
#[derive(Debug, Clone)]
pub struct AuthSignIn {
    pub id: i32,
    pub sign_in: Option<String>,
}

impl FromRequestParts<AppState> for AuthSignIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        Ok(Self {
            id: user.id,
            sign_in: parts
                .extensions
                .get::<SignInOfRequest>()
                .map(|s| s.0.clone()),
        })
    }
}

/// The sign-in a verified token names, left in the request by [`AuthUser`] for
/// [`AuthSignIn`].
#[derive(Clone)]
struct SignInOfRequest(String);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    ava_model::ErrorCode::MissingToken,
                    "Sign in first: the Authorization header is missing",
                )
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    ava_model::ErrorCode::InvalidToken,
                    "The Authorization header must be `Bearer <token>`",
                )
            })?;
        let bearer = state.tokens.verify(token.trim())?;
        if bearer
            .sign_in
            .as_deref()
            .is_some_and(|sign_in| state.ended_sign_ins.contains(sign_in))
        {
            return Err(ApiError::unauthorized(
                ava_model::ErrorCode::InvalidToken,
                "This sign-in has ended; sign in again",
            ));
        }
        if let Some(rate) = &state.account_rate
            && let Err(not_until) = rate.check_key(&bearer.user_id)
        {
            use governor::clock::Clock;
            let wait = not_until.wait_time_from(rate.clock().now());
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        if let Some(sign_in) = bearer.sign_in {
            parts.extensions.insert(SignInOfRequest(sign_in));
        }
        Ok(AuthUser { id: bearer.user_id })
    }
}

/// The client's address: the TCP peer, or, when the peer is one of `TRUSTED_PROXIES`, the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy. A client cannot
/// pick its own address by sending the header, since only a trusted peer's header is read.
/// `None` when the server was not started with connect info (the tests' router).
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientIp(peer.map(|peer| {
            client_address(peer, forwarded, &state.trusted_proxies)
        })))
    }
}

/// Walks `X-Forwarded-For` from the right (the hop the nearest proxy added) towards the left
/// (what the client wrote itself), trusting each hop only as far as every hop to its right is
/// a trusted proxy: the first address that is not a trusted proxy is the client. A hop that is
/// not an address ends the walk at the last address known for sure (a client that writes
/// garbage counts as itself, never as the proxy), and when every hop is a trusted proxy the
/// nearest one is taken, never the leftmost, which anyone can write.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|line| line.split(',')).collect();
    let mut nearest_trusted: Option<IpAddr> = None;
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>().map(canonical) {
            Ok(ip) if is_trusted(&ip) => {
                nearest_trusted.get_or_insert(ip);
            }
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    nearest_trusted.unwrap_or(peer)
}

/// `::ffff:10.0.0.1` (a v4 client on a dual-stack socket) is `10.0.0.1`.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let header = ["203.0.113.9, 10.0.0.7"];
        assert_eq!(
            client_address(ip("198.51.100.1"), header.into_iter(), &trusted),
            ip("198.51.100.1"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), header.into_iter(), &trusted),
            ip("203.0.113.9"),
            "the nearest untrusted hop"
        );
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                ["1.1.1.1, 203.0.113.9"].into_iter(),
                &trusted
            ),
            ip("203.0.113.9"),
            "what the client wrote itself (1.1.1.1) is not believed"
        );
        assert_eq!(
            client_address(ip("::ffff:10.0.0.2"), ["garbage"].into_iter(), &trusted),
            ip("::ffff:10.0.0.2"),
            "a header with nothing readable leaves the peer"
        );
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                ["garbage, 203.0.113.9"].into_iter(),
                &trusted
            ),
            ip("203.0.113.9"),
            "a client's garbage does not hide the address the proxy saw"
        );
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                ["203.0.113.9", "garbage, 10.0.0.5"].into_iter(),
                &trusted
            ),
            ip("10.0.0.5"),
            "past a hop that is not an address, nothing to its left is believed"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), ["10.9.9.9, 10.0.0.5"].into_iter(), &trusted),
            ip("10.0.0.5"),
            "every hop trusted: the nearest, not the client-written leftmost"
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), std::iter::empty(), &[]),
            ip("10.0.0.2"),
            "no trusted proxies by default"
        );
    }
}
