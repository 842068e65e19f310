//! Fuzz target: the Prometheus / OpenMetrics text parser (vigil-exposition) in each format, with
//! what it promises of every page: a format decided, at most ten errors kept of those counted,
//! every sample's labels and family readable, every family found by its name.
#![no_main]

use vigil_exposition::{parse_bytes, Format, MAX_RECORDED_ERRORS};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for format in [Format::Auto, Format::Prometheus, Format::OpenMetrics] {
        let page = parse_bytes(data, format);
        assert_ne!(page.format, Format::Auto);
        assert!(page.errors.len() <= page.skipped.min(MAX_RECORDED_ERRORS));
        for sample in &page.samples {
            let _ = (page.labels(sample), page.family_name(sample), page.metric_type(sample));
        }
        for family in &page.families {
            assert!(page.family_named(&family.name).is_some(), "{:?}", family.name);
        }
    }
});
