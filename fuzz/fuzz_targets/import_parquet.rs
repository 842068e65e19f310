//! Fuzz target: a Parquet data file through every import (reference, inference log, labels, golden set).
//! The Parquet library panics on some damaged files; the import catches such a panic as the
//! file's error, so here a caught panic is no crash (libfuzzer-sys's hook would abort on it) and
//! is printed in one line; a panic that escapes still aborts.
#![no_main]

libfuzzer_sys::fuzz_target!(init: std::panic::set_hook(Box::new(|panic| eprintln!("{panic}"))), |data: &[u8]| {
    vigil_core::fuzzing::data_file("parquet", data)
});
