//! How a wait for BigCommerce's callback ended, when `connect` did not
//! already say it in its own words.

use super::{Failure, cancelled, failure};
use crate::loopback::wait::WaitError;

pub(super) fn explain(e: &WaitError) -> Failure {
    match e {
        WaitError::Cancelled | WaitError::Interrupted => cancelled(e.to_string()),
        _ => failure(e.to_string()),
    }
}
