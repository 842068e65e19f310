//! Fuzz target: a post to the ingest endpoint (CloudEvents headers, then the body), as a payload and as labels.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::ingest(data));
