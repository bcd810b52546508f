//! Store hashes, and how to dig one out of whatever the user pasted.
//!
//! Every BigCommerce API call and every OAuth exchange is keyed by the store
//! hash, yet BigCommerce never shows it on its own: people meet it inside the
//! API path of a store-level API account, inside the control-panel host name,
//! in CDN asset URLs, or as the OAuth `context` (`stores/<hash>`). Asking users
//! to cut the hash out by hand invites mistakes, so [`StoreHash::parse`] takes
//! any of those forms and extracts the hash itself. When it cannot, the error
//! says why and where a usable form is shown.
//!
//! BigCommerce does not publish a format. Every observed hash is 6–10
//! lowercase ASCII letters and digits; we accept `[a-z0-9]{1,16}` (16 being the
//! widest column seen in an official sample), which is tight enough to
//! reject domains, paths and placeholders like `{STORE_HASH}` while leaving
//! room for longer hashes in future.
//!
//! Case: upper-case letters are folded to lower case rather than refused. The
//! hash is part of the DNS name `store-<hash>.mybigcommerce.com`, and DNS is
//! case-insensitive, so two hashes differing only in case could not name two
//! different stores; an upper-case hash is a pasting artefact, not a different
//! value.
//!
//! The recognised forms are checked in the order the protocol reference
//! suggests, most specific first: a `stores/<hash>` path (API path or OAuth
//! context), a `context=` query parameter (an auth-callback address), the
//! `store-<hash>[-<channel>]` control-panel host, the `s-<hash>` segment of a
//! `cdnN.bigcommerce.com` URL, and finally a bare hash. The `url` crate is not
//! used: the inputs are loose (no scheme, percent-encoded contexts) and only
//! the host and path segments matter.

use std::fmt;
use std::str::FromStr;

/// Where the user can find something we can parse. Every error ends with it so
/// that a failed attempt always points at a way to succeed.
const WHERE_TO_FIND: &str = "Settings › API › Store-level API accounts shows the API path \
     https://api.bigcommerce.com/stores/<hash>/v3/, or the control panel address \
     https://store-<hash>.mybigcommerce.com";

/// Longest hash we accept; see the module docs.
const MAX_LEN: usize = 16;

/// A validated store hash: lowercase [a-z0-9], 1..=16 chars.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct StoreHash(String);

/// Why a string could not be turned into a [`StoreHash`].
///
/// Each message is one line: what was wrong, then where to find the hash.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum StoreHashError {
    /// Nothing but whitespace was given.
    #[error("no store hash given; {WHERE_TO_FIND}")]
    Empty,
    /// A hash candidate contains something other than ASCII letters and digits.
    #[error(
        "{input:?} is not a store hash: it contains {found:?}, but a store hash is only letters and digits; {WHERE_TO_FIND}"
    )]
    InvalidCharacter { input: String, found: char },
    /// A hash candidate is longer than any store hash could plausibly be.
    #[error(
        "{input:?} is not a store hash: it is {len} characters long, a store hash is at most 16; {WHERE_TO_FIND}"
    )]
    TooLong { input: String, len: usize },
    /// A `*.mybigcommerce.com` host without the `store-` prefix.
    #[error(
        "{host} is a vanity/storefront domain, which does not contain the store hash; {WHERE_TO_FIND}"
    )]
    VanityDomain { host: String },
    /// A `login.bigcommerce.com/deep-links/...` address.
    #[error("login.bigcommerce.com deep links do not contain the store hash; {WHERE_TO_FIND}")]
    DeepLink,
    /// A BigCommerce address that carries no hash (e.g. `api.bigcommerce.com/v3`).
    #[error("found no store hash in {input:?}; {WHERE_TO_FIND}")]
    NotInUrl { input: String },
    /// A path with a `.` or `..` segment (`stores/abc123/../zzz999`): which
    /// store it names depends on who resolves it, so it names none.
    #[error(
        "{input:?} has a \".\" or \"..\" path segment, so it is not clear which store it names; {WHERE_TO_FIND}"
    )]
    DotSegment { input: String },
    /// Any other host: a custom storefront domain, localhost, an IP address...
    #[error(
        "{host} is not a BigCommerce address (a custom domain cannot be mapped to a store hash); {WHERE_TO_FIND}"
    )]
    OtherDomain { host: String },
}

