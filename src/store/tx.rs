//! [`Tx`]: a lazy view of the records inside one transaction, reading the
//! rows a command asks for, keeping them, and writing what changed.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use anyhow::Result;
use elsa::FrozenMap;
use serde_json::{Map, Value};

use super::*;

/// A view of the records inside one transaction. Lookups read the rows
/// they need and keep them; changes are kept until the commit.
pub struct Tx {
    backend: Option<Box<dyn BackendTx>>,
    write: bool,
    /// Connections read or changed, by id.
    conns: FrozenMap<String, Box<Connection>>,
    /// Name keys looked up: the id found, or `None` (no such name).
    by_name: RefCell<HashMap<String, Option<String>>>,
    /// Every connection in order, once [`Tx::connections`] ran.
    order: RefCell<Option<Vec<String>>>,
    /// Changed or added in this transaction; removed in it.
    touched: Vec<String>,
    removed: HashSet<String>,
    /// All iClients (few), and the JSON each had when read.
    iclients: std::cell::OnceCell<Vec<IClient>>,
    iclients_before: RefCell<HashMap<String, String>>,
    iclients_changed: bool,
    default: RefCell<Option<Option<String>>>,
    default_changed: bool,
    /// The command making the changes, for the audit trail.
    verb: String,
    /// Each changed connection as it was when this transaction first
    /// handed it out to change (`None`: it is new), for the audit trail's
    /// list of changed fields. Only rows being changed are imaged.
    conns_before: HashMap<String, Option<Value>>,
    /// Changes the records' fields do not show (a client secret replaced
    /// in place), by record id: field names for the audit trail.
    noted: HashMap<String, Vec<String>>,
}

impl Tx {
    pub(super) fn new(backend: Option<Box<dyn BackendTx>>, write: bool) -> Tx {
        Tx {
            backend,
            write,
            conns: FrozenMap::new(),
            by_name: RefCell::new(HashMap::new()),
            order: RefCell::new(None),
            touched: Vec::new(),
            removed: HashSet::new(),
            iclients: std::cell::OnceCell::new(),
            iclients_before: RefCell::new(HashMap::new()),
            iclients_changed: false,
            default: RefCell::new(None),
            default_changed: false,
            verb: audit::NO_VERB.to_string(),
            conns_before: HashMap::new(),
            noted: HashMap::new(),
        }
    }

    /// Says that record `id` changed in a way its fields do not show (its
    /// client secret was replaced under the same account): the audit trail
    /// names `field`, never a value.
    pub fn note_changed(&mut self, id: &str, field: &str) {
        let fields = self.noted.entry(id.to_string()).or_default();
        if !fields.iter().any(|f| f == field) {
            fields.push(field.to_string());
        }
    }

    /// The command whose changes this transaction writes.
    pub(super) fn with_verb(mut self, verb: &str) -> Tx {
        self.verb = verb.to_string();
        self
    }

    /// Keeps connection `id`'s image before its first change here (the row
    /// as read, or `None` when there is none yet).
    fn image_before(&mut self, id: &str) -> Result<()> {
        if !self.conns_before.contains_key(id) {
            let before = self.conns.get(id).map(serde_json::to_value).transpose()?;
            self.conns_before.insert(id.to_string(), before);
        }
        Ok(())
    }

    /// An empty view, for tests and for code given records in memory.
    pub fn empty() -> Tx {
        Tx::new(None, true)
    }

    /// A writable view holding `doc`'s records, not backed by a database
    /// (tests; checking a document before import).
    pub fn from_document(doc: Document) -> Tx {
        let mut tx = Tx::empty();
        for c in doc.connections {
            let id = c.id.clone();
            tx.conns.insert(id.clone(), Box::new(c));
            tx.touched.push(id);
        }
        let _ = tx.iclients.set(doc.iclients);
        *tx.default.borrow_mut() = Some(doc.default_connection);
        tx.order = RefCell::new(Some(tx.touched.clone()));
        tx
    }

    fn keep(&self, c: Connection) -> &Connection {
        let id = c.id.clone();
        self.by_name
            .borrow_mut()
            .insert(name_key(&c.name), Some(id.clone()));
        self.conns.insert(id, Box::new(c))
    }

    fn gone(&self, id: &str) -> bool {
        self.removed.contains(id)
    }

