//! Pool and rate-book errors in a person's words.

use super::{Failure, failure, usage};
use crate::pool::{PoolError, Refused};

/// Every way a shared pool fails ends in this: there is no quiet fallback.
const NO_FALLBACK: &str = "bcconn does not fall back to this machine's pools";

pub(super) fn explain(e: &PoolError) -> Failure {
    let msg = e.to_string();
    let shown = |path: &std::path::Path| crate::text::shell_word(&path.display().to_string());
    match e {
        PoolError::NotRegular { path, .. } => failure(msg).hint(format!(
            "delete it (`rm {}`): bcconn makes a new one",
            shown(path)
        )),
        PoolError::BookLocked { path, .. } => failure(msg).hint(format!(
            "try again once it has finished; if no bcconn is running, see what holds the lock with `fuser -v {}`, or delete the file (bcconn starts a new one)",
            shown(path)
        )),
        PoolError::BadUrl { .. } => usage(msg).hint(
            "set it to redis://[:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS), or unset it for this machine's pools",
        ),
        PoolError::Unreachable { refused, .. } => failure(msg).hint(match refused {
            Refused::Credentials => {
                "check the user and password in BCCONN_POOL_URL (redis://USER:PASSWORD@HOST:PORT/DB)"
                    .to_string()
            }
            Refused::Database => {
                "check the database number at the end of BCCONN_POOL_URL (a server has /0 to /15 unless configured otherwise)"
                    .to_string()
            }
            Refused::Other => format!(
                "check BCCONN_POOL_URL and that Redis runs there (redis-cli -u URL ping); {NO_FALLBACK}"
            ),
        }),
        PoolError::Broken { .. } => {
            failure(msg).hint(format!("check that Redis still runs there; {NO_FALLBACK}"))
        }
        PoolError::StoppedAnswering { .. } | PoolError::NotFreed { .. } => failure(msg),
    }
}
