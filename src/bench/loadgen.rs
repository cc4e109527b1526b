//! The baseline: a plain HTTP load generator that sends a fixed list of requests at a fixed concurrency
//! and does nothing else — no planning, no diffing, no transcript. `entrasim bench` compares the
//! engine's request rate with this one against the same endpoint. It is the one place outside
//! `scim::client` that sends HTTP, on purpose: it must not share the client's overhead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request to replay.
#[derive(Debug, Clone)]
pub struct PlainRequest {
    /// `GET`, `POST`, `PATCH` or `DELETE`.
    pub method: reqwest::Method,
    /// Full URL including the query.
    pub url: String,
    /// JSON body bytes, if any.
    pub body: Option<Vec<u8>>,
    /// Keep the answer's body (the generator learns created ids from it, as any client must).
    pub keep_answer: bool,
}

/// What the generator measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoadResult {
    /// Requests sent.
    pub requests: usize,
    /// Requests answered with a status below 500.
    pub answered: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// The answers kept (`PlainRequest::keep_answer`), by request index.
    #[serde(skip)]
    pub answers: Vec<(usize, Vec<u8>)>,
}

impl LoadResult {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Sends `requests` in order of the list with `concurrency` workers, each taking the next request.
pub async fn run(
    requests: Arc<Vec<PlainRequest>>,
    token: &str,
    concurrency: usize,
) -> Result<LoadResult, reqwest::Error> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency.max(1)).build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let auth = format!("Bearer {token}");
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, requests, next, answered, auth) =
            (client.clone(), requests.clone(), next.clone(), answered.clone(), auth.clone());
        workers.spawn(async move {
            let mut kept = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = requests.get(i) else { break };
                let mut builder = client
                    .request(r.method.clone(), &r.url)
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/scim+json");
                if let Some(body) = &r.body {
                    builder = builder.body(body.clone());
                }
                if let Ok(response) = builder.send().await {
                    let ok = response.status().as_u16() < 500;
                    let body = response.bytes().await;
                    if ok {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    if let (true, Ok(body)) = (r.keep_answer, body) {
                        kept.push((i, body.to_vec()));
                    }
                }
            }
            kept
        });
    }
    let mut answers = Vec::new();
    while let Some(kept) = workers.join_next().await {
        answers.extend(kept.unwrap_or_default());
    }
    answers.sort_by_key(|(i, _)| *i);
    let elapsed = started.elapsed();
    Ok(LoadResult { requests: requests.len(), answered: answered.load(Ordering::Relaxed), elapsed, answers })
}