    fn query(&self, filter: Filter<'_>) -> Result<Vec<&Connection>> {
        let Some(b) = &self.backend else {
            return Ok(Vec::new());
        };
        let rows = b.connections(filter)?;
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            // A row changed in this transaction is seen as changed.
            let kept = match self.conns.get(&c.id) {
                Some(k) => k,
                None => self.keep(c),
            };
            if !self.gone(&kept.id) {
                out.push(kept);
            }
        }
        Ok(out)
    }

    /// The connection called `name` (ignoring case).
    pub fn connection(&self, name: &str) -> Result<Option<&Connection>> {
        let key = name_key(name);
        // Changed in this transaction: its name may differ from the row's.
        for id in &self.touched {
            if let Some(c) = self.conns.get(id)
                && !self.gone(id)
                && name_key(&c.name) == key
            {
                return Ok(Some(c));
            }
        }
        let known = self.by_name.borrow().get(&key).cloned();
        let id = match known {
            Some(id) => id,
            None => {
                let found = self
                    .query(Filter::NameKey(&key))?
                    .first()
                    .map(|c| c.id.clone());
                self.by_name.borrow_mut().insert(key.clone(), found.clone());
                found
            }
        };
        Ok(id
            .filter(|id| !self.gone(id) && !self.touched.contains(id))
            .and_then(|id| self.conns.get(&id))
            .filter(|c| name_key(&c.name) == key))
    }

    pub fn connection_by_id(&self, id: &str) -> Result<Option<&Connection>> {
        if self.gone(id) {
            return Ok(None);
        }
        if let Some(c) = self.conns.get(id) {
            return Ok(Some(c));
        }
        if self.order.borrow().is_some() {
            return Ok(None);
        }
        Ok(self.query(Filter::Id(id))?.into_iter().next())
    }

    /// The connection called `name`, to change in this transaction.
    pub fn connection_mut(&mut self, name: &str) -> Result<Option<&mut Connection>> {
        let Some(id) = self.connection(name)?.map(|c| c.id.clone()) else {
            return Ok(None);
        };
        self.connection_by_id_mut(&id)
    }

    pub fn connection_by_id_mut(&mut self, id: &str) -> Result<Option<&mut Connection>> {
        self.writable()?;
        if self.connection_by_id(id)?.is_none() {
            return Ok(None);
        }
        self.image_before(id)?;
        if !self.touched.iter().any(|t| t == id) {
            self.touched.push(id.to_string());
        }
        Ok(self.conns.as_mut().get_mut(id).map(|b| &mut **b))
    }

    /// Every connection, in the order they were added.
    pub fn connections(&self) -> Result<Vec<&Connection>> {
        if self.order.borrow().is_none() {
            let all: Vec<String> = self
                .query(Filter::All)?
                .iter()
                .map(|c| c.id.clone())
                .collect();
            let mut order = all;
            for id in &self.touched {
                if !order.contains(id) {
                    order.push(id.clone());
                }
            }
            *self.order.borrow_mut() = Some(order);
        }
        let order = self.order.borrow();
        Ok(order
            .as_ref()
            .into_iter()
            .flatten()
            .filter(|id| !self.gone(id))
            .filter_map(|id| self.conns.get(id))
            .collect())
    }

    /// Every connection's name, in order (for "did you mean").
    pub fn connection_names(&self) -> Result<Vec<String>> {
        if self.order.borrow().is_some() || self.backend.is_none() {
            return Ok(self.connections()?.iter().map(|c| c.name.clone()).collect());
        }
        let rows = self
            .backend
            .as_ref()
            .map(|b| b.connection_names())
            .transpose()?
            .unwrap_or_default();
        // What this transaction changed or removed is as it is now.
        let mut names: Vec<String> = rows
            .into_iter()
            .filter(|(id, _)| !self.removed.contains(id) && !self.touched.contains(id))
            .map(|(_, name)| name)
            .collect();
        for id in &self.touched {
            if let Some(c) = self.conns.get(id)
                && !self.gone(id)
            {
                names.push(c.name.clone());
            }
        }
        Ok(names)
    }

    /// The transaction's queries (`None`: a view with no database).
    pub(super) fn backend(&self) -> Option<&dyn BackendTx> {
        self.backend.as_deref()
    }

    pub(super) fn writable(&self) -> Result<(), StoreError> {
        if self.write {
            Ok(())
        } else {
            Err(StoreError::ReadOnly)
        }
    }

    /// Adds a connection (its name and id must be free: checked by the
    /// caller, and by the store at commit).
    pub fn push_connection(&mut self, c: Connection) -> Result<&mut Connection> {
        self.writable()?;
        let id = c.id.clone();
        self.image_before(&id)?;
        self.removed.remove(&id);
        self.conns.as_mut().insert(id.clone(), Box::new(c));
        if !self.touched.contains(&id) {
            self.touched.push(id.clone());
        }
        if let Some(order) = self.order.borrow_mut().as_mut()
            && !order.contains(&id)
        {
            order.push(id.clone());
        }
        Ok(self
            .conns
            .as_mut()
            .get_mut(&id)
            .map(|b| &mut **b)
            .expect("just added"))
    }

    /// Removes the connection with this id.
    pub fn remove_connection(&mut self, id: &str) -> Result<()> {
        self.writable()?;
        // Read first (when it was not), so the trail can name it.
        self.connection_by_id(id)?;
        self.image_before(id)?;
        self.removed.insert(id.to_string());
        Ok(())
    }

    /// All iClients (there are few), in the order they were added.
    pub fn iclients(&self) -> Result<&[IClient]> {
        if let Some(v) = self.iclients.get() {
            return Ok(v);
        }
        let list = match &self.backend {
            Some(b) => b.iclients(Filter::All)?,
            None => Vec::new(),
        };
        let mut before = self.iclients_before.borrow_mut();
        for i in &list {
            before.insert(i.id.clone(), serde_json::to_string(i)?);
        }
        Ok(self.iclients.get_or_init(|| list))
    }

    /// The iClients, to change in this transaction.
    pub fn iclients_mut(&mut self) -> Result<&mut Vec<IClient>> {
        self.writable()?;
        self.iclients()?;
        self.iclients_changed = true;
        Ok(self.iclients.get_mut().expect("loaded above"))
    }

    pub fn iclient(&self, name: &str) -> Result<Option<&IClient>> {
        Ok(self.iclients()?.iter().find(|i| same_name(&i.name, name)))
    }

    pub fn iclient_mut(&mut self, name: &str) -> Result<Option<&mut IClient>> {
        Ok(self
            .iclients_mut()?
            .iter_mut()
            .find(|i| same_name(&i.name, name)))
    }

    pub fn iclient_by_id(&self, id: &str) -> Result<Option<&IClient>> {
        Ok(self.iclients()?.iter().find(|i| i.id == id))
    }

    /// Connections that use the iClient with this id.
    pub fn users_of_iclient(&self, iclient_id: &str) -> Result<Vec<&Connection>> {
        let mut out = self.query(Filter::IClient(iclient_id))?;
        self.with_touched(&mut out, |c| c.iclient_id.as_deref() == Some(iclient_id));
        Ok(out)
    }

    /// Rows this transaction changed or added replace what the query saw.
    fn with_touched<'a>(
        &'a self,
        out: &mut Vec<&'a Connection>,
        keep: impl Fn(&Connection) -> bool,
    ) {
        out.retain(|c| keep(c));
        for id in &self.touched {
            if let Some(c) = self.conns.get(id)
                && !self.gone(id)
                && keep(c)
                && !out.iter().any(|o| o.id == c.id)
            {
                out.push(c);
            }
        }
    }

    /// Connections for one store.
    pub fn connections_for_store(
        &self,
        hash: &crate::bigcommerce::store_hash::StoreHash,
    ) -> Result<Vec<&Connection>> {
        let mut out = self.query(Filter::Store(hash.as_str()))?;
        self.with_touched(&mut out, |c| &c.store_hash == hash);
        Ok(out)
    }

    /// The siblings of a connection: other OAuth connections for the same
    /// store through an app with the same client id. BigCommerce keeps one
    /// token per app and store, so authorizing one ends the others' tokens.
    pub fn siblings_of(&self, c: &Connection) -> Result<Vec<&Connection>> {
        let Some(client_id) = self.client_id_of(c)? else {
            return Ok(Vec::new());
        };
        let apps: HashSet<&str> = self
            .iclients()?
            .iter()
            .filter(|i| i.client_id == client_id)
            .map(|i| i.id.as_str())
            .collect();
        let mut out = self.query(Filter::Store(c.store_hash.as_str()))?;
        let same = |o: &Connection| {
            o.id != c.id
                && o.store_hash == c.store_hash
                && o.auth_type == AuthType::Oauth2
                && o.iclient_id.as_deref().is_some_and(|i| apps.contains(i))
        };
        self.with_touched(&mut out, same);
        Ok(out)
    }

    /// The client id of an OAuth connection's iClient.
    pub fn client_id_of(&self, c: &Connection) -> Result<Option<&str>> {
        if c.auth_type != AuthType::Oauth2 {
            return Ok(None);
        }
        Ok(match c.iclient_id.as_deref() {
            Some(id) => self.iclient_by_id(id)?.map(|ic| ic.client_id.as_str()),
            None => None,
        })
    }

    /// Connections that borrow concurrency from the connection with this id.
    pub fn borrowers_of(&self, id: &str) -> Result<Vec<&Connection>> {
        let mut out = self.query(Filter::BorrowingFrom(id))?;
        self.with_touched(&mut out, |c| {
            c.borrow_concurrency_from.as_deref() == Some(id)
        });
        Ok(out)
    }

    /// The concurrency level a connection really runs with: its own, or,
    /// when it borrows, its lender's (following chains; a hand-made cycle
    /// stops the walk).
    pub fn effective_concurrency(&self, conn: &Connection) -> Result<u8> {
        let (mut level, mut next) = (conn.concurrency, conn.borrow_concurrency_from.clone());
        let mut seen = HashSet::new();
        while let Some(id) = next {
            if !seen.insert(id.clone()) || seen.len() > 10_000 {
                break;
            }
            match self.connection_by_id(&id)? {
                Some(l) => {
                    level = l.concurrency;
                    next = l.borrow_concurrency_from.clone();
                }
                None => break,
            }
        }
        Ok(level)
    }

    /// The id of the global default connection (`bcconn use --global`): a
    /// personal setting, kept apart from the records.
    pub fn default_connection(&self) -> Result<Option<String>> {
        if let Some(d) = self.default.borrow().as_ref() {
            return Ok(d.clone());
        }
        let d = match &self.backend {
            Some(b) => b.local("default_connection")?,
            None => None,
        };
        *self.default.borrow_mut() = Some(d.clone());
        Ok(d)
    }

    pub fn set_default_connection(&mut self, id: Option<String>) -> Result<()> {
        self.writable()?;
        *self.default.borrow_mut() = Some(id);
        self.default_changed = true;
        Ok(())
    }

    /// The audit trail, newest first, at most `limit` entries: all of
    /// them, or those about the connection or iClient called `name` (by its
    /// id, so what happened before a rename counts, and by the name an entry
    /// recorded, so a deleted one's are found, with the rest of its life).
    pub fn history(&self, name: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>> {
        let Some(b) = &self.backend else {
            return Ok(Vec::new());
        };
        let Some(name) = name else {
            return Ok(b.audit_list(AuditFilter::All, limit)?);
        };
        let key = name_key(name);
        let id = match self.connection(name)? {
            Some(c) => Some(c.id.clone()),
            None => match self.iclient(name)? {
                Some(i) => Some(i.id.clone()),
                // No record has the name now. When the last one that had
                // it is gone, its whole life (under earlier names too); when
                // it lives on under another name, what it did under this one.
                None => b
                    .audit_list(
                        AuditFilter::Subject {
                            id: None,
                            name_key: &key,
                        },
                        1,
                    )?
                    .into_iter()
                    .map(|e| e.subject_id)
                    .find(|id| !id.is_empty())
                    .map(|id| -> Result<Option<String>> {
                        let lives = self.connection_by_id(&id)?.is_some()
                            || self.iclient_by_id(&id)?.is_some();
                        Ok((!lives).then_some(id))
                    })
                    .transpose()?
                    .flatten(),
            },
        };
        Ok(b.audit_list(
            AuditFilter::Subject {
                id: id.as_deref(),
                name_key: &key,
            },
            limit,
        )?)
    }

    /// Whether a connection or an iClient is called `name` now.
    pub fn has_record(&self, name: &str) -> Result<bool> {
        Ok(self.connection(name)?.is_some() || self.iclient(name)?.is_some())
    }

    /// Top-level fields of an imported document this version does not know.
    pub fn document_extra(&self) -> Result<Map<String, Value>> {
        Ok(match &self.backend {
            Some(b) => b.document_extra()?,
            None => Map::new(),
        })
    }

    /// A listed secret goes live with its record, in this transaction: its
    /// pending row goes (the record is what names it from now on).
    pub fn secret_live(&mut self, store: &str, account: &str) -> Result<()> {
        self.writable()?;
        if let Some(b) = &self.backend {
            b.ledger_remove(store, account)?;
        }
        Ok(())
    }

    /// Lists a secret the record that used it stops using in this
    /// transaction: once committed, the caller deletes it and forgets the
    /// row; a run killed in between leaves a row the next write finds.
    pub fn secret_retire(&mut self, store: &str, account: &str) -> Result<()> {
        self.writable()?;
        if let Some(b) = &self.backend {
            b.ledger_put(&LedgerEntry::mine(store, account))?;
        }
        Ok(())
    }

    /// Marks token generation `generation` of connection `id` as handed
    /// out (a copy keeps its token's generation, and the destination never
    /// hands it out again).
    pub fn reserve_generation(&mut self, id: &str, generation: u64) -> Result<()> {
        self.writable()?;
        if let Some(b) = &self.backend {
            b.next_generation(id, generation.saturating_sub(1))?;
        }
        Ok(())
    }

    /// Writes what changed and ends the transaction, with an audit entry
    /// for each record that changed (in the same transaction, so no
    /// command can change a record and leave no trace).
    pub(super) fn commit(self) -> Result<(), StoreError> {
        let Some(b) = self.backend else {
            return Ok(());
        };
        if !self.write {
            return b.commit();
        }
        let bad = |e: serde_json::Error| StoreError::BadRecord {
            path: PathBuf::new(),
            detail: e.to_string(),
        };
        let verb = self.verb.as_str();
        let trail = |kind: &str,
                     id: &str,
                     before: Option<&Value>,
                     after: Option<&Value>|
         -> Result<(), StoreError> {
            let noted = self
                .noted
                .get(id)
                .filter(|_| before.is_some() && after.is_some());
            let Some((action, fields)) = (match (audit::diff(before, after), noted) {
                (None, Some(noted)) => Some(("changed", noted.clone())),
                (Some((action, mut fields)), Some(noted)) => {
                    fields.extend(noted.iter().cloned());
                    fields.sort();
                    fields.dedup();
                    Some((action, fields))
                }
                (found, None) => found,
            }) else {
                return Ok(());
            };
            let name = audit::name_in(after.or(before).expect("diff saw one"));
            b.audit_put(&AuditEntry::now(verb, kind, (id, name), action, fields))
        };
        // Removals first, so a name freed in this transaction can be reused.
        for id in &self.removed {
            b.delete_connection(id)?;
            if let Some(Some(before)) = self.conns_before.get(id) {
                trail(audit::CONNECTION, id, Some(before), None)?;
            }
        }
        for id in &self.touched {
            if self.removed.contains(id) {
                continue;
            }
            if let Some(c) = self.conns.get(id) {
                b.put_connection(c, &name_key(&c.name))?;
                if let Some(before) = self.conns_before.get(id) {
                    let after = serde_json::to_value(c).map_err(bad)?;
                    trail(audit::CONNECTION, id, before.as_ref(), Some(&after))?;
                }
            }
        }
        if self.iclients_changed
            && let Some(list) = self.iclients.get()
        {
            let before = self.iclients_before.borrow();
            let image = |text: &String| serde_json::from_str::<Value>(text).map_err(bad);
            let now: HashSet<&str> = list.iter().map(|i| i.id.as_str()).collect();
            for (id, text) in before.iter() {
                if !now.contains(id.as_str()) {
                    b.delete_iclient(id)?;
                    trail(audit::ICLIENT, id, Some(&image(text)?), None)?;
                }
            }
            for i in list {
                let text = serde_json::to_string(i).map_err(bad)?;
                let was = before.get(&i.id);
                if was != Some(&text) || self.noted.contains_key(&i.id) {
                    b.put_iclient(i, &name_key(&i.name))?;
                    let was = was.map(image).transpose()?;
                    let after = serde_json::to_value(i).map_err(bad)?;
                    trail(audit::ICLIENT, &i.id, was.as_ref(), Some(&after))?;
                }
            }
        }
        if self.default_changed {
            let d = self.default.borrow().clone().flatten();
            b.set_local("default_connection", d.as_deref())?;
        }
        b.commit()
    }
}
