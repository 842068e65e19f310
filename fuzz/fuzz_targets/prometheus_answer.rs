//! Fuzz target: Prometheus' answer to an instant query, as servers read through a Prometheus take it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::prometheus_answer(data));
