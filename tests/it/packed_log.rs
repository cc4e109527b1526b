//! A cycle whose log packs its entries (as the live tenant's do) hands over the same last entries, once
//! unpacked, as a cycle that keeps every entry whole: with managers linked after the users (the pass
//! changes entries already packed), failures escrowed and groups.

use entrasim::directory::synth;
use entrasim::engine::action::Actor;
use entrasim::engine::dialect::Dialect;
use entrasim::engine::mapper::SetMapper;
use entrasim::engine::result::{CycleKind, ProvisioningEvent};
use entrasim::engine::state::{Engine, Settings};
use entrasim::scim::client::{Auth, Client, ClientConfig, Secret};
use entrasim::server::{ServerConfig, Switches};

/// One initial cycle over a generated tenant against a fresh endpoint that fails one request in 20; the
/// log's entries (packed ones unpacked when `pack` is set), written with each target id replaced by its
/// source objectId (the endpoint makes random ids), and the escrowed objects with their codes.
async fn initial_cycle(pack: Option<usize>) -> (Vec<String>, Vec<String>) {
    let switches = Switches { error_rate: 0.05, seed: 7, ..Switches::default() };
    let server = entrasim::server::start(ServerConfig { switches, ..ServerConfig::default() }).await.unwrap();
    let client = Client::new(ClientConfig::new(server.url(), Auth::Bearer(Secret::new(server.token())))).unwrap();
    let mut engine =
        Engine::new(Actor::new(client, std::time::Duration::ZERO), Dialect::Legacy, Settings::default(), 0);
    engine.pack_log = pack;
    let directory = synth::generate(1_500, 8, 3);
    let mapping = entrasim::mapping::load("entra-default", std::path::Path::new(".")).unwrap().set;
    let mapper = SetMapper::new(mapping, 0);
    let (result, _) =
        engine.run_cycle(CycleKind::Initial, &entrasim::engine::source_snapshot(&directory), &mapper).await;
    let events: Vec<ProvisioningEvent> = match pack {
        Some(_) => {
            assert!(result.events.is_empty(), "a packing log hands its entries over packed");
            engine.packed_log.iter().map(|e| e.unpack()).collect()
        }
        None => result.events,
    };
    let users = engine.cds.users.sorted().into_iter().map(|(source, e)| (e.target_id.clone(), source));
    let groups = engine.cds.groups.iter().map(|(source, e)| (e.target_id.clone(), source.clone()));
    let targets: Vec<(String, String)> = users.chain(groups).collect();
    let written = events
        .iter()
        .map(|e| {
            let mut text = serde_json::to_string(e).unwrap();
            for (target, source) in &targets {
                text = text.replace(target.as_str(), &format!("target-of-{source}"));
            }
            text
        })
        .collect();
    let escrowed = engine.cds.escrows.iter().map(|(id, e)| format!("{id} {:?} {}", e.code, e.reference)).collect();
    server.shutdown().await;
    (written, escrowed)
}

#[tokio::test]
async fn a_packed_log_keeps_the_last_entries_of_a_whole_one() {
    let (whole, escrowed) = initial_cycle(None).await;
    assert!(whole.iter().any(|e| e.contains("\"Failure\"")), "some entries failed");
    assert!(whole.iter().any(|e| e.contains(":manager\"")), "managers were linked");
    let (packed, packed_escrowed) = initial_cycle(Some(600)).await;
    assert_eq!(packed.len(), 600);
    assert_eq!(packed, whole[whole.len() - 600..]);
    assert_eq!(packed_escrowed, escrowed, "failures dropped from the log are still escrowed");
    let (all, _) = initial_cycle(Some(usize::MAX)).await;
    assert_eq!(all, whole);
}
