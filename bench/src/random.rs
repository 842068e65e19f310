//! Seeded draws for the data the benches generate: vigil-core's SplitMix64 with the few
//! distributions they need, so a run is the same from one machine to the next.

use vigil_core::drift::profile::SplitMix64;

pub struct Random(SplitMix64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(SplitMix64::new(seed))
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Poisson (Knuth's product of uniforms; fine for small means).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        let limit = (-lambda).exp();
        let (mut k, mut product) = (0, self.uniform());
        while product > limit {
            k += 1;
            product *= self.uniform();
        }
        k
    }

    /// An index drawn with the given cumulative weights (ending at 1).
    pub fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let u = self.uniform();
        cumulative.iter().position(|edge| u < *edge).unwrap_or(cumulative.len() - 1)
    }

    /// A whole number from `low` to `high`, each as likely.
    pub fn whole(&mut self, low: i64, high: i64) -> i64 {
        low + self.0.below((high - low + 1) as u64) as i64
    }

    /// One of `choices`, each as likely.
    pub fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.0.below(choices.len() as u64) as usize]
    }
}
