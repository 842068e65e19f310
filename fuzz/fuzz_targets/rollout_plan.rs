//! Fuzz target: a rollout plan file, TOML or JSON.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        vigil_core::fuzzing::rollout_plan(text);
    }
});