impl StoreHash {
    /// Accepts a bare hash or any string that holds one.
    ///
    /// Recognised: `abc123`; `stores/abc123` (also percent-encoded as
    /// `stores%2Fabc123`, or as a `/stores/abc123/` path segment on a
    /// `bigcommerce.com` host such as `https://api.bigcommerce.com/stores/abc123/v3/`);
    /// an auth-callback address carrying `context=stores%2Fabc123`;
    /// `https://store-abc123.mybigcommerce.com/...` and its channel form
    /// `store-abc123-1.mybigcommerce.com`; `https://cdn11.bigcommerce.com/s-abc123/...`.
    /// The scheme is optional; case, ports, user info, query strings and
    /// fragments are tolerated.
    pub fn parse(input: &str) -> Result<StoreHash, StoreHashError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(StoreHashError::Empty);
        }
        // A lone run of letters and digits is a hash candidate, whatever it
        // spells: `localhost` could otherwise read as a host, and every hash
        // this returns must parse back to itself.
        if input.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return validate_token(input);
        }
        if let Some(candidate) = labelled(input) {
            return validate_token(candidate);
        }
        let url = Loose::split(input);
        if url.segments().iter().any(|s| s == "." || s == "..") {
            return Err(StoreHashError::DotSegment {
                input: excerpt(input),
            });
        }
        let Some(host) = url.host.as_deref() else {
            return parse_hostless(input, &url);
        };

        // Checked before the path rule: the reference lists deep links as a
        // form the hash cannot be taken from, whatever their path contains.
        if host == "login.bigcommerce.com"
            && url
                .segments()
                .first()
                .is_some_and(|s| s.eq_ignore_ascii_case("deep-links"))
        {
            return Err(StoreHashError::DeepLink);
        }
        // Only on BigCommerce's own hosts: on a custom domain `/stores/x` is
        // just a storefront page, and `x` would be a wrong guess.
        if is_bigcommerce_host(host)
            && let Some(candidate) = after_stores(&url.segments())
        {
            return validate_token(&candidate);
        }
        // The auth callback may live on any host (often localhost), and its
        // `context` parameter is BigCommerce's own `stores/<hash>`.
        if let Some(candidate) = url.context_param() {
            return validate_token(&candidate);
        }
        if let Some(sub) = host.strip_suffix(".mybigcommerce.com") {
            return match control_panel_hash(sub) {
                Some(candidate) => validate_token(candidate),
                None => Err(StoreHashError::VanityDomain {
                    host: shown_host(host),
                }),
            };
        }
        if is_cdn_host(host) {
            // The hash is the first path segment on the CDN; later segments
            // are theme and image paths that may start with `s-` by accident.
            return match url
                .segments()
                .first()
                .and_then(|s| strip_prefix_ci(s, "s-"))
            {
                Some(candidate) => validate_token(candidate),
                None => Err(StoreHashError::NotInUrl {
                    input: excerpt(input),
                }),
            };
        }
        if is_bigcommerce_host(host) || host == "mybigcommerce.com" {
            return Err(StoreHashError::NotInUrl {
                input: excerpt(input),
            });
        }
        Err(StoreHashError::OtherDomain {
            host: shown_host(host),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "stores/<hash>", the OAuth `context`.
    pub fn context(&self) -> String {
        format!("stores/{}", self.0)
    }
}

/// Input without a recognisable host: a bare hash, an OAuth context
/// (`stores/abc`, `stores%2Fabc`), or a path copied without its host.
fn parse_hostless(input: &str, url: &Loose) -> Result<StoreHash, StoreHashError> {
    let segments = url.segments();
    if let Some(candidate) = after_stores(&segments) {
        return validate_token(&candidate);
    }
    if let Some(candidate) = url.context_param() {
        return validate_token(&candidate);
    }
    match segments.as_slice() {
        // A lone token; validate the trimmed input itself, so that characters
        // that `Loose` treats as separators (`?`, `#`, `/`) are reported too.
        [_] | [] if !input.contains('/') => validate_token(input),
        _ => Err(StoreHashError::NotInUrl {
            input: excerpt(input),
        }),
    }
}

/// The segment following a `stores` segment, if any.
fn after_stores(segments: &[String]) -> Option<String> {
    let pos = segments
        .iter()
        .position(|s| s.eq_ignore_ascii_case("stores"))?;
    segments.get(pos + 1).cloned()
}

/// `store-<hash>` or `store-<hash>-<channel id>`, the left-most label of a
/// `mybigcommerce.com` host. Anything else there is a vanity name.
fn control_panel_hash(sub: &str) -> Option<&str> {
    let rest = sub.strip_prefix("store-")?;
    if rest.contains('.') {
        return None;
    }
    match rest.split_once('-') {
        None => Some(rest),
        Some((hash, channel))
            if !channel.is_empty() && channel.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(hash)
        }
        Some(_) => None,
    }
}

