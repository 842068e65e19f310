//! Fuzz target: a model server's answer as each kind's detection probe and listing read it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::server_answer(data));
