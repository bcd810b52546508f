//! What `bcconn api` says about a 403: the connection core's hints
//! (`connect::forbidden`), shared with the other commands that call the
//! store.

pub(super) use crate::connect::forbidden::forbidden;