/// `store-abc123` (the control-panel host's label, `store-abc123-1` with a
/// channel) or `s-abc123` (the CDN path's segment) on their own: copied
/// from a longer address without the rest. Only these two prefixes, and
/// only in front of letters and digits, so that any other dash still
/// refuses.
fn labelled(input: &str) -> Option<&str> {
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if let Some(rest) = strip_prefix_ci(input, "store-") {
        let hash = match rest.split_once('-') {
            Some((hash, channel))
                if !channel.is_empty() && channel.bytes().all(|b| b.is_ascii_digit()) =>
            {
                hash
            }
            Some(_) => return None,
            None => rest,
        };
        return alnum(hash).then_some(hash);
    }
    strip_prefix_ci(input, "s-").filter(|rest| alnum(rest))
}

/// `cdn.bigcommerce.com`, `cdn8.bigcommerce.com`, `cdn11.bigcommerce.com`, ...
fn is_cdn_host(host: &str) -> bool {
    host.strip_suffix(".bigcommerce.com")
        .and_then(|label| label.strip_prefix("cdn"))
        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// `bigcommerce.com` or a subdomain. Compared on a label boundary so that
/// `mybigcommerce.com` and `evilbigcommerce.com` do not count.
fn is_bigcommerce_host(host: &str) -> bool {
    host == "bigcommerce.com" || host.ends_with(".bigcommerce.com")
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Checks a hash candidate and folds it to lower case (see the module docs).
fn validate_token(candidate: &str) -> Result<StoreHash, StoreHashError> {
    if candidate.is_empty() {
        return Err(StoreHashError::Empty);
    }
    if let Some(found) = candidate.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(StoreHashError::InvalidCharacter {
            input: excerpt(candidate),
            found,
        });
    }
    if candidate.len() > MAX_LEN {
        return Err(StoreHashError::TooLong {
            input: excerpt(candidate),
            len: candidate.len(),
        });
    }
    Ok(StoreHash(candidate.to_ascii_lowercase()))
}

/// Echoing a pasted megabyte back would break the one-line promise.
fn excerpt(s: &str) -> String {
    const LIMIT: usize = 60;
    match s.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// A host for a message shown as it is (`{host}`, not `{host:?}`): escaped
/// as well as cut, since it came from outside (found by fuzzing: a zero-width
/// space or an ESC in a pasted host reached the terminal).
fn shown_host(host: &str) -> String {
    crate::text::outside(host, 60)
}

/// Just enough URL splitting for our purpose: a lowercased host (if there
/// appears to be one), the raw path and the raw query.
struct Loose<'a> {
    host: Option<String>,
    path: &'a str,
    query: &'a str,
}

impl<'a> Loose<'a> {
    fn split(input: &'a str) -> Loose<'a> {
        let (has_scheme, rest) = match input.split_once("://") {
            Some((scheme, rest))
                if !scheme.is_empty()
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
            {
                (true, rest)
            }
            // Protocol-relative `//host/path`.
            _ => match input.strip_prefix("//") {
                Some(rest) => (true, rest),
                None => (false, input),
            },
        };
        let (rest, _fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let host = host_of(authority);
        if has_scheme || host.as_deref().is_some_and(looks_like_host) {
            Loose { host, path, query }
        } else {
            // No scheme and no plausible host name: the whole thing is a path
            // (`stores/abc`, `abc123`, `stores%2Fabc`).
            Loose {
                host: None,
                path: rest,
                query,
            }
        }
    }

    /// Non-empty, percent-decoded path segments. Decoding happens after
    /// splitting off the query, so an encoded `?` cannot cut the path short,
    /// and before splitting on `/`, so `stores%2Fabc` yields two segments.
    fn segments(&self) -> Vec<String> {
        percent_decode(self.path)
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The hash candidate in a `context=stores%2F<hash>` query parameter.
    fn context_param(&self) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            if key != "context" {
                return None;
            }
            let value = percent_decode(&value.replace('+', " "));
            let mut parts = value.splitn(2, '/');
            let head = parts.next()?;
            let hash = parts.next().filter(|h| !h.is_empty())?;
            head.eq_ignore_ascii_case("stores").then(|| hash.to_owned())
        })
    }
}

/// The host part of an authority: without user info, port or a trailing dot,
/// lowercased because host names are case-insensitive.
fn host_of(authority: &str) -> Option<String> {
    let after_userinfo = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // An IPv6 literal is never a BigCommerce host; keep it whole so the
    // error shows it rather than a fragment cut at its first colon.
    let host = if after_userinfo.starts_with('[') {
        after_userinfo
    } else {
        after_userinfo
            .split_once(':')
            .map_or(after_userinfo, |(h, _)| h)
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Without a scheme, `abc.123` is a mistyped hash but `shop.example.com` is a
/// host: require a dotted name ending in an alphabetic label (a TLD), or
/// `localhost`.
fn looks_like_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    match host.rsplit_once('.') {
        Some((name, tld)) => {
            !name.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
        }
        None => false,
    }
}

/// Decodes `%XX` escapes; malformed escapes are kept verbatim.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for StoreHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for StoreHash {
    type Err = StoreHashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StoreHash::parse(s)
    }
}

