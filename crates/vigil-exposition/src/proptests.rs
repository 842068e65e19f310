//! Properties over generated input: nothing makes the parser panic, and well-formed samples
//! survive being written out and read back.

use std::fmt::Write as _;

use proptest::prelude::*;

use super::fixture_tests::FIXTURES;
use super::*;

/// Checks what holds for any exposition, however bad its input.
fn assert_consistent(exposition: &Exposition<'_>) {
    assert!(exposition.errors.len() <= MAX_RECORDED_ERRORS);
    assert!(exposition.skipped >= exposition.errors.len());
    assert_ne!(exposition.format, Format::Auto);
    for sample in &exposition.samples {
        let _ = exposition.labels(sample);
        let _ = exposition.family_name(sample);
    }
}

/// A change to a fixture: replace, insert or delete one byte somewhere.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to the grammar come up more often than chance would give them.
    let byte = prop_oneof![
        3 => prop::sample::select(b"{}=,\"\\# \t\r\n.+-eE0123456789_:".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(at, b)| Mutation::Replace(at, b)),
        (any::<usize>(), byte).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Delete),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for change in mutations {
        let len = bytes.len().max(1);
        match *change {
            Mutation::Replace(at, byte) if !bytes.is_empty() => bytes[at % len] = byte,
            Mutation::Insert(at, byte) => bytes.insert(at % (bytes.len() + 1), byte),
            Mutation::Delete(at) if !bytes.is_empty() => {
                bytes.remove(at % len);
            }
            _ => {}
        }
    }
    bytes
}

/// A sample as a generator makes it, before it is written out.
#[derive(Debug, Clone)]
struct GeneratedSample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
    timestamp_ms: Option<i64>,
}

fn label_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec!['"', '\\', '\n', ',', '=', '}', '{', '#', ' ', '\t', 'é', '€']);
    prop::collection::vec(prop_oneof![2 => any::<char>(), 1 => special], 0..12)
        .prop_map(|chars| chars.into_iter().collect())
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (0u32..100_000).prop_map(f64::from),
    ]
}

fn generated_sample() -> impl Strategy<Value = GeneratedSample> {
    let bare_name = "[a-zA-Z_:][a-zA-Z0-9_:]{0,20}";
    let name = prop_oneof![bare_name.prop_map(String::from), label_text()];
    let label = ("[a-zA-Z_][a-zA-Z0-9_]{0,10}".prop_map(String::from), label_text());
    let labels = prop::collection::vec(label, 0..5);
    let timestamp = prop::option::of(0i64..4_000_000_000_000);
    (name, labels, value(), timestamp).prop_map(|(name, labels, value, timestamp_ms)| GeneratedSample {
        name,
        labels,
        value,
        timestamp_ms,
    })
}

/// The ways a writer may lay out the same sample.
#[derive(Debug, Clone, Copy)]
struct Layout {
    separator: &'static str,
    trailing_comma: bool,
    crlf: bool,
    name_inside_braces: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (prop::sample::select(vec![" ", "\t", "  ", " \t "]), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(separator, trailing_comma, crlf, name_inside_braces)| Layout {
            separator,
            trailing_comma,
            crlf,
            name_inside_braces,
        },
    )
}

fn quote(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!("\"{escaped}\"")
}

fn is_bare_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

fn render_value(value: f64) -> String {
    match value {
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v if v.is_nan() => "NaN".into(),
        v => format!("{v:?}"),
    }
}

