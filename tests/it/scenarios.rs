//! Scenarios against the embedded endpoint: engine behaviour end to end over real HTTP.

use entrasim::engine::result::{LogAction, Outcome, StepDetail};
use entrasim::engine::{Dialect, RunOptions};

use crate::support::{problems, run_text, DirectMapper};

const JOINER_MOVER_LEAVER: &str = r#"
description = "joiner, mover, leaver"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
displayName = "Alice Doe"
givenName = "Alice"
surname = "Doe"
mail = "alice@contoso.com"
mailNickname = "alice"
department = "Engineering"
jobTitle = "Software Engineer"
manager = "bob"

[[users]]
id = "bob"
userPrincipalName = "bob@contoso.com"
displayName = "Bob Smith"
mailNickname = "bob"
jobTitle = "Engineering Manager"

[[groups]]
id = "eng"
displayName = "Engineering"
members = ["alice", "bob"]

[[steps]]
test_connection = true
expect = { outcome = "success" }

[[steps]]
cycle = "initial"
expect = { creates = 3, requests = ['GET /Users?filter=userName eq "alice@contoso.com"', "POST /Users", "PATCH /Users/{id}", "POST /Groups", "PATCH /Groups/{id}"] }

[[steps]]
add = { id = "carol", userPrincipalName = "carol@contoso.com", displayName = "Carol White", mailNickname = "carol", manager = "bob" }

[[steps]]
update = "alice"
set = { department = "Sales", jobTitle = "Account Executive" }

[[steps]]
cycle = "incremental"
expect = { creates = 1, updates = 1, no_requests = ["DELETE /Users/{id}"] }

[[steps]]
disable = "alice"

[[steps]]
cycle = "incremental"
expect = { disables = 1 }

[[steps]]
hard_delete = "alice"

[[steps]]
cycle = "incremental"
expect = { deletes = 1, requests = ["DELETE /Users/{id}"] }

[[steps]]
steady = true
expect = { steady = true }
"#;

#[tokio::test]
async fn joiner_mover_leaver_with_a_hand_built_mapper() {
    let (result, transcript) = run_text(JOINER_MOVER_LEAVER, &DirectMapper::entra_like(), RunOptions::default()).await;
    assert!(result.passed(), "{}\n{transcript}", problems(&result));
    assert_eq!(result.dialect, Dialect::Legacy);
    assert!(transcript.contains("\"value\": \"False\""), "{transcript}");
    let StepDetail::Cycle(c) = &result.steps[1].detail else { panic!("cycle expected") };
    assert_eq!(c.events.iter().filter(|e| e.action == LogAction::Create).count(), 3);
    assert!(result.steps.iter().all(|s| s.outcome == Outcome::Passed));
}