/// Lenient like [`StoreHash::parse`], so a stored value written by hand as a
/// URL still loads; it is normalised to the bare hash on the next save.
impl TryFrom<String> for StoreHash {
    type Error = StoreHashError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        StoreHash::parse(&value)
    }
}

impl From<StoreHash> for String {
    fn from(hash: StoreHash) -> String {
        hash.0
    }
}

#[cfg(test)]
mod tests {
    /// Fuzzing found hosts whose messages reached the terminal raw.
    #[test]
    fn messages_escape_what_came_in() {
        for input in [
            "api.bigcommerce.costo;es%2fabc\u{200b}246",
            "https://evil\u{1b}[31m.example.com/x",
            "https://shop\u{202e}moc.mybigcommerce.com/",
        ] {
            let msg = StoreHash::parse(input).unwrap_err().to_string();
            assert!(!msg.chars().any(crate::text::is_unsafe), "{msg:?}");
        }
    }

    use super::*;

    fn ok(input: &str) -> String {
        match StoreHash::parse(input) {
            Ok(hash) => hash.as_str().to_owned(),
            Err(e) => panic!("{input:?} should parse, got: {e}"),
        }
    }

    fn err(input: &str) -> StoreHashError {
        let e = StoreHash::parse(input).expect_err(input);
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "message must be one line: {msg}");
        assert!(
            msg.contains("Settings › API › Store-level API accounts")
                && msg.contains("https://api.bigcommerce.com/stores/<hash>/v3/")
                && msg.contains("https://store-<hash>.mybigcommerce.com"),
            "message must say where to find the hash: {msg}"
        );
        e
    }

    #[test]
    fn bare_hash() {
        assert_eq!(ok("abc123"), "abc123");
        assert_eq!(ok("  g5cd38\n"), "g5cd38");
        assert_eq!(ok("u8stgwcn9s"), "u8stgwcn9s");
        assert_eq!(ok("a"), "a");
        assert_eq!(ok("abcdefghij123456"), "abcdefghij123456");
    }

    #[test]
    fn uppercase_is_folded() {
        assert_eq!(ok("ABC123"), "abc123");
        assert_eq!(
            ok("HTTPS://API.BIGCOMMERCE.COM/STORES/ABC123/V3/"),
            "abc123"
        );
        assert_eq!(ok("https://Store-ABC123.MyBigCommerce.com"), "abc123");
    }

    #[test]
    fn context_forms() {
        assert_eq!(ok("stores/abc123"), "abc123");
        assert_eq!(ok("/stores/abc123/"), "abc123");
        assert_eq!(ok("stores%2Fabc123"), "abc123");
        assert_eq!(ok("stores%2fabc123"), "abc123");
        assert_eq!(ok("/stores/abc123/v3/catalog/products"), "abc123");
    }

    #[test]
    fn api_paths() {
        assert_eq!(
            ok("https://api.bigcommerce.com/stores/abc123/v3/"),
            "abc123"
        );
        assert_eq!(
            ok("https://api.bigcommerce.com/stores/abc123/v2/"),
            "abc123"
        );
        assert_eq!(ok("https://api.bigcommerce.com/stores/abc123"), "abc123");
        assert_eq!(ok("api.bigcommerce.com/stores/abc123"), "abc123");
        assert_eq!(ok("api.bigcommerce.com/stores/abc123/v3/"), "abc123");
        assert_eq!(
            ok("https://api.bigcommerce.com/stores/abc123/graphql"),
            "abc123"
        );
        assert_eq!(
            ok("https://api.bigcommerce.com/stores/abc123/v3/catalog/products?limit=5#top"),
            "abc123"
        );
        assert_eq!(
            ok("https://api.bigcommerce.com:443/stores/abc123/v3"),
            "abc123"
        );
        assert_eq!(
            ok("https://user:pw@api.bigcommerce.com/stores/abc123/"),
            "abc123"
        );
        assert_eq!(
            ok("https://api.bigcommerce.com./stores/abc123/v3/"),
            "abc123"
        );
    }

    #[test]
    fn api_path_with_bad_hash_reports_it() {
        assert!(matches!(
            err("https://api.bigcommerce.com/stores/{STORE_HASH}/v3/"),
            StoreHashError::InvalidCharacter { found: '{', .. }
        ));
        assert!(matches!(
            err("https://api.bigcommerce.com/stores/"),
            StoreHashError::NotInUrl { .. }
        ));
        assert!(matches!(err("stores/"), StoreHashError::NotInUrl { .. }));
    }

    #[test]
    fn control_panel_hosts() {
        assert_eq!(ok("https://store-abc123.mybigcommerce.com"), "abc123");
        assert_eq!(
            ok("https://store-abc123.mybigcommerce.com/manage/app/1234/upgrade_success"),
            "abc123"
        );
        assert_eq!(ok("store-abc123.mybigcommerce.com/manage/"), "abc123");
        assert_eq!(ok("store-abc123.mybigcommerce.com"), "abc123");
        assert_eq!(ok("https://store-abc123-1.mybigcommerce.com"), "abc123");
        assert_eq!(
            ok("https://store-abc123-456.mybigcommerce.com/graphql"),
            "abc123"
        );
        assert_eq!(
            ok("https://store-abc123.mybigcommerce.com:8443/manage?x=stores/zzz#frag"),
            "abc123"
        );
    }

    #[test]
    fn cdn_urls() {
        assert_eq!(
            ok("https://cdn11.bigcommerce.com/s-abc123/images/stencil/original/x.jpg"),
            "abc123"
        );
        assert_eq!(ok("https://cdn8.bigcommerce.com/s-abc123/"), "abc123");
        assert_eq!(ok("cdn11.bigcommerce.com/s-abc123"), "abc123");
        assert_eq!(
            ok("//cdn2.bigcommerce.com/s-abc123/product_images/a.png"),
            "abc123"
        );
        assert!(matches!(
            err("https://cdn11.bigcommerce.com/r-0123abcd/img.png"),
            StoreHashError::NotInUrl { .. }
        ));
    }

    #[test]
    fn auth_callback_context_param() {
        assert_eq!(
            ok(
                "http://localhost:8080/auth?code=qr6h&context=stores%2Fg5cd38&scope=store_v2_orders"
            ),
            "g5cd38"
        );
        assert_eq!(
            ok(
                "https://your_app.example.com/auth?account_uuid=1&code=q&context=stores%2Fg5cd38&scope=a+b"
            ),
            "g5cd38"
        );
    }

    #[test]
    fn refuses_empty() {
        assert_eq!(err(""), StoreHashError::Empty);
        assert_eq!(err("   \t\n"), StoreHashError::Empty);
    }

    #[test]
    fn refuses_vanity_domains() {
        for input in [
            "https://kittens.mybigcommerce.com",
            "cornerstone-light-demo.mybigcommerce.com",
            "https://www.store-abc123.mybigcommerce.com",
            "https://store-abc-def.mybigcommerce.com/",
        ] {
            let e = err(input);
            assert!(
                matches!(e, StoreHashError::VanityDomain { .. }),
                "{input}: {e:?}"
            );
            assert!(e.to_string().contains("vanity/storefront domain"));
        }
    }

    #[test]
    fn refuses_custom_domains_and_other_urls() {
        for input in [
            "https://shop.example.com",
            "https://shop.example.com/stores/downtown",
            "shop.example.com",
            "https://mybigcommerce.com.evil.example/stores/abc123",
            "http://localhost:3000/auth",
            "https://[::1]:8080/",
        ] {
            let e = err(input);
            assert!(
                matches!(e, StoreHashError::OtherDomain { .. }),
                "{input}: {e:?}"
            );
            assert!(e.to_string().contains("custom domain"));
        }
        assert!(matches!(
            err("https://api.bigcommerce.com/v3/catalog"),
            StoreHashError::NotInUrl { .. }
        ));
        assert!(matches!(
            err("https://www.bigcommerce.com/"),
            StoreHashError::NotInUrl { .. }
        ));
        assert!(matches!(
            err("s-abc123/images/a.png"),
            StoreHashError::NotInUrl { .. }
        ));
    }

    #[test]
    fn refuses_dot_segments() {
        for input in [
            "stores/abc123/../zzz999",
            "/stores/abc123/./v3",
            "https://api.bigcommerce.com/stores/abc123/../zzz999/v3/",
            "stores%2Fabc123%2F..%2Fzzz999",
            "https://cdn11.bigcommerce.com/s-abc123/../s-zzz999/a.png",
        ] {
            assert!(
                matches!(err(input), StoreHashError::DotSegment { .. }),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_deep_links() {
        assert_eq!(
            err("https://login.bigcommerce.com/deep-links/manage/products"),
            StoreHashError::DeepLink
        );
        assert_eq!(
            err("login.bigcommerce.com/deep-links/settings/api-accounts"),
            StoreHashError::DeepLink
        );
    }

    #[test]
    fn the_control_panel_label_and_the_cdn_segment_alone() {
        assert_eq!(ok("store-abc123"), "abc123");
        assert_eq!(ok("Store-ABC123"), "abc123");
        assert_eq!(ok("store-abc123-1"), "abc123");
        assert_eq!(ok("s-abc123"), "abc123");
        assert_eq!(ok(" S-abc123 "), "abc123");
        for bad in [
            "store-",
            "s-",
            "store-abc123-x",
            "store-abc123-",
            "s-abc_123",
        ] {
            assert!(StoreHash::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            StoreHash::parse("store-abcdefghijklmnopq"),
            Err(StoreHashError::TooLong { .. })
        ));
    }

    #[test]
    fn refuses_bad_characters() {
        for (input, bad) in [
            ("abc.123", '.'),
            ("abc-123", '-'),
            ("store-abc-def", '-'),
            ("s-abc-1", '-'),
            ("stores-abc123", '-'),
            ("abc_123", '_'),
            ("abc 123", ' '),
            ("abc?123", '?'),
            ("abc#1", '#'),
            ("abcé12", 'é'),
        ] {
            assert_eq!(
                err(input),
                StoreHashError::InvalidCharacter {
                    input: input.to_owned(),
                    found: bad
                }
            );
        }
    }

    #[test]
    fn refuses_too_long() {
        let e = err("abcdefghij1234567");
        assert_eq!(
            e,
            StoreHashError::TooLong {
                input: "abcdefghij1234567".to_owned(),
                len: 17
            }
        );
        assert!(e.to_string().contains("at most 16"));
    }

    #[test]
    fn messages_stay_short_for_huge_input() {
        let long = "x".repeat(10_000);
        let msg = err(&long).to_string();
        assert!(msg.len() < 400, "{}", msg.len());
    }

    #[test]
    fn context_display_and_conversions() {
        let hash: StoreHash = "stores/abc123".parse().unwrap();
        assert_eq!(hash.context(), "stores/abc123");
        assert_eq!(hash.to_string(), "abc123");
        assert_eq!(String::from(hash.clone()), "abc123");
        assert_eq!(StoreHash::try_from("ABC123".to_owned()).unwrap(), hash);
    }

    #[test]
    fn serde_round_trip_validates() {
        let hash = StoreHash::parse("abc123").unwrap();
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(json, "\"abc123\"");
        assert_eq!(serde_json::from_str::<StoreHash>(&json).unwrap(), hash);
        assert!(serde_json::from_str::<StoreHash>("\"a.b\"").is_err());
        assert!(serde_json::from_str::<StoreHash>("\"\"").is_err());
    }
    /// Found by fuzzing: `stores/localhost` gave the hash `localhost`, which
    /// then read back as a host. Every hash parses back to itself.
    #[test]
    fn a_hash_that_spells_a_host_name_parses_back_to_itself() {
        for input in ["stores/localhost", "stores%2FLOCALHOST", "localhost"] {
            let hash = StoreHash::parse(input).unwrap();
            assert_eq!(hash.as_str(), "localhost");
            assert_eq!(StoreHash::parse(hash.as_str()).unwrap(), hash);
        }
        assert!(matches!(
            err("http://localhost:8080/"),
            StoreHashError::OtherDomain { .. }
        ));
    }
}
