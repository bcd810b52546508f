//! Exchanging the callback's code for a token, with the oauth2 crate.
//!
//! BigCommerce's token response has no `token_type` (oauth2's standard
//! response type insists on one) and carries `user`, `owner`, `context` and
//! `account_uuid`, so it gets its own response type.

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret,
    EndpointNotSet, EndpointSet, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardRevocableToken, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Failure, failure};
use crate::oauth::callback::Callback;
use crate::store::BcUser;

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

/// Who is asking, for error messages.
pub struct Credentials<'a> {
    pub iclient_name: &'a str,
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
) -> Result<Exchanged, Failure> {
    let bad_url = |e: url::ParseError| failure(format!("bad URL: {e}"));
    let client: BcClient = Client::new(ClientId::new(creds.client_id.to_string()))
        .set_client_secret(ClientSecret::new(creds.secret.expose_secret().to_string()))
        .set_auth_uri(AuthUrl::new(format!("{login}/oauth2/authorize")).map_err(bad_url)?)
        .set_token_uri(TokenUrl::new(format!("{login}/oauth2/token")).map_err(bad_url)?)
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
        .map_err(|e| describe(e, login, creds))?;
    Ok(Exchanged {
        token: SecretString::from(response.access_token.secret().clone()),
        scopes: response
            .scopes
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.to_string())
            .collect(),
        user: response.user,
        owner: response.owner,
        context: response.context,
        account_uuid: response.account_uuid,
    })
}

/// Turns what the token endpoint said into something a person can act on.
/// Response bodies are never echoed whole: a body could hold a token.
fn describe(
    e: RequestTokenError<oauth2::HttpClientError<reqwest::Error>, BasicErrorResponse>,
    login: &str,
    creds: &Credentials<'_>,
) -> Failure {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            let said = resp.error().to_string();
            let lower = said.to_lowercase();
            if lower.contains("client id") || lower.contains("invalid_client") {
                failure(format!("BigCommerce refused the iClient's credentials ({said})")).hint(format!(
                    "check the client id ({}) and secret of iClient {:?} against the app in the Developer Portal; fix them with `bcconn iclient edit {} --client-id ID --secret`",
                    creds.client_id, creds.iclient_name, crate::ui::shell_word(creds.iclient_name)
                ))
            } else if lower.contains("redirect_uri") {
                failure(format!(
                    "BigCommerce says the redirect_uri does not match the app's registered Auth callback URL ({said}); bcconn sent {}",
                    creds.callback_url
                ))
                .hint(format!(
                    "the app's Auth callback URL (Developer Portal › My Apps › Edit App › Technical) must be exactly {}, or set the iClient to the registered one with `bcconn iclient edit {} --callback-url URL`",
                    creds.callback_url, crate::ui::shell_word(creds.iclient_name)
                ))
            } else if lower.contains("invalid_grant") {
                failure(format!("BigCommerce refused the authorization code ({said}): it expired or was already used"))
                    .hint("run the authorization again")
            } else {
                let detail = resp.error_description().map(|d| format!(": {d}")).unwrap_or_default();
                failure(format!("BigCommerce refused the code exchange ({said}{detail})"))
            }
        }
        RequestTokenError::Request(e) => {
            let detail = match &e {
                oauth2::HttpClientError::Reqwest(r) => crate::bigcommerce::api::describe_reqwest(r),
                other => other.to_string(),
            };
            failure(format!("could not reach {login}/oauth2/token: {detail}"))
                .hint("check your network, or BCCONN_LOGIN_URL if you set it")
        }
        RequestTokenError::Parse(e, _body) => failure(format!(
            "the token endpoint {login}/oauth2/token gave an answer bcconn cannot read ({})",
            e.inner()
        )),
        RequestTokenError::Other(said) => failure(format!(
            "the token endpoint {login}/oauth2/token gave no usable answer ({said}); redirects are not followed"
        ))
        .hint("check BCCONN_LOGIN_URL if you set it"),
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
    fn debug_output_hides_the_token() {
        let r: BcTokenResponse =
            serde_json::from_str(r#"{"access_token":"SUPERSECRETTOKEN","scope":"a"}"#).unwrap();
        assert!(!format!("{r:?}").contains("SUPERSECRETTOKEN"));
    }
}
