//! Writing the Prometheus text format: families with their `# HELP` and `# TYPE` lines, label
//! sets with escaped values, and numbers the way each server's client library prints them.

use std::fmt::Write;

use super::{Histogram, PYTHON_BUCKETS};

/// Where a histogram's `_sum` goes: before its buckets (MLServer) or last (KServe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumAt {
    First,
    Last,
}

/// How a server's metrics library prints numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// Python's `prometheus_client` (MLServer, KServe): always a float, `7.0`, `2.21175808e+08`.
    Python,
    /// Triton's C++ client (prometheus-cpp): whole numbers without a decimal point, others as
    /// the shortest float, `Nan` for not-a-number.
    Cpp,
}

/// A metrics page being written.
pub struct Page {
    text: String,
    numbers: Numbers,
}

impl Page {
    pub fn new(numbers: Numbers) -> Page {
        Page { text: String::with_capacity(8 * 1024), numbers }
    }

    /// Starts a family: its help text and type (`counter`, `gauge`, `histogram`, `summary`).
    pub fn family(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One sample: `name{label="value",...} number`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (index, (label, value)) in labels.iter().enumerate() {
                if index > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", self.number(value));
    }

    /// A histogram's samples: `_bucket` per bound with `le` among the labels (sorted by name,
    /// as Python's client writes them), `_count` and `_sum`.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], histogram: &Histogram, sum_at: SumAt) {
        let (sum, count) = (format!("{name}_sum"), format!("{name}_count"));
        if sum_at == SumAt::First {
            self.sample(&sum, labels, histogram.sum);
        }
        let bucket = format!("{name}_bucket");
        let bounds = PYTHON_BUCKETS.iter().map(|b| python_float(*b)).chain(["+Inf".to_owned()]);
        for (bound, cumulative) in bounds.zip(histogram.cumulative) {
            let mut with_le: Vec<(&str, &str)> = labels.to_vec();
            with_le.push(("le", &bound));
            with_le.sort_by_key(|(label, _)| *label);
            self.sample(&bucket, &with_le, cumulative as f64);
        }
        self.sample(&count, labels, histogram.count() as f64);
        if sum_at == SumAt::Last {
            self.sample(&sum, labels, histogram.sum);
        }
    }

    fn number(&self, value: f64) -> String {
        match self.numbers {
            Numbers::Cpp if value.is_nan() => "Nan".into(),
            Numbers::Cpp if value.is_infinite() => if value > 0.0 { "+Inf" } else { "-Inf" }.into(),
            Numbers::Cpp if value.fract() == 0.0 && value.abs() < 1e15 => format!("{}", value as i64),
            Numbers::Cpp => format!("{value}"),
            Numbers::Python => python_float(value),
        }
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

/// A float as `prometheus_client` prints it: Python's `repr`, with large numbers (more than
/// six digits before the point) in exponent form.
fn python_float(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let repr = format!("{value}");
    let repr = if repr.contains(['.', 'e']) { repr } else { format!("{repr}.0") };
    match repr.find('.') {
        Some(dot) if value > 0.0 && dot > 6 => {
            let digits = format!("{}{}", &repr[1..dot], &repr[dot + 1..]);
            let mantissa = digits.trim_end_matches('0');
            let mantissa = if mantissa.is_empty() { String::new() } else { format!(".{mantissa}") };
            format!("{}{mantissa}e+0{}", &repr[..1], dot - 1)
        }
        _ => repr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_each_client_library_prints_them() {
        assert_eq!(python_float(7.0), "7.0");
        assert_eq!(python_float(0.034502069000154734), "0.034502069000154734");
        assert_eq!(python_float(221175808.0), "2.21175808e+08");
        assert_eq!(python_float(1795886033.33), "1.79588603333e+09");
        assert_eq!(python_float(3.68), "3.68");
        let cpp = Page::new(Numbers::Cpp);
        assert_eq!((cpp.number(42.0), cpp.number(0.125)), ("42".into(), "0.125".into()));
        assert_eq!(cpp.number(f64::NAN), "Nan");
    }

    #[test]
    fn samples_escape_label_values() {
        let mut page = Page::new(Numbers::Python);
        page.family("m", "A metric", "counter");
        page.sample("m_total", &[("model", "a\"b\\c"), ("version", "1")], 2.0);
        page.sample("up", &[], 1.0);
        assert_eq!(
            page.finish(),
            "# HELP m A metric\n# TYPE m counter\nm_total{model=\"a\\\"b\\\\c\",version=\"1\"} 2.0\nup 1.0\n"
        );
    }

    #[test]
    fn histograms_put_le_in_label_order_and_their_sum_where_the_server_does() {
        let mut histogram = Histogram::default();
        histogram.observe(0.02);
        let mut page = Page::new(Numbers::Python);
        page.histogram("h", &[("app", "a"), ("path", "/p")], &histogram, SumAt::First);
        let text = page.finish();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "h_sum{app=\"a\",path=\"/p\"} 0.02");
        assert_eq!(lines[1], "h_bucket{app=\"a\",le=\"0.005\",path=\"/p\"} 0.0");
        assert_eq!(lines[3], "h_bucket{app=\"a\",le=\"0.025\",path=\"/p\"} 1.0");
        assert_eq!(lines[10], "h_bucket{app=\"a\",le=\"1.0\",path=\"/p\"} 1.0");
        assert_eq!(lines[15], "h_bucket{app=\"a\",le=\"+Inf\",path=\"/p\"} 1.0");
        assert_eq!(lines[16], "h_count{app=\"a\",path=\"/p\"} 1.0");
    }
}
