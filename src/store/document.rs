//! Whole documents in memory: lookups over every record at once, and
//! parsing an interchange document.

use std::path::Path;

use anyhow::Result;

use super::*;

/// In-memory lookups over a whole document (the walk-through and `doctor`
/// work on every record at once).
impl Document {
    pub fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| same_name(&c.name, name))
    }

    pub fn connection_mut(&mut self, name: &str) -> Option<&mut Connection> {
        self.connections
            .iter_mut()
            .find(|c| same_name(&c.name, name))
    }

    pub fn connection_by_id(&self, id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    pub fn iclient(&self, name: &str) -> Option<&IClient> {
        self.iclients.iter().find(|c| same_name(&c.name, name))
    }

    pub fn iclient_by_id(&self, id: &str) -> Option<&IClient> {
        self.iclients.iter().find(|c| c.id == id)
    }

    /// Connections that use the iClient with this id.
    pub fn users_of_iclient(&self, iclient_id: &str) -> Vec<&Connection> {
        self.connections
            .iter()
            .filter(|c| c.iclient_id.as_deref() == Some(iclient_id))
            .collect()
    }

    /// The siblings of a connection: other OAuth connections for the same
    /// store through an app with the same client id. BigCommerce keeps one
    /// token per app and store, so authorizing one ends the others' tokens.
    pub fn siblings_of(&self, c: &Connection) -> Vec<&Connection> {
        let Some(client_id) = self.client_id_of(c) else {
            return Vec::new();
        };
        self.connections
            .iter()
            .filter(|o| {
                o.id != c.id
                    && o.store_hash == c.store_hash
                    && self.client_id_of(o) == Some(client_id)
            })
            .collect()
    }

    /// The client id of an OAuth connection's iClient.
    pub fn client_id_of(&self, c: &Connection) -> Option<&str> {
        if c.auth_type != AuthType::Oauth2 {
            return None;
        }
        c.iclient_id
            .as_deref()
            .and_then(|id| self.iclient_by_id(id))
            .map(|ic| ic.client_id.as_str())
    }

    /// Connections that borrow concurrency from the connection with this id.
    pub fn borrowers_of(&self, id: &str) -> Vec<&Connection> {
        self.connections
            .iter()
            .filter(|c| c.borrow_concurrency_from.as_deref() == Some(id))
            .collect()
    }

    /// The concurrency level a connection really runs with: its own, or, when
    /// it borrows, its lender's (following chains). Cycles cannot be saved,
    /// but a hand-edited file might hold one; the walk stops there.
    pub fn effective_concurrency(&self, conn: &Connection) -> u8 {
        effective_concurrency(
            conn.concurrency,
            conn.borrow_concurrency_from.as_deref(),
            |id| {
                self.connection_by_id(id)
                    .map(|c| (c.concurrency, c.borrow_concurrency_from.as_deref()))
            },
        )
    }
}

/// Parses an interchange document (or an old record file), refusing what
/// this build cannot read. `path` names it in the error.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Document, StoreError> {
    let refuse = |detail: String| StoreError::Import {
        path: path.to_path_buf(),
        detail,
    };
    let full = serde_json::from_slice::<Document>(bytes);
    let version = match &full {
        Ok(file) => Some(u64::from(file.version)),
        Err(_) => {
            #[derive(serde::Deserialize)]
            struct Probe {
                version: Option<serde_json::Value>,
            }
            let probe: Probe = serde_json::from_slice(bytes)
                .map_err(|e| refuse(format!("it is not valid JSON ({e})")))?;
            probe.version.as_ref().and_then(|v| v.as_u64())
        }
    };
    match version {
        Some(v) if v == u64::from(VERSION) => full.map_err(|e| refuse(e.to_string())),
        Some(v) if v >= 1 && v < u64::from(VERSION) => {
            migrate::to_current(bytes, v).map_err(|e| refuse(e.to_string()))
        }
        Some(v) if v > u64::from(VERSION) => Err(refuse(format!(
            "it was written by a newer bcconn (format version {v}; this one reads {VERSION}); upgrade bcconn"
        ))),
        _ => Err(refuse("it has no format version bcconn knows".into())),
    }
}
