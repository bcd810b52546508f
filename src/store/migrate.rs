//! Reading record files written by older versions of bcconn.
//!
//! Each step takes the file from version N to N+1 as JSON, so a step only
//! knows two neighbouring shapes. Files are migrated in memory as they are
//! read; the next write saves the current version.

use serde_json::Value;

use super::{RecordFile, VERSION};

/// One step: the file as version N (the index + 1) becomes version N+1.
type Step = fn(&mut Value);

/// `STEPS[n - 1]` takes a version-`n` file to version `n + 1`.
const STEPS: [Step; (VERSION - 1) as usize] = [v1_to_v2];

/// Version 2 added the states `invalid` and `superseded`. A version-1 file
/// holds neither, so its data is already valid version 2; the version number
/// is what changes (so that version-1 builds refuse files that may hold the
/// new states, with "written by a newer bcconn").
fn v1_to_v2(_file: &mut Value) {}

/// Migrates a file of version `from` (1 <= from < VERSION) to the current shape.
pub fn to_current(bytes: &[u8], from: u64) -> Result<RecordFile, serde_json::Error> {
    let mut value: Value = serde_json::from_slice(bytes)?;
    // Steps index into the file as an object; anything else would panic
    // there (found by fuzzing).
    if !value.is_object() {
        return Err(serde::de::Error::custom("the file is not a JSON object"));
    }
    for step in &STEPS[(from - 1) as usize..] {
        step(&mut value);
    }
    value["version"] = Value::from(VERSION);
    serde_json::from_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_an_object_is_refused_not_a_panic() {
        for bytes in [&b"\"secret_store\""[..], b"[]", b"1", b"null"] {
            assert!(to_current(bytes, 1).is_err());
        }
    }

    #[test]
    fn a_version_1_file_reads_as_current() {
        let v1 = br#"{"version":1,"iclients":[],"connections":[{"id":"a","name":"shop","auth_type":"oauth2","store_hash":"abc123","scopes":["store_v2_orders"],"concurrency":3,"state":"authorized","created_at":"t","updated_at":"t"}]}"#;
        let file = to_current(v1, 1).unwrap();
        assert_eq!(file.version, VERSION);
        assert_eq!(file.connections[0].name, "shop");
        assert_eq!(file.connections[0].concurrency, 3);
        // Through the parser the commands use, too.
        let parsed = super::super::parse(v1, std::path::Path::new("x")).unwrap();
        assert_eq!(parsed.version, VERSION);
        assert_eq!(parsed.connections[0].state, super::super::State::Authorized);
    }
}
