//! Test support for the kill matrix: the mutating proxy and the defects it applies.
#![allow(dead_code)]

pub mod defects;
pub mod proxy;
