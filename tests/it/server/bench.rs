//! Ignored measurements (run them with `--release -- --ignored --nocapture`).

use super::*;

/// A rough throughput figure (client and server share the machine):
/// `ENTRASIM_BENCH_N=20000 cargo test --release --test it server::throughput -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a test"]
async fn throughput() {
    let api = std::sync::Arc::new(api().await);
    let n: usize = std::env::var("ENTRASIM_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let workers = 16;
    let t = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let api = api.clone();
            tokio::spawn(async move {
                for i in (w..n).step_by(workers) {
                    let name = format!("user{i}@contoso.com");
                    let a = api.post("/Users", json!({"userName": name, "externalId": format!("e{i}")})).await;
                    assert_eq!(a.status, StatusCode::CREATED);
                    let f = api.get(&format!("/Users?filter={}", q(&format!("userName eq \"{name}\"")))).await;
                    assert_eq!(f.json()["totalResults"], 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("worker");
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} POST+GET pairs in {secs:.2}s: {:.0} pairs/s, {:.0} requests/s",
        n as f64 / secs,
        2.0 * n as f64 / secs
    );
}

/// How member `PATCH`es scale with group size (each PATCH copies the group, so cost grows with membership):
/// `ENTRASIM_BENCH_N=20000 cargo test --release --test it server::group_membership_throughput -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a test"]
async fn group_membership_throughput() {
    let api = api().await;
    let n: usize = std::env::var("ENTRASIM_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let stored =
            api.server.insert(server::ResourceType::User, json!({"userName": format!("m{i}")})).expect("stored");
        ids.push(stored["id"].as_str().expect("id").to_string());
    }
    let gid = api.group("everyone").await;
    let t = Instant::now();
    let mut last = Duration::ZERO;
    for batch in ids.chunks(100) {
        let members: Vec<Value> = batch.iter().map(|id| json!({"value": id})).collect();
        let one = Instant::now();
        let a = api.patch(&format!("/Groups/{gid}"), json!([{"op": "Add", "path": "members", "value": members}])).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
        last = one.elapsed();
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} members in {} PATCHes of 100: {secs:.2}s, {:.0} PATCH/s, last PATCH {:.1} ms",
        n / 100,
        (n / 100) as f64 / secs,
        last.as_secs_f64() * 1000.0
    );
}