fn render(samples: &[GeneratedSample], layout: Layout, openmetrics: bool) -> String {
    let mut text = String::new();
    for sample in samples {
        let mut items: Vec<String> = sample.labels.iter().map(|(n, v)| format!("{n}={}", quote(v))).collect();
        let bare = is_bare_name(&sample.name);
        if bare || !layout.name_inside_braces {
            text.push_str(&if bare { sample.name.clone() } else { quote(&sample.name) });
        } else {
            items.insert(0, quote(&sample.name));
        }
        if !items.is_empty() {
            let comma = if layout.trailing_comma { "," } else { "" };
            let _ = write!(text, "{{{}{comma}}}", items.join(","));
        }
        let _ = write!(text, "{}{}", layout.separator, render_value(sample.value));
        if let Some(ms) = sample.timestamp_ms {
            let timestamp = if openmetrics { format!("{}.{:03}", ms / 1000, ms % 1000) } else { ms.to_string() };
            let _ = write!(text, "{}{timestamp}", layout.separator);
        }
        text.push_str(if layout.crlf { "\r\n" } else { "\n" });
    }
    if openmetrics {
        text.push_str("# EOF\n");
    }
    text
}

fn assert_round_trip(samples: &[GeneratedSample], exposition: &Exposition<'_>) {
    assert_eq!(exposition.skipped, 0, "{:?}", exposition.errors);
    assert_eq!(exposition.samples.len(), samples.len());
    for (expected, parsed) in samples.iter().zip(&exposition.samples) {
        assert_eq!(parsed.name, expected.name);
        let labels: Vec<(String, String)> =
            exposition.labels(parsed).iter().map(|l| (l.name.to_string(), l.value.to_string())).collect();
        assert_eq!(labels, expected.labels);
        assert!(
            parsed.value.to_bits() == expected.value.to_bits() || (parsed.value.is_nan() && expected.value.is_nan()),
            "{} != {}",
            parsed.value,
            expected.value
        );
        assert_eq!(parsed.timestamp_ms, expected.timestamp_ms);
    }
}

proptest! {
    #[test]
    fn values_read_exactly_as_the_standard_library_reads_them(
        text in "-?[0-9]{0,20}(\\.[0-9]{0,25})?([eE][+-]?[0-9]{1,3})?"
    ) {
        let ours = super::cursor::parse_value(&text);
        let std = text.parse::<f64>().ok();
        prop_assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits));
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        assert_consistent(&parse_bytes(&bytes, Format::Auto));
        assert_consistent(&parse_bytes(&bytes, Format::OpenMetrics));
    }

    #[test]
    fn random_text_of_the_format_s_own_characters_never_panics(
        text in "[a-z_:{}=,\"\\\\# \t\r\n0-9.+eE-]{0,300}"
    ) {
        assert_consistent(&parse(&text, Format::Prometheus));
        assert_consistent(&parse(&text, Format::OpenMetrics));
    }

    #[test]
    fn random_unicode_text_never_panics(text in "\\PC{0,200}") {
        assert_consistent(&parse(&text, Format::Auto));
    }

    #[test]
    fn mutated_fixtures_never_panic(
        fixture in 0..FIXTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..20),
    ) {
        let bytes = apply(FIXTURES[fixture].1.as_bytes().to_vec(), &mutations);
        let exposition = parse_bytes(&bytes, Format::Auto);
        assert_consistent(&exposition);
        // One changed byte spoils at most the lines it touches: most samples survive.
        let original = parse(FIXTURES[fixture].1, Format::Auto).samples.len();
        prop_assert!(exposition.samples.len() + 2 * mutations.len() + exposition.skipped >= original);
    }

    #[test]
    fn written_samples_read_back_the_same_in_prometheus_text(
        samples in prop::collection::vec(generated_sample(), 0..8),
        layout in layout(),
    ) {
        let text = render(&samples, layout, false);
        let exposition = parse(&text, Format::Auto);
        prop_assert_eq!(exposition.format, Format::Prometheus);
        assert_round_trip(&samples, &exposition);
    }

    #[test]
    fn written_samples_read_back_the_same_in_openmetrics(
        samples in prop::collection::vec(generated_sample(), 0..8),
        layout in layout(),
    ) {
        let text = render(&samples, layout, true);
        let exposition = parse(&text, Format::Auto);
        prop_assert_eq!(exposition.format, Format::OpenMetrics);
        assert_round_trip(&samples, &exposition);
    }
}
