//! The one response pipeline every GET goes through:
//!
//! 1. a handler produces a [`Payload`] (bytes, content type, status);
//! 2. it is encoded once — strong ETag from a hash of the bytes, gzip and brotli variants —
//!    and kept in a size-bounded in-memory cache whose keys include the data version, so an
//!    import makes every older entry unreachable at once;
//! 3. each request is answered from that entry: `If-None-Match` → 304, `Accept-Encoding`
//!    picks the variant, `Cache-Control` says how long it may be reused.
//!
//! Concurrent misses for one key are computed once (moka's `try_get_with`).

use std::future::Future;
use std::io::Write;
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::problem::ApiError;

/// What a handler produces.
#[derive(Debug, Clone)]
pub struct Payload {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Bytes,
    /// Extra headers (e.g. `Content-Crs`, `Content-Disposition`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Payload {
    pub fn new(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Payload {
            status: StatusCode::OK,
            content_type,
            body: body.into(),
            headers: Vec::new(),
        }
    }
    pub fn json<T: serde::Serialize>(value: &T) -> Result<Self, ApiError> {
        Self::json_as("application/json", value)
    }
    pub fn json_as<T: serde::Serialize>(
        content_type: &'static str,
        value: &T,
    ) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(Self::new(content_type, body))
    }
    /// 204 No Content (e.g. an empty tile).
    pub fn empty() -> Self {
        Payload {
            status: StatusCode::NO_CONTENT,
            content_type: "application/octet-stream",
            body: Bytes::new(),
            headers: Vec::new(),
        }
    }
    pub fn with_header(mut self, name: header::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}

/// A payload encoded once for every client: ETag and compressed variants.
#[derive(Debug)]
pub struct Encoded {
    pub payload: Payload,
    pub etag: HeaderValue,
    pub gzip: Option<Bytes>,
    pub brotli: Option<Bytes>,
}

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 512;

impl Encoded {
    /// Encodes every variant (for the cache, which serves all clients).
    pub fn new(payload: Payload) -> Encoded {
        Self::with_codings(payload, true, true)
    }

    fn with_codings(payload: Payload, want_gzip: bool, want_brotli: bool) -> Encoded {
        let hash = Sha256::digest(&payload.body);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&hash[..12])))
            .unwrap_or(HeaderValue::from_static("\"0\""));
        let big = payload.body.len() >= MIN_COMPRESS;
        let gzip = (big && want_gzip).then(|| gzip(&payload.body)).flatten();
        let brotli = (big && want_brotli)
            .then(|| brotli(&payload.body))
            .flatten();
        Encoded {
            payload,
            etag,
            gzip,
            brotli,
        }
    }

    /// Bytes held, for the cache's size bound.
    pub fn weight(&self) -> u32 {
        let n = self.payload.body.len()
            + self.gzip.as_ref().map_or(0, Bytes::len)
            + self.brotli.as_ref().map_or(0, Bytes::len)
            + 256;
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(body).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < body.len()).then(|| Bytes::from(out))
}

fn brotli(body: &[u8]) -> Option<Bytes> {
    let mut out = Vec::new();
    {
        // Quality 5: most of brotli's gain at a fraction of its top-quality cost. A 256 KiB
        // window (lgwin 18) instead of 4 MiB keeps each encoder's memory small; larger bodies
        // compress a little less well.
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 18);
        w.write_all(body).ok()?;
    }
    (out.len() < body.len()).then(|| Bytes::from(out))
}

/// How long clients and proxies may reuse a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// The URL names the current data version: it can never change.
    Immutable,
    /// Reuse only after revalidation (ETag → 304).
    Revalidate,
    /// Never store (health, metrics).
    NoStore,
}

impl CachePolicy {
    /// Immutable when the request's `v` parameter names the current data version.
    pub fn for_version(requested: Option<i64>, current: i64) -> Self {
        if requested == Some(current) {
            CachePolicy::Immutable
        } else {
            CachePolicy::Revalidate
        }
    }
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            CachePolicy::Immutable => "public, max-age=31536000, immutable",
            CachePolicy::Revalidate => "public, no-cache",
            CachePolicy::NoStore => "no-store",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
    Identity,
}

/// Picks brotli, then gzip, then identity, honouring `q=0`.
fn negotiate(headers: &HeaderMap) -> Coding {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Coding::Identity;
    };
    let mut br = false;
    let mut gz = false;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        match name.as_str() {
            "br" => br = true,
            "gzip" | "x-gzip" => gz = true,
            "*" => {
                br = true;
                gz = true;
            }
            _ => {}
        }
    }
    if br {
        Coding::Brotli
    } else if gz {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

fn etag_matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let ours = etag.to_str().unwrap_or("");
    inm.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == ours || t.strip_prefix("W/") == Some(ours))
}

