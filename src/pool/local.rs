//! The local backend: pools and rate books shared by the bcconn processes of
//! one machine, through files under `BCCONN_HOME`.
//!
//! - A pool of level L is L slot files, `pools/<store>-<owner>/slot-N.lock`.
//!   A slot is held by holding an exclusive lock on its file, taken with a
//!   non-blocking try; waiters poll. The OS drops the lock when a process
//!   dies, so a killed process frees its slot. Inside one process a
//!   semaphore per pool keeps tasks from polling files they cannot get.
//! - A store's rate book is `rate/<store>.json`, read and written under an
//!   exclusive lock on that same file (no rename, no fsync: it is a cache
//!   that a crash may lose, and a lost or unreadable book starts afresh).
//!
//! Both are opened without following a link and without blocking (a FIFO
//! put there would hang `api`), and refused unless regular; a book is read
//! to at most [`MAX_BOOK`] bytes. A book's lock is waited for as
//! `fsutil::lock` waits: polled (here without holding the runtime's
//! thread), said after a moment, given up after [`fsutil::LOCK_WAIT`].

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::rate::Book;
use super::{BoxFuture, Held, Learned, Lease, PoolError, PoolId, Pools, Rates, Reserve};
use crate::clock::Clock;
use crate::fsutil;

/// A rate book is a few hundred bytes; more is not a book.
const MAX_BOOK: u64 = 64 * 1024;
/// After this long waiting for a book's lock, say what for. A book is held
/// for one read and one write, so a wait this long is already odd.
const BOOK_SAY_AFTER: Duration = Duration::from_millis(300);
/// How often a book's lock is tried while another holds it.
const BOOK_POLL: Duration = Duration::from_millis(25);

/// Opens (creating) a slot or book file for reading and writing: never
/// through a link, never blocking on a FIFO, and only a regular file.
fn open_own(path: &Path, what: &'static str) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let refuse = || PoolError::NotRegular {
        path: path.to_path_buf(),
        what,
    };
    let file = match options.open(path) {
        Ok(f) => f,
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) => {
            return Err(refuse().into());
        }
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(refuse().into());
    }
    Ok(file)
}

pub struct LocalPools {
    pools_dir: PathBuf,
    rates: FileRates,
    /// One semaphore per pool key and level, for this process's tasks.
    local: Mutex<HashMap<(String, u8), Arc<Semaphore>>>,
    /// What a wait for a slot sleeps on.
    clock: Arc<dyn Clock>,
}

impl LocalPools {
    pub fn new(home: &Path, clock: Arc<dyn Clock>) -> LocalPools {
        LocalPools {
            pools_dir: home.join("pools"),
            rates: FileRates {
                dir: home.join("rate"),
                lock_wait: fsutil::LOCK_WAIT,
                notes: Mutex::new(None),
                clock: clock.clone(),
            },
            local: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn semaphore(&self, pool: &PoolId) -> Arc<Semaphore> {
        let mut map = self.local.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((pool.key(), pool.level))
            .or_insert_with(|| Arc::new(Semaphore::new(usize::from(pool.level.max(1)))))
            .clone()
    }
}

struct Slot {
    _file: File,
    _permit: OwnedSemaphorePermit,
}

impl Held for Slot {
    fn release(self: Box<Self>) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move {
            drop(self);
            Ok(())
        })
    }
}

impl Pools for LocalPools {
    fn acquire<'a>(&'a self, pool: &'a PoolId) -> BoxFuture<'a, Result<Lease>> {
        Box::pin(async move {
            let permit = self
                .semaphore(pool)
                .acquire_owned()
                .await
                .context("pool semaphore closed")?;
            let dir = self.pools_dir.join(pool.key());
            fsutil::ensure_private_dir(&dir)?;
            let mut pause = Duration::from_millis(2);
            loop {
                for n in 0..pool.level.max(1) {
                    let path = dir.join(format!("slot-{n}.lock"));
                    let file = open_own(&path, "a pool slot")?;
                    match file.try_lock() {
                        Ok(()) => {
                            return Ok(Lease::new(Box::new(Slot {
                                _file: file,
                                _permit: permit,
                            })));
                        }
                        Err(std::fs::TryLockError::WouldBlock) => {}
                        Err(std::fs::TryLockError::Error(e)) => {
                            return Err(e).with_context(|| format!("locking {}", path.display()));
                        }
                    }
                }
                self.clock.sleep_async(pause).await;
                pause = (pause * 2).min(Duration::from_millis(20));
            }
        })
    }

