//! PromQL label matchers (`job="mlserver",instance=~"10\\.0\\..*"`), read from a server's
//! selector and matched against the series of a Prometheus answer. One Prometheus answer stands
//! for every server registered through it: each server takes the series its own matchers select,
//! as Prometheus itself would.

use regex::Regex;

/// The longest selector Vigil accepts.
pub const MAX_SELECTOR_CHARS: usize = 512;

/// One matcher: a label, how it compares, and the value it compares with.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub label: String,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Equal(String),
    NotEqual(String),
    Matches(Regex),
    DoesNotMatch(Regex),
}

impl Matcher {
    /// Whether a series whose value of this label is `value` (empty when it lacks the label,
    /// as in PromQL) is selected.
    pub fn selects(&self, value: &str) -> bool {
        match &self.test {
            Test::Equal(expected) => value == expected,
            Test::NotEqual(expected) => value != expected,
            Test::Matches(pattern) => pattern.is_match(value),
            Test::DoesNotMatch(pattern) => !pattern.is_match(value),
        }
    }

    /// The one value this matcher selects, when it is an equality with a non-empty value (so a
    /// series lacking the label is not selected): what an index on the label can look up.
    pub fn only_value(&self) -> Option<&str> {
        match &self.test {
            Test::Equal(expected) if !expected.is_empty() => Some(expected),
            _ => None,
        }
    }
}

/// The matchers of `selector` (without braces), or what is wrong with it.
pub fn parse(selector: &str) -> Result<Vec<Matcher>, String> {
    if selector.chars().count() > MAX_SELECTOR_CHARS {
        return Err(format!("the selector is longer than {MAX_SELECTOR_CHARS} characters"));
    }
    let mut rest = selector.trim();
    let mut matchers = Vec::new();
    while !rest.is_empty() {
        let (matcher, after) = matcher(rest).map_err(|why| format!("{why} at “{}”", shorten(rest)))?;
        matchers.push(matcher);
        rest = after.trim_start();
        match rest.strip_prefix(',') {
            Some(after_comma) => rest = after_comma.trim_start(),
            None if rest.is_empty() => {}
            None => return Err(format!("expected a comma between matchers at “{}”", shorten(rest))),
        }
    }
    Ok(matchers)
}

/// One matcher at the start of `text`, and the text after it.
fn matcher(text: &str) -> Result<(Matcher, &str), String> {
    let name_end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    let label = &text[..name_end];
    if label.is_empty() || label.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("expected a label name".to_owned());
    }
    let rest = text[name_end..].trim_start();
    let (operator, rest) = ["=~", "!~", "!=", "="]
        .into_iter()
        .find_map(|operator| rest.strip_prefix(operator).map(|rest| (operator, rest)))
        .ok_or("expected =, !=, =~ or !~ after the label name")?;
    let (value, rest) = quoted(rest.trim_start())?;
    let pattern = || {
        Regex::new(&format!("^(?:{value})$"))
            .map_err(|error| format!("the regular expression {value:?} is not valid: {error}"))
    };
    let test = match operator {
        "=" => Test::Equal(value),
        "!=" => Test::NotEqual(value),
        "=~" => Test::Matches(pattern()?),
        _ => Test::DoesNotMatch(pattern()?),
    };
    Ok((Matcher { label: label.to_owned(), test }, rest))
}

/// A quoted string (double, single or back quotes, as PromQL allows) at the start of `text`,
/// unescaped, and the text after it.
fn quoted(text: &str) -> Result<(String, &str), String> {
    let quote = text.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')).ok_or("expected a quoted value")?;
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((value, &text[at + 1..])),
            '\\' if quote != '`' => match chars.next().map(|(_, escaped)| escaped) {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(escaped) => value.push(escaped),
                None => break,
            },
            c => value.push(c),
        }
    }
    Err("the quoted value is not closed".to_owned())
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selects(selector: &str, labels: &[(&str, &str)]) -> bool {
        let value = |label: &str| labels.iter().find(|(name, _)| *name == label).map_or("", |(_, value)| *value);
        parse(selector).unwrap().iter().all(|matcher| matcher.selects(value(&matcher.label)))
    }

    #[test]
    fn matchers_select_as_promql_does() {
        let series = [("job", "mlserver"), ("instance", "10.0.0.7:8082")];
        assert!(selects(r#"job="mlserver", instance="10.0.0.7:8082""#, &series));
        assert!(!selects(r#"job="mlserver",instance="10.0.0.7:808""#, &series));
        // Regular expressions are anchored at both ends.
        assert!(selects(r#"instance=~"10\\.0\\..*""#, &series));
        assert!(!selects(r#"instance=~"10\\.0""#, &series));
        assert!(selects(r#"instance!~"10\\.1\\..*",job!="triton""#, &series));
        // A label the series lacks reads as empty.
        assert!(selects(r#"zone="""#, &series));
        assert!(!selects(r#"zone!="""#, &series));
        assert!(selects("job='mlserver',", &series));
        assert!(selects("", &series));
    }

    #[test]
    fn only_a_non_empty_equality_can_be_looked_up() {
        let matchers = parse(r#"instance="a:1",job=~"m.*",zone="""#).unwrap();
        let values: Vec<Option<&str>> = matchers.iter().map(Matcher::only_value).collect();
        assert_eq!(values, [Some("a:1"), None, None]);
    }

    #[test]
    fn a_malformed_selector_says_where() {
        let error = |selector: &str| parse(selector).unwrap_err();
        assert_eq!(error(r#"job="m" instance="a""#), "expected a comma between matchers at “instance=\"a\"”");
        assert_eq!(error(r#"job=mlserver"#), "expected a quoted value at “job=mlserver”");
        assert_eq!(error(r#"job="mlserver"#), "the quoted value is not closed at “job=\"mlserver”");
        assert_eq!(error(r#"=~"x""#), "expected a label name at “=~\"x\"”");
        assert_eq!(error(r#"job>"x""#), "expected =, !=, =~ or !~ after the label name at “job>\"x\"”");
        assert!(error(r#"job=~"(""#).starts_with("the regular expression \"(\" is not valid"));
        assert!(error(&"a".repeat(600)).contains("longer than 512"));
    }
}
