//! `bcconn api`'s arguments.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bcconn api v3/catalog/products --jq '.data[].name'\n  \
    bcconn api -c shop '/v2/orders?limit=5'\n  \
    bcconn api v3/catalog/products --paginate -f limit=250 > products.json\n  \
    bcconn api v3/catalog/products -f name=Shirt -f type=physical -F weight=1 -F price=9.5\n  \
    bcconn api v3/catalog/products/42 -X PUT -F is_visible=false\n  \
    bcconn api v3/catalog/products/42 -X DELETE\n  \
    bcconn api v3/catalog/products --input product.json\n  \
    bcconn api 'v3/catalog/products?limit=5' -X GET -f include=variants\n  \
    bcconn -v api v2/orders --paginate          # a line per request on stderr\n  \
    bcconn api graphql -f query='{ site { settings { storeName } } }'\n  \
    bcconn api graphql -F query=@product.graphql -F id=42\n  \
    bcconn api graphql --paginate -F query=@products.graphql\n\n\
    The connection is -c NAME, else BCCONN_CONNECTION, else the nearest .bcconn, else the \
    global default (`bcconn use`). Requests keep to the connection's concurrency pool and \
    the store's rate limit (a 429 is waited out and retried), shared by every machine when \
    BCCONN_POOL_URL names a Redis. Fields (-f, -F) make a JSON body sent with POST, as \
    in gh; with -X GET (or --paginate) they are query parameters instead, and with a query \
    string already in PATH, -X must say which. A 403 names the scope the connection lacks \
    for that path. -v prints a line per request on stderr: method, URL, status, time and \
    rate-limit headers. Exit codes: 0 a 2xx answer; \
    1 any other answer (its body on stdout, its status and title on stderr) or no answer; \
    2 bad input. \
    PATH graphql is the GraphQL Admin API (as gh api graphql): the query field is the \
    document, every other field a variable; a 200 answer with errors exits 1, its first \
    message on stderr. With --paginate the query declares $endCursor and asks for one \
    pageInfo { hasNextPage endCursor }: bcconn sets $endCursor page after page and prints \
    one document, the connection's edges and nodes holding every page's items.")]
pub struct ApiArgs {
    /// A path under the store's API base (v3/catalog/products, /v2/orders?limit=5), or a full URL on the connection's store
    #[arg(value_name = "PATH")]
    pub path: String,

    /// The connection to use
    #[arg(short = 'c', long = "connection", value_name = "NAME")]
    pub connection: Option<String>,

    /// The HTTP method (default: GET, or POST when a body is given)
    #[arg(short = 'X', long = "method", value_name = "METHOD")]
    pub method: Option<String>,

    /// A string field, key=value: a JSON body field, POSTed unless -X GET makes it a query parameter; key[sub]=v and key[]=v nest
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub raw_fields: Vec<String>,

    /// A typed field, key=value: true, false, null and numbers as JSON; @FILE for a file's text (@- stdin)
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,

    /// Send this file as the body, as it is (- for stdin); fields then go to the query
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Add a header, 'Name: value' (X-Auth-Token is bcconn's to send)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Print the status line and the answer's headers before the body
    #[arg(short = 'i', long)]
    pub include: bool,

    /// Fetch every page of a list (v3 in parallel up to the pool's level, v2 until a 204, cursor lists in turn) and print one JSON array; for graphql, follow $endCursor and print one document
    #[arg(long, conflicts_with = "include")]
    pub paginate: bool,

    /// With --paginate: fetch at most N pages (0: no cap); a list longer than that is an error (exit 1), never printed cut short
    #[arg(long, value_name = "N", default_value_t = crate::bigcommerce::client::DEFAULT_MAX_PAGES, requires = "paginate")]
    pub max_pages: u64,

    /// Filter the output with a jq expression (strings print without quotes)
    #[arg(short = 'q', long = "jq", value_name = "EXPR")]
    pub jq: Option<String>,

    /// The longest one wait for the store's rate limit may be (30s, 5m; at most 24h); a store that asks for longer is an error (exit 1)
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = max_wait)]
    pub max_wait: std::time::Duration,
}

/// The longest `--max-wait`: past a day it is not a wait but a hang (and a
/// huge value would overflow the arithmetic on it).
const MAX_WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// `--max-wait`: a humantime duration (`90s`, `5m`), or plain seconds; at
/// most [`MAX_WAIT_LIMIT`].
fn max_wait(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let wait = match text.parse::<u64>() {
        Ok(secs) => std::time::Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(text)
            .map_err(|e| format!("{e}; give a duration such as 30s, 5m or 1h"))?,
    };
    if wait > MAX_WAIT_LIMIT {
        return Err("longer than the limit of 24h; give at most 24h (e.g. 10m)".into());
    }
    Ok(wait)
}
