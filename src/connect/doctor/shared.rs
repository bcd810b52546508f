//! The shared store (`BCCONN_STORE_URL`): reachable, how fast, which
//! schema, and whether this bcconn may use it. (Whether this machine's key
//! opens its secrets is the sealed store's check.)

use super::Finding;
use crate::context::Context;
use crate::store::postgres::schema;

pub(super) fn shared_store(ctx: &Context) -> Option<Finding> {
    const CHECK: &str = "shared_store";
    let pg = ctx.records.shared()?;
    let subject = pg.shown();
    let probe = match pg.probe() {
        Ok(p) => p,
        Err(e) => {
            let (_, message, hint) = crate::error::report(&e.into()).into_parts();
            let mut f = Finding::fail(CHECK, message).subject(subject);
            f.fix = hint;
            return Some(f);
        }
    };
    let ms = |d: std::time::Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let timing = format!(
        "PostgreSQL {}; connected in {}, a round trip takes {}",
        probe.server,
        ms(probe.connect),
        ms(probe.round_trip)
    );
    let finding = match probe.schema {
        None => Finding::ok(
            CHECK,
            format!("{timing}; no bcconn schema yet (the first change makes it)"),
        ),
        Some((_, min)) if schema::older(schema::THIS_VERSION, &min) => Finding::fail(
            CHECK,
            format!(
                "{timing}; it needs bcconn {} or newer (this is {})",
                crate::text::outside(&min, 40),
                schema::THIS_VERSION
            ),
        )
        .fix(format!(
            "upgrade bcconn on this machine to {} or newer",
            crate::text::outside(&min, 40)
        )),
        Some((v, _)) if v < schema::SCHEMA => Finding::fail(
            CHECK,
            format!(
                "{timing}; schema version {v}, this bcconn uses {}",
                schema::SCHEMA
            ),
        )
        .fix("run `bcconn store migrate` once, as the role that owns the bcconn schema"),
        Some((v, min)) => Finding::ok(
            CHECK,
            format!(
                "{timing}; schema version {v} (bcconn {} or newer)",
                crate::text::outside(&min, 40)
            ),
        ),
    };
    // Slower than a LAN: every command makes a few round trips.
    let slow = probe.round_trip > std::time::Duration::from_millis(50);
    Some(
        if slow && finding.verdict == super::Verdict::Ok {
            Finding::warn(
                CHECK,
                format!(
                    "{}; slow: each command makes several round trips",
                    finding.detail
                ),
            )
        } else {
            finding
        }
        .subject(subject),
    )
}
