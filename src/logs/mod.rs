//! Entra provisioning logs: reading, summarising and replaying them (being written).
