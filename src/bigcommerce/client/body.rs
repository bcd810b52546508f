//! Reading an answer's body: held whole within a cap, held until a cap
//! and then spilled to a sink, or streamed to one as it arrives.

use anyhow::{Result, anyhow};
use reqwest::StatusCode;

use super::super::api::describe_reqwest;
use super::{ANSWER_MAX, Answer, ApiError, Sink};
use crate::fsutil::human_bytes;

/// The body, read whole but no more than `max` bytes.
pub(super) async fn read_body(
    mut sent: reqwest::Response,
    status: StatusCode,
    max: u64,
) -> Result<Vec<u8>> {
    // A cap under ANSWER_MAX is the one `--jq` set.
    let too_big = || ApiError::TooLarge {
        status,
        max,
        for_jq: max < ANSWER_MAX,
    };
    if sent.content_length().is_some_and(|n| n > max) {
        return Err(too_big().into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = sent
        .chunk()
        .await
        .map_err(|e| anyhow!("reading the answer: {}", describe_reqwest(&e)))?
    {
        if (body.len() + chunk.len()) as u64 > max {
            return Err(too_big().into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A 2xx body held whole up to `max`; past that, or when it breaks off,
/// what came and the rest go to `sink` as they are (`Ok(Err(why))`).
pub(super) async fn hold_or_spill(
    mut sent: reqwest::Response,
    head: &Answer,
    max: u64,
    sink: &mut dyn Sink,
) -> Result<std::result::Result<Vec<u8>, ApiError>> {
    let mut body = Vec::new();
    let broke = |got: usize, e: &reqwest::Error| ApiError::BrokeOff {
        got: got as u64,
        why: describe_reqwest(e),
    };
    loop {
        let chunk = match sent.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(Ok(body)),
            Err(e) => {
                sink.head(head)?;
                sink.chunk(&body)?;
                sink.end()?;
                return Ok(Err(broke(body.len(), &e)));
            }
        };
        if (body.len() + chunk.len()) as u64 <= max {
            body.extend_from_slice(&chunk);
            continue;
        }
        sink.head(head)?;
        let mut got = body.len() + chunk.len();
        let mut open = sink.chunk(&body)? && sink.chunk(&chunk)?;
        drop(body);
        while open {
            match sent.chunk().await {
                Ok(Some(chunk)) => {
                    got += chunk.len();
                    open = sink.chunk(&chunk)?;
                }
                Ok(None) => break,
                Err(e) => {
                    sink.end()?;
                    return Ok(Err(broke(got, &e)));
                }
            }
        }
        if open {
            sink.end()?;
        }
        return Ok(Err(ApiError::Spilled { max }));
    }
}

/// The body to `sink`, chunk by chunk as it arrives.
pub(super) async fn stream_body(
    mut sent: reqwest::Response,
    head: &Answer,
    sink: &mut dyn Sink,
) -> Result<()> {
    sink.head(head)?;
    let mut got: u64 = 0;
    loop {
        let chunk = sent.chunk().await.map_err(|e| {
            anyhow!(
                "the answer broke off after {}: {}",
                human_bytes(got),
                describe_reqwest(&e)
            )
        })?;
        let Some(chunk) = chunk else {
            break;
        };
        got += chunk.len() as u64;
        if !sink.chunk(&chunk)? {
            return Ok(());
        }
    }
    sink.end()
}
