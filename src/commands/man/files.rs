//! The FILES section of bcconn(1): where bcconn keeps what (DESIGN.md §3;
//! the names are the ones `store`, `secrets`, `pool` and `connect` use).

/// What bcconn keeps in its home (`BCCONN_HOME`) and elsewhere:
/// (path, what).
pub const FILES: &[(&str, &str)] = &[
    (
        "$BCCONN_HOME",
        "the home, mode 0700: ~/.config/bcconn on Linux ($XDG_CONFIG_HOME/bcconn when set), \
         ~/Library/Application Support/bcconn on macOS, %APPDATA%\\bcconn\\config on Windows",
    ),
    (
        "$BCCONN_HOME/bcconn.db",
        "the records (iClients and connections, never a secret), an SQLite database, mode \
         0600, with its -wal and -shm files",
    ),
    (
        "$BCCONN_HOME/secrets.json",
        "the secrets, only with BCCONN_SECRET_STORE=file (mode 0600; secrets.lock beside it)",
    ),
    (
        "$BCCONN_HOME/trusted-dotfiles.json",
        "the .bcconn files you trusted (trusted-dotfiles.lock beside it)",
    ),
    (
        "$BCCONN_HOME/pools/",
        "this machine's concurrency slots (one lock file per pool)",
    ),
    (
        "$BCCONN_HOME/rate/",
        "what each store's rate limit said last (one file per store)",
    ),
    (
        "$BCCONN_HOME/bcconn.json.imported",
        "an older bcconn's record file, kept after its records moved into bcconn.db",
    ),
    (
        ".bcconn",
        "in a project directory or above it: its first line names the connection to use there \
         (`bcconn use NAME` writes it)",
    ),
];
