//! One test per rule of the text formats, each with values worked out by hand.

use std::borrow::Cow;

use super::*;

fn prometheus(text: &str) -> Exposition<'_> {
    parse(text, Format::Prometheus)
}

/// The only sample of `text`, which must parse without a skipped line.
fn single(exposition: &Exposition<'_>) -> (String, Vec<(String, String)>, f64, Option<i64>) {
    assert_eq!(exposition.skipped, 0, "errors: {:?}", exposition.errors);
    assert_eq!(exposition.samples.len(), 1, "samples: {:?}", exposition.samples);
    let sample = &exposition.samples[0];
    let labels = exposition.labels(sample).iter().map(|l| (l.name.to_string(), l.value.to_string())).collect();
    (sample.name.to_string(), labels, sample.value, sample.timestamp_ms)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
}

fn error_kinds(exposition: &Exposition<'_>) -> Vec<(usize, LineErrorKind)> {
    exposition.errors.iter().map(|error| (error.line, error.kind)).collect()
}

#[test]
fn a_plain_sample_has_name_labels_and_value() {
    let exposition = prometheus("http_requests_total{method=\"post\",code=\"200\"} 1027\n");
    let (name, labels, value, timestamp) = single(&exposition);
    assert_eq!(name, "http_requests_total");
    assert_eq!(labels, pairs(&[("method", "post"), ("code", "200")]));
    assert_eq!(value, 1027.0);
    assert_eq!(timestamp, None);
}

#[test]
fn a_sample_without_labels_needs_no_braces() {
    let (name, labels, value, _) = single(&prometheus("process_open_fds 11.0\n"));
    assert_eq!((name.as_str(), labels.len(), value), ("process_open_fds", 0, 11.0));
}

#[test]
fn names_may_contain_colons_and_start_with_one() {
    let text = ":tensorflow:serving:request_count{model_name=\"m\"} 5\nvllm:num_requests_waiting 2\n";
    let exposition = prometheus(text);
    let names: Vec<&str> = exposition.samples.iter().map(|s| &*s.name).collect();
    assert_eq!(names, [":tensorflow:serving:request_count", "vllm:num_requests_waiting"]);
    assert_eq!(exposition.samples[1].value, 2.0);
}

#[test]
fn a_quoted_utf8_name_may_be_the_first_item_in_the_braces() {
    let (name, labels, value, _) = single(&prometheus("{\"a.b\",x=\"y\"} 1\n"));
    assert_eq!((name.as_str(), labels, value), ("a.b", pairs(&[("x", "y")]), 1.0));
}

#[test]
fn a_quoted_utf8_name_may_come_before_the_braces() {
    let (name, labels, value, _) = single(&prometheus("\"a.b\"{x=\"y\"} 2\n"));
    assert_eq!((name.as_str(), labels, value), ("a.b", pairs(&[("x", "y")]), 2.0));
}

#[test]
fn a_quoted_name_may_stand_alone_and_hold_any_character() {
    let exposition = prometheus("{\"température.°C\"} 21.5\n\"http.server.duration\" 3\n");
    assert_eq!(exposition.skipped, 0);
    assert_eq!(exposition.samples[0].name, "température.°C");
    assert_eq!(exposition.samples[0].value, 21.5);
    assert_eq!(exposition.samples[1].name, "http.server.duration");
    assert_eq!(exposition.samples[1].value, 3.0);
}

#[test]
fn label_names_may_be_quoted() {
    let (_, labels, _, _) = single(&prometheus("{\"my.metric\",\"service.name\"=\"api\",zone=\"eu\"} 1\n"));
    assert_eq!(labels, pairs(&[("service.name", "api"), ("zone", "eu")]));
}

#[test]
fn a_metric_named_twice_is_malformed() {
    let exposition = prometheus("\"a\"{\"b\"} 1\n");
    assert_eq!(error_kinds(&exposition), [(1, LineErrorKind::DuplicateMetricName)]);
}

