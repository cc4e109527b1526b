//! The conformance checks behind `entrasim check` (being written).
