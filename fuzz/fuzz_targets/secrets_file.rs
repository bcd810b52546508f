//! The plain-text secrets file (`secrets.json`, `BCCONN_SECRET_STORE=file`).
#![no_main]

use bcconn::secrets::FileStore;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = FileStore::parse(data) else {
        return;
    };
    let accounts: Vec<&str> = file.accounts().collect();
    // What bcconn writes back, it reads back with the same accounts.
    let written = serde_json::to_vec_pretty(&file).unwrap();
    let again = FileStore::parse(&written).expect("bcconn cannot read what it wrote");
    assert_eq!(again.accounts().collect::<Vec<_>>(), accounts);
    assert_eq!(serde_json::to_vec_pretty(&again).unwrap(), written);
});