#[test]
fn label_value_escapes_are_decoded() {
    let (_, labels, _, _) = single(&prometheus(r#"m{path="C:\\dir",quote="say \"hi\"",text="one\ntwo"} 1"#));
    assert_eq!(labels, pairs(&[("path", "C:\\dir"), ("quote", "say \"hi\""), ("text", "one\ntwo")]));
}

#[test]
fn label_values_may_hold_commas_equals_braces_quotes_and_hashes() {
    let text = r##"m{a="x,y",b="k=v",c="{}}",d="\"",e="#1 # 2",f=""} 3"##;
    let (_, labels, value, _) = single(&prometheus(text));
    let expected = [("a", "x,y"), ("b", "k=v"), ("c", "{}}"), ("d", "\""), ("e", "#1 # 2"), ("f", "")];
    assert_eq!(labels, pairs(&expected));
    assert_eq!(value, 3.0);
}

#[test]
fn unknown_escapes_are_kept_as_written() {
    // Prometheus leaves any escape other than \\, \" and \n as it is.
    let (_, labels, _, _) = single(&prometheus(r#"m{a="tab\there",b="end\\"} 1"#));
    assert_eq!(labels, pairs(&[("a", "tab\\there"), ("b", "end\\")]));
}

#[test]
fn strings_without_escapes_are_borrowed_and_others_owned() {
    let exposition = prometheus("m{plain=\"v\",escaped=\"a\\\"b\"} 1\n");
    let labels = exposition.labels(&exposition.samples[0]);
    assert!(matches!(exposition.samples[0].name, Cow::Borrowed("m")));
    assert!(matches!(labels[0].name, Cow::Borrowed("plain")));
    assert!(matches!(labels[0].value, Cow::Borrowed("v")));
    assert!(matches!(&labels[1].value, Cow::Owned(value) if value == "a\"b"));
}

#[test]
fn a_comma_before_the_closing_brace_is_allowed() {
    let text = "ts_inference_requests_total{model_name=\"resnet-18\",model_version=\"default\",} 3.0\n";
    let (_, labels, value, _) = single(&prometheus(text));
    assert_eq!(labels, pairs(&[("model_name", "resnet-18"), ("model_version", "default")]));
    assert_eq!(value, 3.0);
}

#[test]
fn empty_braces_mean_no_labels() {
    let (name, labels, value, _) = single(&prometheus("up{} 1\n"));
    assert_eq!((name.as_str(), labels.len(), value), ("up", 0, 1.0));
}

#[test]
fn labels_keep_their_order_with_le_anywhere() {
    let text = "d_bucket{app=\"a\",le=\"0.5\",path=\"/infer\"} 4\n";
    let exposition = prometheus(text);
    let (_, labels, _, _) = single(&exposition);
    assert_eq!(labels, pairs(&[("app", "a"), ("le", "0.5"), ("path", "/infer")]));
    assert_eq!(exposition.label(&exposition.samples[0], "le"), Some("0.5"));
}

#[test]
fn blanks_may_surround_every_token_of_a_label_set() {
    let (name, labels, value, _) = single(&prometheus("m { a = \"1\" ,\tb=\"2\" , } 7\n"));
    assert_eq!((name.as_str(), labels, value), ("m", pairs(&[("a", "1"), ("b", "2")]), 7.0));
}

#[test]
fn tabs_and_runs_of_spaces_separate_tokens() {
    let exposition = prometheus("  a\t\t1\t 1700000000000  \nb{x=\"y\"}    2\n");
    assert_eq!(exposition.skipped, 0);
    assert_eq!(exposition.samples[0].name, "a");
    assert_eq!(exposition.samples[0].value, 1.0);
    assert_eq!(exposition.samples[0].timestamp_ms, Some(1_700_000_000_000));
    assert_eq!(exposition.samples[1].value, 2.0);
}

#[test]
fn crlf_line_endings_are_taken() {
    let text = "# HELP a Total requests\r\n# TYPE a counter\r\na{x=\"y\"} 1\r\nb 2 1000\r\n";
    let exposition = prometheus(text);
    assert_eq!(exposition.skipped, 0);
    assert_eq!(exposition.families[0].help.as_deref(), Some("Total requests"));
    assert_eq!(exposition.families[0].metric_type, MetricType::Counter);
    assert_eq!(exposition.label(&exposition.samples[0], "x"), Some("y"));
    assert_eq!(exposition.samples[1].value, 2.0);
    assert_eq!(exposition.samples[1].timestamp_ms, Some(1000));
}

#[test]
fn a_missing_final_newline_loses_nothing() {
    let exposition = prometheus("a 1\nb{c=\"d\"} 2");
    assert_eq!(exposition.samples.len(), 2);
    assert_eq!(exposition.samples[1].value, 2.0);
    assert_eq!(exposition.label(&exposition.samples[1], "c"), Some("d"));
}

#[test]
fn nan_and_infinities_are_values_in_the_spellings_go_takes() {
    let text = "a NaN\nb +Inf\nc -Inf\nd Inf\ne +inf\nf -infinity\ng nan\nh 1.5e3\ni -0.25\nj .5\n";
    let exposition = prometheus(text);
    assert_eq!(exposition.skipped, 0, "{:?}", exposition.errors);
    let values: Vec<f64> = exposition.samples.iter().map(|s| s.value).collect();
    assert!(values[0].is_nan() && values[6].is_nan());
    assert_eq!(values[1..6], [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY]);
    assert_eq!(values[7..], [1500.0, -0.25, 0.5]);
}

#[test]
fn a_value_that_is_not_a_number_is_malformed() {
    let exposition = prometheus("a one\nb 0x1p3\nc 1,5\nd\n");
    let expected = [
        (1, LineErrorKind::InvalidValue),
        (2, LineErrorKind::InvalidValue),
        (3, LineErrorKind::InvalidValue),
        (4, LineErrorKind::MissingValue),
    ];
    assert_eq!(error_kinds(&exposition), expected);
    assert!(exposition.samples.is_empty());
}

#[test]
fn prometheus_timestamps_are_integer_milliseconds() {
    let exposition = prometheus("a 1 1395066363000\nb 2 -5\n");
    assert_eq!(exposition.format, Format::Prometheus);
    assert_eq!(exposition.samples[0].timestamp_ms, Some(1_395_066_363_000));
    assert_eq!(exposition.samples[1].timestamp_ms, Some(-5));
}

#[test]
fn a_float_timestamp_in_prometheus_text_is_malformed() {
    let exposition = prometheus("a 1 1395066363.5\nb 2\n");
    assert_eq!(error_kinds(&exposition), [(1, LineErrorKind::InvalidTimestamp)]);
    assert_eq!(exposition.samples.len(), 1);
}

#[test]
fn openmetrics_timestamps_are_float_seconds_given_in_milliseconds() {
    let text = "a_total 1 1520879607.789\nb 2 1520879607\nc 3 1.5e9\n# EOF\n";
    let exposition = parse(text, Format::OpenMetrics);
    let timestamps: Vec<Option<i64>> = exposition.samples.iter().map(|s| s.timestamp_ms).collect();
    assert_eq!(timestamps, [Some(1_520_879_607_789), Some(1_520_879_607_000), Some(1_500_000_000_000)]);
}

#[test]
fn auto_reads_openmetrics_when_the_last_line_is_eof() {
    let openmetrics = parse("a 1 1520879607.5\n# EOF\n\n", Format::Auto);
    assert_eq!(openmetrics.format, Format::OpenMetrics);
    assert_eq!(openmetrics.samples[0].timestamp_ms, Some(1_520_879_607_500));

    let prometheus = parse("a 1 1520879607500\n", Format::Auto);
    assert_eq!(prometheus.format, Format::Prometheus);
    assert_eq!(prometheus.samples[0].timestamp_ms, Some(1_520_879_607_500));

    // `# EOF` must be a line of its own.
    assert_eq!(parse("a 1\nb 2 # EOF", Format::Auto).format, Format::Prometheus);
    assert_eq!(parse("# EOF", Format::Auto).format, Format::OpenMetrics);
}

#[test]
fn the_content_type_names_the_format() {
    let openmetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    assert_eq!(Format::from_content_type(openmetrics), Format::OpenMetrics);
    assert_eq!(Format::from_content_type("text/plain; version=0.0.4; charset=utf-8"), Format::Prometheus);
    assert_eq!(Format::from_content_type("application/json"), Format::Auto);
    assert_eq!(Format::from_content_type(""), Format::Auto);
}

#[test]
fn exemplars_after_the_value_or_timestamp_are_skipped_without_error() {
    let text = concat!(
        "a_bucket{le=\"0.5\"} 3 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n",
        "a_bucket{le=\"+Inf\"} 4 1520879607.789 # {trace_id=\"oHg5SJYRHA0\"} 9.8 1520879602.789\n",
        "b_total 5 #{}\n",
        "# EOF\n",
    );
    let exposition = parse(text, Format::Auto);
    assert_eq!(exposition.skipped, 0, "{:?}", exposition.errors);
    let values: Vec<(f64, Option<i64>)> = exposition.samples.iter().map(|s| (s.value, s.timestamp_ms)).collect();
    assert_eq!(values, [(3.0, None), (4.0, Some(1_520_879_607_789)), (5.0, None)]);
}

#[test]
fn text_after_the_timestamp_that_is_not_an_exemplar_is_malformed() {
    let exposition = prometheus("a 1 1000 extra\nb 2 1000 # exemplar\n");
    assert_eq!(error_kinds(&exposition), [(1, LineErrorKind::TrailingText)]);
    assert_eq!(exposition.samples[0].name, "b");
}

#[test]
fn help_type_and_unit_declare_a_family() {
    let text = concat!(
        "# HELP request_seconds Time to serve, in seconds \\\\ with \\n escapes\n",
        "# TYPE request_seconds histogram\n",
        "# UNIT request_seconds seconds\n",
        "request_seconds_count 1\n",
    );
    let exposition = prometheus(text);
    assert_eq!(exposition.skipped, 0);
    let family = exposition.family_named("request_seconds").expect("declared");
    assert_eq!(family.help.as_deref(), Some("Time to serve, in seconds \\ with \n escapes"));
    assert_eq!(family.metric_type, MetricType::Histogram);
    assert_eq!(family.unit.as_deref(), Some("seconds"));
    assert_eq!(exposition.families.len(), 1);
}

#[test]
fn an_empty_help_text_is_empty() {
    let exposition = prometheus("# HELP a\n# TYPE a gauge\na 1\n");
    assert_eq!(exposition.families[0].help.as_deref(), Some(""));
    assert_eq!(exposition.metric_type(&exposition.samples[0]), MetricType::Gauge);
}

#[test]
fn descriptors_may_name_a_quoted_family() {
    let exposition = prometheus("# TYPE \"http.server.duration\" histogram\n{\"http.server.duration_count\"} 4\n");
    assert_eq!(exposition.families[0].name, "http.server.duration");
    assert_eq!(exposition.family_name(&exposition.samples[0]), "http.server.duration");
}

#[test]
fn other_comments_are_ignored_and_not_counted() {
    let text = "# just a note\n#HELPER not a descriptor\n#\n  # indented\n# EOFX\na 1\n";
    let exposition = prometheus(text);
    assert_eq!(exposition.skipped, 0);
    assert!(exposition.families.is_empty());
    assert_eq!(exposition.samples.len(), 1);
}

#[test]
fn blank_lines_and_leading_blanks_are_taken() {
    let exposition = prometheus("\n\n   \n\t a 1\n\n");
    let (name, _, value, _) = single(&exposition);
    assert_eq!((name.as_str(), value), ("a", 1.0));
}

#[test]
fn every_metric_type_of_both_formats_is_recognised() {
    let text = concat!(
        "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d summary\n# TYPE e untyped\n",
        "# TYPE f unknown\n# TYPE g gaugehistogram\n# TYPE h stateset\n# TYPE i info\n# TYPE j COUNTER\n",
    );
    let exposition = prometheus(text);
    assert_eq!(exposition.skipped, 0);
    let types: Vec<MetricType> = exposition.families.iter().map(|f| f.metric_type).collect();
    use MetricType::*;
    assert_eq!(types, [Counter, Gauge, Histogram, Summary, Unknown, Unknown, GaugeHistogram, StateSet, Info, Counter]);
}

#[test]
fn a_type_line_with_an_unknown_or_missing_type_is_malformed() {
    let exposition = prometheus("# TYPE a countr\n# TYPE b\n# TYPE c gauge extra\n# TYPE\n");
    let expected = [
        (1, LineErrorKind::UnknownType),
        (2, LineErrorKind::MissingType),
        (3, LineErrorKind::TrailingText),
        (4, LineErrorKind::MissingMetricName),
    ];
    assert_eq!(error_kinds(&exposition), expected);
}

#[test]
fn histogram_samples_keep_their_suffix_and_know_their_family() {
    let text = concat!(
        "# TYPE latency histogram\n",
        "latency_sum{m=\"a\"} 0.75\n",
        "latency_bucket{le=\"0.5\",m=\"a\"} 2\n",
        "latency_bucket{le=\"+Inf\",m=\"a\"} 3\n",
        "latency_count{m=\"a\"} 3\n",
        "latency_created{m=\"a\"} 1.7e9\n",
    );
    let exposition = prometheus(text);
    let names: Vec<&str> = exposition.samples.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["latency_sum", "latency_bucket", "latency_bucket", "latency_count", "latency_created"]);
    for sample in &exposition.samples {
        assert_eq!(exposition.family_name(sample), "latency");
        assert_eq!(exposition.metric_type(sample), MetricType::Histogram);
    }
    let inf = exposition.find("latency_bucket", &[("le", "+Inf")]).expect("+Inf bucket");
    assert_eq!(inf.value, 3.0);
}

#[test]
fn summary_samples_know_their_family() {
    let text = concat!(
        "# TYPE rpc summary\n",
        "rpc{quantile=\"0.99\"} 0.2\n",
        "rpc_sum 10\n",
        "rpc_count 50\n",
        "rpc_bucket 1\n",
    );
    let exposition = prometheus(text);
    let families: Vec<Option<&str>> =
        exposition.samples.iter().map(|s| exposition.family(s).map(|f| &*f.name)).collect();
    // `_bucket` is no suffix of a summary.
    assert_eq!(families, [Some("rpc"), Some("rpc"), Some("rpc"), None]);
}

#[test]
fn openmetrics_suffixes_of_counters_info_and_gauge_histograms_find_their_family() {
    let text = concat!(
        "# TYPE requests counter\n",
        "requests_total 5\n",
        "requests_created 1.7e9\n",
        "# TYPE build info\n",
        "build_info{version=\"1.2\"} 1\n",
        "# TYPE queue gaugehistogram\n",
        "queue_bucket{le=\"+Inf\"} 4\n",
        "queue_gsum 9\n",
        "queue_gcount 4\n",
        "# TYPE state stateset\n",
        "state{state=\"ready\"} 1\n",
        "# EOF\n",
    );
    let exposition = parse(text, Format::Auto);
    assert_eq!(exposition.skipped, 0);
    let families: Vec<(&str, MetricType)> =
        exposition.samples.iter().map(|s| (exposition.family_name(s), exposition.metric_type(s))).collect();
    use MetricType::*;
    let expected = [
        ("requests", Counter),
        ("requests", Counter),
        ("build", Info),
        ("queue", GaugeHistogram),
        ("queue", GaugeHistogram),
        ("queue", GaugeHistogram),
        ("state", StateSet),
    ];
    assert_eq!(families, expected);
}

#[test]
fn a_family_named_exactly_like_a_sample_wins_over_a_suffix_match() {
    // Python's prometheus_client declares `x_created` as a gauge family of its own.
    let text = concat!("# TYPE x histogram\n", "x_count 1\n", "# TYPE x_created gauge\n", "x_created 1.7e9\n",);
    let exposition = prometheus(text);
    assert_eq!(exposition.family_name(&exposition.samples[0]), "x");
    assert_eq!(exposition.family_name(&exposition.samples[1]), "x_created");
    assert_eq!(exposition.metric_type(&exposition.samples[1]), MetricType::Gauge);
}

#[test]
fn samples_find_their_family_when_families_interleave_or_come_late() {
    let text = concat!(
        "late_total 1\n",
        "# TYPE a counter\n",
        "# TYPE b histogram\n",
        "a_total 2\n",
        "b_count 3\n",
        "a_total{x=\"y\"} 4\n",
        "# TYPE late counter\n",
    );
    let exposition = prometheus(text);
    let families: Vec<&str> = exposition.samples.iter().map(|s| exposition.family_name(s)).collect();
    assert_eq!(families, ["late", "a", "b", "a"]);
    assert_eq!(exposition.metric_type(&exposition.samples[0]), MetricType::Counter);
}

#[test]
fn samples_without_a_declared_family_are_unknown_under_their_own_name() {
    let exposition = prometheus("# TYPE other gauge\nfree_count 1\nfree_count 2\n");
    for sample in &exposition.samples {
        assert!(exposition.family(sample).is_none());
        assert_eq!(exposition.family_name(sample), "free_count");
        assert_eq!(exposition.metric_type(sample), MetricType::Unknown);
    }
}

#[test]
fn label_lookups_find_values_and_samples() {
    let text = "m{model=\"iris\",version=\"v1\"} 7\nm{model=\"iris\",version=\"None\"} 1\nn 3\n";
    let exposition = prometheus(text);
    let first = &exposition.samples[0];
    assert_eq!(exposition.label(first, "model"), Some("iris"));
    assert_eq!(exposition.label(first, "absent"), None);
    assert_eq!(exposition.labels(&exposition.samples[2]), &[]);
    assert_eq!(exposition.find("m", &[("version", "None")]).map(|s| s.value), Some(1.0));
    assert_eq!(exposition.find("m", &[]).map(|s| s.value), Some(7.0));
    assert!(exposition.find("m", &[("version", "v2")]).is_none());
    assert_eq!(exposition.samples_named("m").count(), 2);
}

#[test]
fn malformed_lines_are_skipped_and_counted_with_their_line_numbers() {
    let text = concat!(
        "good_one 1\n",              // 1
        "bad{a=\"unterminated} 1\n", // 2
        "bad{a=\"1\" b=\"2\"} 1\n",  // 3
        "bad{a=1} 1\n",              // 4
        "bad{a=\"1\"\n",             // 5
        "bad{=\"1\"} 1\n",           // 6
        "bad{1a=\"1\"} 1\n",         // 7
        "bad{a \"1\"} 1\n",          // 8
        "9bad 1\n",                  // 9
        "bad-name 1\n",              // 10
        "{a=\"1\"} 1\n",             // 11
        "good_two{x=\"y\"} 2\n",     // 12
    );
    let exposition = prometheus(text);
    let names: Vec<&str> = exposition.samples.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["good_one", "good_two"]);
    assert_eq!(exposition.label(&exposition.samples[1], "x"), Some("y"));
    assert_eq!(exposition.skipped, 10);
    use LineErrorKind::*;
    let expected = [
        (2, UnterminatedString),
        (3, ExpectedCommaOrBrace),
        (4, ExpectedQuote),
        (5, UnterminatedLabelSet),
        (6, InvalidLabelName),
        (7, InvalidLabelName),
        (8, ExpectedEquals),
        (9, InvalidMetricName),
        (10, InvalidMetricName),
        (11, MissingMetricName),
    ];
    assert_eq!(error_kinds(&exposition), expected);
    assert_eq!(exposition.errors[0].to_string(), "line 2: a quoted string has no closing quote");
}

#[test]
fn a_skipped_line_leaves_no_labels_behind() {
    let exposition = prometheus("a{x=\"1\",y=\"2\",z=oops} 1\nb{w=\"3\"} 2\n");
    assert_eq!(exposition.skipped, 1);
    assert_eq!(exposition.labels(&exposition.samples[0]).len(), 1);
    assert_eq!(exposition.label(&exposition.samples[0], "w"), Some("3"));
}

#[test]
fn only_the_first_errors_are_kept_but_all_are_counted() {
    let text = "oops\n".repeat(25) + "fine 1\n";
    let exposition = prometheus(&text);
    assert_eq!(exposition.skipped, 25);
    assert_eq!(exposition.errors.len(), MAX_RECORDED_ERRORS);
    let lines: Vec<usize> = exposition.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, (1..=MAX_RECORDED_ERRORS).collect::<Vec<_>>());
    assert_eq!(exposition.samples.len(), 1);
}

#[test]
fn lines_after_eof_are_skipped_and_counted() {
    let exposition = parse("a 1\n# EOF\nb 2\n# comment\n\nc{ 3\n", Format::OpenMetrics);
    assert_eq!(exposition.samples.len(), 1);
    assert_eq!(
        error_kinds(&exposition),
        [(3, LineErrorKind::AfterEof), (4, LineErrorKind::AfterEof), (6, LineErrorKind::AfterEof)]
    );
}

#[test]
fn a_line_of_invalid_utf8_is_skipped_and_the_rest_kept() {
    let bytes = b"a{x=\"caf\xc3\xa9\"} 1\nb{x=\"\xff\xfe\"} 2\nc 3";
    let exposition = parse_bytes(bytes, Format::Auto);
    let names: Vec<&str> = exposition.samples.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["a", "c"]);
    assert_eq!(exposition.label(&exposition.samples[0], "x"), Some("café"));
    assert_eq!(error_kinds(&exposition), [(2, LineErrorKind::InvalidUtf8)]);
}

