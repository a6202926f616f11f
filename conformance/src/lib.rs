//! Conformance suite (skeleton).
