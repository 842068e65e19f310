//! Fuzz target: a deployment target's answer (a router's route, a webhook's read-back, an MLflow alias, words of refusal).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::deployment_answer(data));
