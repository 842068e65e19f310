//! Reading what model servers expose for scraping: their metrics pages, in the Prometheus text
//! format (0.0.4) and OpenMetrics 1.0 text, parsed by [`exposition::parse`].

pub mod exposition;