    fn rates(&self) -> &dyn Rates {
        &self.rates
    }

    fn set_notes(&self, notes: UnboundedSender<String>) {
        *self.rates.notes.lock().unwrap_or_else(|e| e.into_inner()) = Some(notes);
    }
}

struct FileRates {
    dir: PathBuf,
    /// How long a book's lock is waited for before giving up.
    lock_wait: Duration,
    /// Where to say that a book's lock is being waited for: the caller's
    /// notes, said as they come, so the wait is not silent.
    notes: Mutex<Option<UnboundedSender<String>>>,
    /// The books' times and the waits for their locks.
    clock: Arc<dyn Clock>,
}

impl FileRates {
    /// Runs `step` on the store's book under its lock and writes it back.
    fn path(&self, store: &str) -> PathBuf {
        let name: String = store
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    async fn with_book<T>(&self, store: &str, step: impl FnOnce(&mut Book, u64) -> T) -> Result<T> {
        fsutil::ensure_private_dir(&self.dir)?;
        let path = self.path(store);
        let mut file = open_own(&path, "a store's rate book")?;
        self.lock(&file, &path).await?;
        let mut text = String::new();
        let _ = (&mut file).take(MAX_BOOK).read_to_string(&mut text);
        let mut book: Book = serde_json::from_str(&text).unwrap_or_default();
        let out = step(&mut book, now_ms(&*self.clock));
        let bytes = serde_json::to_vec(&book)?;
        file.rewind()?;
        file.set_len(0)?;
        file.write_all(&bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(out)
    }

    /// Takes the book's lock. A blocking `lock()` here would hold one of the
    /// runtime's threads for as long as another process keeps the book (a
    /// stopped or stuck one: for ever), so it is tried, and between tries
    /// the task sleeps; after a moment the wait is said, after
    /// `lock_wait` it is given up.
    async fn lock(&self, file: &File, path: &Path) -> Result<()> {
        let start = self.clock.instant();
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(()),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()));
                }
            }
            let waited = self.clock.instant().saturating_duration_since(start);
            if waited >= self.lock_wait {
                return Err(PoolError::BookLocked {
                    path: path.to_path_buf(),
                    waited: self.lock_wait,
                }
                .into());
            }
            if !said && waited >= BOOK_SAY_AFTER {
                said = true;
                self.say(format!(
                    "waiting for another bcconn process to release {} (a store's rate book; giving up after {} s)",
                    path.display(),
                    self.lock_wait.as_secs()
                ));
            }
            self.clock.sleep_async(BOOK_POLL).await;
        }
    }

    fn say(&self, text: String) {
        match &*self.notes.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(tx) => {
                let _ = tx.send(text);
            }
            // No one to pass it to (every command that sends passes its
            // notes): kept for `-v`, as the client's own notes are.
            None => tracing::debug!("{text}"),
        }
    }
}

impl Rates for FileRates {
    fn reserve<'a>(&'a self, store: &'a str) -> BoxFuture<'a, Result<Reserve>> {
        Box::pin(self.with_book(store, |book, now| book.reserve(now)))
    }

    fn learn<'a>(&'a self, store: &'a str, learned: Learned) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.with_book(store, move |book, now| book.learn(now, learned)))
    }

    fn clear_hint(&self, store: &str) -> String {
        format!(
            "delete {} (bcconn starts a new one)",
            crate::text::shell_word(&self.path(store).display().to_string())
        )
    }
}

