//! Fuzz target: a metrics page as a poll reads it, into totals per revision by every kind's signal map.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::metrics_page(data));
