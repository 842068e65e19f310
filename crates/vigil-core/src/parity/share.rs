//! A parity check's share in words, as its report, the rollouts' parity gate and the window write
//! it. Its own module, with no imports, so that the gate can use it without reaching the domain.

/// A share as a percentage to one decimal, rounded down so that a share below a bound never
/// reads as the bound ("99.8 %" for 0.99899; "100 %" only when every row matched).
pub fn share_words(share: f64) -> String {
    let tenths = (share * 1000.0 + 1e-9).floor() / 10.0;
    if tenths >= 100.0 || (tenths <= 0.0 && share <= 0.0) {
        format!("{tenths:.0} %")
    } else {
        format!("{tenths:.1} %")
    }
}

#[cfg(test)]
mod tests {
    use super::share_words;

    #[test]
    fn a_share_below_its_bound_never_reads_as_the_bound() {
        assert_eq!(share_words(0.99899), "99.8 %");
        assert_eq!(share_words(0.999), "99.9 %");
        assert_eq!(share_words(1.0), "100 %");
        assert_eq!(share_words(0.0), "0 %");
        assert_eq!(share_words(2.0 / 3.0), "66.6 %");
        assert_eq!(share_words(0.0004), "0.0 %");
    }
}