/// Answers one request from an encoded payload.
pub fn respond(headers: &HeaderMap, enc: &Encoded, policy: CachePolicy) -> Response {
    let mut builder = Response::builder()
        .header(header::CACHE_CONTROL, policy.header())
        .header(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if policy != CachePolicy::NoStore {
        builder = builder.header(header::ETAG, enc.etag.clone());
        if etag_matches(headers, &enc.etag) {
            return builder
                .status(StatusCode::NOT_MODIFIED)
                .body(axum::body::Body::empty())
                .unwrap_or_else(|_| StatusCode::NOT_MODIFIED.into_response());
        }
    }
    let p = &enc.payload;
    let (body, coding) = match negotiate(headers) {
        Coding::Brotli if enc.brotli.is_some() => (enc.brotli.clone(), Some("br")),
        Coding::Brotli | Coding::Gzip if enc.gzip.is_some() => (enc.gzip.clone(), Some("gzip")),
        _ => (None, None),
    };
    let body = body.unwrap_or_else(|| p.body.clone());
    builder = builder.status(p.status);
    if p.status != StatusCode::NO_CONTENT {
        builder = builder.header(header::CONTENT_TYPE, p.content_type);
    }
    if let Some(coding) = coding {
        builder = builder.header(header::CONTENT_ENCODING, coding);
    }
    for (name, value) in &p.headers {
        builder = builder.header(name, value.clone());
    }
    builder
        .body(axum::body::Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The response cache: key → encoded payload, bounded in bytes.
#[derive(Clone)]
pub struct ResponseCache {
    inner: Option<moka::future::Cache<String, Arc<Encoded>>>,
}

impl ResponseCache {
    /// `max_bytes` = 0 turns caching off (every request computes its payload).
    pub fn new(max_bytes: u64) -> Self {
        let inner = (max_bytes > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_k: &String, v: &Arc<Encoded>| v.weight())
                .build()
        });
        ResponseCache { inner }
    }

    /// The cached entry for `key`, or `produce`'s payload encoded and cached. Errors are not
    /// cached. Returns whether it was a hit, for metrics.
    pub async fn get_or_produce<F, Fut>(
        &self,
        key: String,
        headers: &HeaderMap,
        produce: F,
    ) -> Result<(Arc<Encoded>, bool), ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Payload, ApiError>>,
    {
        let Some(cache) = &self.inner else {
            // No cache: encode only the variant this client takes.
            let coding = negotiate(headers);
            let payload = produce().await?;
            let (gz, br) = (coding == Coding::Gzip, coding == Coding::Brotli);
            return Ok((Arc::new(encode(payload, gz, br).await?), false));
        };
        if let Some(hit) = cache.get(&key).await {
            return Ok((hit, true));
        }
        let entry = cache
            .try_get_with(key, async move {
                let payload = produce().await?;
                Ok::<_, ApiError>(Arc::new(encode(payload, true, true).await?))
            })
            .await
            .map_err(|e: Arc<ApiError>| match Arc::try_unwrap(e) {
                Ok(e) => e,
                Err(shared) => clone_error(&shared),
            })?;
        Ok((entry, false))
    }

    pub fn entry_count(&self) -> u64 {
        self.inner.as_ref().map_or(0, |c| c.entry_count())
    }
}

/// Compression is CPU work: off the async workers, and at most a few at a time so that a
/// burst of large responses cannot hold many encoders' buffers at once.
async fn encode(payload: Payload, gzip: bool, brotli: bool) -> Result<Encoded, ApiError> {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _permit = permits
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(format!("encoder semaphore closed: {e}")))?;
    tokio::task::spawn_blocking(move || Encoded::with_codings(payload, gzip, brotli))
        .await
        .map_err(|e| ApiError::Internal(format!("encoding task failed: {e}")))
}

/// Requests that waited on a shared failing computation each get the same error.
fn clone_error(e: &ApiError) -> ApiError {
    match e {
        ApiError::BadRequest(m) => ApiError::BadRequest(m.clone()),
        ApiError::NotFound(m) => ApiError::NotFound(m.clone()),
        ApiError::Database(d) => ApiError::Internal(format!("database error: {d}")),
        ApiError::Internal(m) => ApiError::Internal(m.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn negotiates_encodings() {
        assert_eq!(negotiate(&headers(&[])), Coding::Identity);
        assert_eq!(
            negotiate(&headers(&[("accept-encoding", "gzip")])),
            Coding::Gzip
        );
        assert_eq!(
            negotiate(&headers(&[("accept-encoding", "gzip, deflate, br")])),
            Coding::Brotli
        );
        assert_eq!(
            negotiate(&headers(&[("accept-encoding", "br;q=0, gzip")])),
            Coding::Gzip
        );
        assert_eq!(
            negotiate(&headers(&[("accept-encoding", "identity")])),
            Coding::Identity
        );
    }

    #[test]
    fn etag_is_strong_and_matches_if_none_match() {
        let enc = Encoded::new(Payload::new("text/plain", "hello"));
        let tag = enc.etag.to_str().unwrap().to_string();
        assert!(tag.starts_with('"') && !tag.starts_with("W/"));
        let resp = respond(
            &headers(&[("if-none-match", &tag)]),
            &enc,
            CachePolicy::Revalidate,
        );
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
        let resp = respond(
            &headers(&[("if-none-match", "\"other\"")]),
            &enc,
            CachePolicy::Revalidate,
        );
        assert_eq!(resp.status(), StatusCode::OK);
    }

    #[test]
    fn compresses_large_bodies_once() {
        let body = "stadsatlas ".repeat(1000);
        let enc = Encoded::new(Payload::new("text/plain", body.clone()));
        let gz = enc.gzip.clone().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
            .unwrap();
        assert_eq!(out, body);
        assert!(enc.brotli.as_ref().unwrap().len() < body.len());
        let resp = respond(
            &headers(&[("accept-encoding", "gzip")]),
            &enc,
            CachePolicy::Revalidate,
        );
        assert_eq!(resp.headers()["content-encoding"], "gzip");
    }
}
