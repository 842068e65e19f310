//! Fuzz target: an answer to an inference request, as a parity check reads and compares it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::infer_answer(data));
