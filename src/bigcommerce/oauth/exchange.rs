//! Exchanging the callback's code for a token, with the oauth2 crate.
//!
//! BigCommerce's token response has no `token_type` (oauth2's standard
//! response type insists on one) and carries `user`, `owner`, `context` and
//! `account_uuid`, so it gets its own response type.

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret,
    EndpointNotSet, EndpointSet, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardRevocableToken, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::BcUser;
use super::callback::Callback;

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

/// BigCommerce's answer from `POST /oauth2/token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BcTokenResponse {
    access_token: AccessToken,
    #[serde(default = "bearer")]
    token_type: BasicTokenType,
    #[serde(
        rename = "scope",
        default,
        deserialize_with = "oauth2::helpers::deserialize_space_delimited_vec",
        serialize_with = "oauth2::helpers::serialize_space_delimited_vec"
    )]
    scopes: Option<Vec<Scope>>,
    pub user: Option<BcUser>,
    #[serde(default)]
    pub owner: Option<BcUser>,
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub account_uuid: Option<String>,
}

impl TokenResponse for BcTokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<std::time::Duration> {
        None // BigCommerce tokens do not expire with time.
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        None
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

type BcClient = Client<
    BasicErrorResponse,
    BcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A successful exchange.
pub struct Exchanged {
    pub token: SecretString,
    pub scopes: Vec<String>,
    pub user: Option<BcUser>,
    pub owner: Option<BcUser>,
    pub context: Option<String>,
    pub account_uuid: Option<String>,
}

/// The app asking for the token.
pub struct Credentials<'a> {
    pub client_id: &'a str,
    pub secret: &'a SecretString,
    /// Sent as `redirect_uri`, byte for byte as registered.
    pub callback_url: &'a str,
}

pub async fn exchange(
    http: &reqwest::Client,
    login: &str,
    creds: &Credentials<'_>,
    cb: &Callback,
) -> Result<Exchanged, ExchangeError> {
    let token_url = format!("{login}/oauth2/token");
    let bad_url = |e: url::ParseError| ExchangeError::NoAnswer {
        url: token_url.clone(),
        detail: format!("bad URL: {e}"),
    };
    let client: BcClient = Client::new(ClientId::new(creds.client_id.to_string()))
        .set_client_secret(ClientSecret::new(creds.secret.expose_secret().to_string()))
        .set_auth_uri(AuthUrl::new(format!("{login}/oauth2/authorize")).map_err(bad_url)?)
        .set_token_uri(TokenUrl::new(token_url.clone()).map_err(bad_url)?)
        .set_redirect_uri(RedirectUrl::new(creds.callback_url.to_string()).map_err(bad_url)?)
        // BigCommerce wants client_id and client_secret in the form body.
        .set_auth_type(AuthType::RequestBody);
    let response = client
        .exchange_code(AuthorizationCode::new(cb.code.clone()))
        // Passed through exactly as the callback gave them.
        .add_extra_param("scope", cb.scope.clone())
        .add_extra_param("context", cb.context.clone())
        .request_async(http)
        .await
        .map_err(|e| describe(e, token_url.clone()))?;
    // Who authorized, and for what: from outside, escaped and bounded, since
    // they are printed and stored.
    let clean = |v: Option<String>| v.map(|v| crate::text::outside(&v, 200));
    let user = |u: Option<BcUser>| {
        u.map(|u| BcUser {
            id: u.id,
            username: clean(u.username),
            email: clean(u.email),
        })
    };
    Ok(Exchanged {
        token: SecretString::from(response.access_token.secret().clone()),
        scopes: response
            .scopes
            .unwrap_or_default()
            .into_iter()
            .map(|s| crate::text::outside(&s, 100))
            .collect(),
        user: user(response.user),
        owner: user(response.owner),
        context: clean(response.context),
        account_uuid: clean(response.account_uuid),
    })
}

/// Why the exchange failed, classified from the token endpoint's JSON
/// `error` field. BigCommerce puts free text there (`"Invalid client id."`),
/// so its known values are matched exactly, beside the RFC 6749 codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExchangeError {
    /// Unknown client id or wrong secret.
    #[error("BigCommerce refused the iClient's credentials ({said})")]
    InvalidClient { said: String },
    /// `redirect_uri` is not the app's registered Auth callback URL.
    #[error(
        "BigCommerce says the redirect_uri does not match the app's registered Auth callback URL ({said})"
    )]
    RedirectMismatch { said: String },
    /// The code is unknown, expired or used.
    #[error("BigCommerce refused the authorization code ({said}): it expired or was already used")]
    InvalidGrant { said: String },
    /// Any other refusal.
    #[error("BigCommerce refused the code exchange ({said})")]
    Refused { said: String },
    /// No answer (network, TLS, timeout).
    #[error("could not reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
    /// An answer that is not a token response.
    #[error("the token endpoint {url} gave an answer bcconn cannot read ({detail})")]
    Unreadable { url: String, detail: String },
    /// A redirect or another answer with no body to read.
    #[error(
        "the token endpoint {url} gave no usable answer ({detail}); redirects are not followed"
    )]
    NoAnswer { url: String, detail: String },
}

