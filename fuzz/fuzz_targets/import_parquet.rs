//! Fuzz target: a Parquet data file through every import (reference, inference log, labels, golden set).
//! The Parquet library panics on some damaged files; the import catches such a panic as the
//! file's error, so here a caught panic is no crash (libfuzzer-sys's hook would abort on it):
//! the default hook prints it, and a panic that escapes still aborts.
#![no_main]

libfuzzer_sys::fuzz_target!(init: drop(std::panic::take_hook()), |data: &[u8]| {
    vigil_core::fuzzing::data_file("parquet", data)
});
