//! Fuzz target: a model revision's metadata, as a poll keeps it and its readers take it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::model_metadata(data));