#[test]
fn valid_bytes_parse_like_text() {
    let exposition = parse_bytes(b"a{x=\"y\"} 1 1000\n", Format::Prometheus);
    assert_eq!(single(&exposition), ("a".into(), pairs(&[("x", "y")]), 1.0, Some(1000)));
}

#[test]
fn empty_input_is_an_empty_exposition() {
    let exposition = parse("", Format::Auto);
    assert!(exposition.samples.is_empty() && exposition.families.is_empty());
    assert_eq!((exposition.skipped, exposition.format), (0, Format::Prometheus));
}

#[test]
fn a_name_must_be_followed_by_a_blank_or_a_brace() {
    // Without this rule `foo-1 2` would read as `foo` with value -1 at timestamp 2.
    let exposition = prometheus("foo-1 2\nfoo\"x\" 1\n");
    assert_eq!(
        error_kinds(&exposition),
        [(1, LineErrorKind::InvalidMetricName), (2, LineErrorKind::InvalidMetricName)]
    );
}

#[test]
fn a_name_like_the_previous_line_s_is_still_read_whole() {
    // The parser compares each name with the last one first; a longer or different name
    // that starts the same must not be taken for it.
    let exposition = prometheus("foo 1\nfoobar 2\nfoo{a=\"b\"} 3\nfoo.bar 4\nfoo\t5\n");
    let names: Vec<&str> = exposition.samples.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["foo", "foobar", "foo", "foo"]);
    assert_eq!(error_kinds(&exposition), [(4, LineErrorKind::InvalidMetricName)]);
}

#[test]
fn a_quoted_name_is_never_taken_as_a_bare_one() {
    let exposition = prometheus("{\"a.b\"} 1\na.b 2\n");
    assert_eq!(exposition.samples.len(), 1);
    assert_eq!(error_kinds(&exposition), [(2, LineErrorKind::InvalidMetricName)]);
}