/// BigCommerce's `error` values, as observed (protocol reference §1.5).
const INVALID_CLIENT: &str = "Invalid client id.";
const REDIRECT_MISMATCH: &str = "Parameter redirect_uri does not match registered URI";

/// Classifies a token endpoint's error response by its fields.
pub fn classify(error: &BasicErrorResponseType, description: Option<&str>) -> ExchangeError {
    // BigCommerce's words: escaped and bounded, they reach a terminal.
    let code = crate::text::outside(error.as_ref(), 120);
    let said = match description {
        Some(d) if !d.is_empty() => format!("{code}: {}", crate::text::outside(d, 200)),
        _ => code,
    };
    match error {
        BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
            ExchangeError::InvalidClient { said }
        }
        BasicErrorResponseType::InvalidGrant => ExchangeError::InvalidGrant { said },
        BasicErrorResponseType::Extension(text) if text.trim() == INVALID_CLIENT => {
            ExchangeError::InvalidClient { said }
        }
        BasicErrorResponseType::Extension(text) if text.trim() == REDIRECT_MISMATCH => {
            ExchangeError::RedirectMismatch { said }
        }
        _ => ExchangeError::Refused { said },
    }
}

fn describe(
    e: RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
    token_url: String,
) -> ExchangeError {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            classify(resp.error(), resp.error_description().map(String::as_str))
        }
        RequestTokenError::Request(e) => ExchangeError::Unreachable {
            url: token_url,
            detail: match &e {
                oauth2::HttpClientError::Reqwest(r) => crate::bigcommerce::api::describe_reqwest(r),
                other => other.to_string(),
            },
        },
        RequestTokenError::Parse(e, _body) => ExchangeError::Unreadable {
            url: token_url,
            // The body is never echoed: it could hold a token.
            detail: e.inner().to_string(),
        },
        RequestTokenError::Other(said) => ExchangeError::NoAnswer {
            url: token_url,
            detail: said,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bigcommerce_response_without_token_type() {
        let body = r#"{"access_token":"tok","scope":"store_v2_orders store_v2_default","user":{"id":1,"username":"u","email":"e"},"owner":{"id":2,"email":"o"},"context":"stores/abc123","account_uuid":"uu"}"#;
        let r: BcTokenResponse = serde_json::from_str(body).unwrap();
        assert_eq!(r.access_token().secret(), "tok");
        assert_eq!(r.scopes().unwrap().len(), 2);
        assert_eq!(r.owner.unwrap().id, 2);
        assert_eq!(r.context.as_deref(), Some("stores/abc123"));
        // The old documented shape: no owner, no account_uuid.
        let old =
            r#"{"access_token":"t","scope":"a","user":{"id":1,"email":"e"},"context":"stores/x"}"#;
        let r: BcTokenResponse = serde_json::from_str(old).unwrap();
        assert!(r.owner.is_none() && r.account_uuid.is_none());
    }

    #[test]
    fn errors_are_classified_by_their_json_fields() {
        let parse = |body: &str| {
            let r: BasicErrorResponse = serde_json::from_str(body).unwrap();
            classify(r.error(), r.error_description().map(String::as_str))
        };
        assert!(matches!(
            parse(r#"{"error":"Invalid client id."}"#),
            ExchangeError::InvalidClient { .. }
        ));
        assert!(matches!(
            parse(r#"{"error":"invalid_client"}"#),
            ExchangeError::InvalidClient { .. }
        ));
        assert!(matches!(
            parse(r#"{"error":"Parameter redirect_uri does not match registered URI"}"#),
            ExchangeError::RedirectMismatch { .. }
        ));
        assert!(matches!(
            parse(r#"{"error":"invalid_grant"}"#),
            ExchangeError::InvalidGrant { .. }
        ));
        // Escape sequences from the endpoint are escaped.
        assert_eq!(
            parse(r#"{"error":"bad\u001b[2Jthing"}"#),
            ExchangeError::Refused {
                said: "bad\\u{1b}[2Jthing".into()
            }
        );
        // Words inside a description do not decide the kind: only the field does.
        let other = parse(
            r#"{"error":"invalid_request","error_description":"bad client id or redirect_uri"}"#,
        );
        assert_eq!(
            other,
            ExchangeError::Refused {
                said: "invalid_request: bad client id or redirect_uri".into()
            }
        );
    }

    #[test]
    fn debug_output_hides_the_token() {
        let r: BcTokenResponse =
            serde_json::from_str(r#"{"access_token":"SUPERSECRETTOKEN","scope":"a"}"#).unwrap();
        assert!(!format!("{r:?}").contains("SUPERSECRETTOKEN"));
    }
}
