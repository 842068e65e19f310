//! Fuzz target: a CSV data file through every import (reference, inference log, labels, golden set).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_core::fuzzing::data_file("csv", data));