/// Unix time in ms on `clock`: the clock every process shares.
pub fn now_ms(clock: &dyn Clock) -> u64 {
    clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

// These tests check real waits against the runtime (a slot freed, the
// runtime's thread left free), so they sleep and time on the real clock.
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::super::Seen;
    use super::*;

    fn backend(home: &Path) -> LocalPools {
        LocalPools::new(home, crate::clock::system())
    }

    fn pool(level: u8) -> PoolId {
        PoolId {
            store: "abc123".into(),
            owner: "0123abcd".into(),
            owner_name: "shop".into(),
            level,
        }
    }

    #[tokio::test]
    async fn a_pool_never_hands_out_more_than_its_level() {
        let dir = tempfile::tempdir().unwrap();
        // Two backends on one home: two processes, as far as files go.
        let (a, b) = (backend(dir.path()), backend(dir.path()));
        let p = pool(2);
        let l1 = a.acquire(&p).await.unwrap();
        let l2 = b.acquire(&p).await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(100), a.acquire(&p)).await;
        assert!(third.is_err(), "a third slot was handed out");
        drop(l2);
        let l3 = tokio::time::timeout(Duration::from_secs(2), a.acquire(&p))
            .await
            .expect("a freed slot is taken")
            .unwrap();
        l1.release().await.unwrap();
        drop(l3);
    }

    #[tokio::test]
    async fn the_rate_book_survives_between_backends_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = backend(dir.path());
        let Reserve::Go(t) = a.rates().reserve("abc123").await.unwrap() else {
            panic!("first request must go")
        };
        for _ in 1..super::super::rate::UNKNOWN_BURST {
            assert!(matches!(
                a.rates().reserve("abc123").await.unwrap(),
                Reserve::Go(_)
            ));
        }
        // A second "process" sees the probes out and waits.
        let b = backend(dir.path());
        assert!(matches!(
            b.rates().reserve("abc123").await.unwrap(),
            Reserve::Wait { .. }
        ));
        let seen = Seen {
            left: 15,
            quota: 10,
            window_ms: 30_000,
            reset_ms: 20_000,
        };
        a.rates()
            .learn("abc123", Learned::answered(t, Some(seen), None))
            .await
            .unwrap();
        assert!(matches!(
            b.rates().reserve("abc123").await.unwrap(),
            Reserve::Go(_)
        ));
        std::fs::write(dir.path().join("rate/abc123.json"), b"{garbage").unwrap();
        assert!(matches!(
            b.rates().reserve("abc123").await.unwrap(),
            Reserve::Go(_)
        ));
    }

    #[tokio::test]
    async fn a_held_book_is_waited_for_aloud_then_given_up_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = backend(dir.path());
        a.rates.lock_wait = Duration::from_millis(600);
        let (tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
        a.set_notes(tx);
        a.rates().reserve("abc123").await.unwrap();
        // Another process holding the book (a second open file is another
        // lock owner, as a process would be).
        let held = File::open(dir.path().join("rate/abc123.json")).unwrap();
        held.lock().unwrap();
        // The runtime stays free while the book is waited for.
        let ticks = tokio::spawn(async {
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let err = a.rates().reserve("abc123").await.unwrap_err();
        // On this one-thread runtime the ticks ran only if the wait yielded.
        assert!(ticks.is_finished(), "the wait held the runtime's thread");
        let (code, message, hint) = crate::error::report(&err).into_parts();
        assert_eq!(code, crate::error::ExitStatus::Failure);
        assert!(message.starts_with("gave up after"), "{message}");
        assert!(message.contains("abc123.json"), "{message}");
        assert!(hint.is_some_and(|h| h.contains("fuser")));
        let said = notes.try_recv().unwrap();
        assert!(
            said.starts_with("waiting for another bcconn process to release"),
            "{said}"
        );
        drop(held);
        assert!(matches!(
            a.rates().reserve("abc123").await.unwrap(),
            Reserve::Go(_)
        ));
    }
}
