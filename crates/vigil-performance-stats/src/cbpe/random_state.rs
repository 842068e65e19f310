//! numpy's legacy `RandomState` (the MT19937 generator, seeded as `RandomState(seed)` seeds it),
//! with exactly the draws scikit-learn's `StratifiedShuffleSplit` makes: `permutation` and
//! `shuffle`. NannyML decides whether to calibrate on splits drawn with `random_state=42`, so the
//! same draws give the same decision.

const STATE_LEN: usize = 624;
const SHIFT: usize = 397;

pub(crate) struct RandomState {
    key: [u32; STATE_LEN],
    position: usize,
}

impl RandomState {
    /// `np.random.RandomState(seed)`.
    pub(crate) fn new(seed: u32) -> RandomState {
        let mut key = [0u32; STATE_LEN];
        key[0] = seed;
        for i in 1..STATE_LEN {
            let previous = key[i - 1];
            key[i] = 1_812_433_253u32.wrapping_mul(previous ^ (previous >> 30)).wrapping_add(i as u32);
        }
        RandomState { key, position: STATE_LEN }
    }

    fn regenerate(&mut self) {
        for i in 0..STATE_LEN {
            let y = (self.key[i] & 0x8000_0000) | (self.key[(i + 1) % STATE_LEN] & 0x7fff_ffff);
            let twisted = (y >> 1) ^ if y & 1 == 1 { 0x9908_b0df } else { 0 };
            self.key[i] = self.key[(i + SHIFT) % STATE_LEN] ^ twisted;
        }
        self.position = 0;
    }

    fn next_u32(&mut self) -> u32 {
        if self.position >= STATE_LEN {
            self.regenerate();
        }
        let mut y = self.key[self.position];
        self.position += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A uniform integer in `0..=max`, by rejection under the smallest covering bit mask, as
    /// numpy's `random_interval` draws it.
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mask = u64::MAX >> max.leading_zeros();
        loop {
            let value = if max <= u64::from(u32::MAX) {
                u64::from(self.next_u32())
            } else {
                (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
            } & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `RandomState.shuffle`: Fisher–Yates from the last item down.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// `RandomState.permutation(n)`.
    pub(crate) fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut items: Vec<usize> = (0..n).collect();
        self.shuffle(&mut items);
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_the_ones_numpy_draws_from_the_same_seed() {
        let fixture = crate::fixture("cbpe.json");
        let reference = &fixture["numpy_permutations"];
        let seed = reference["seed"].as_u64().and_then(|s| u32::try_from(s).ok()).expect("a 32-bit seed");
        let mut rng = RandomState::new(seed);
        let sizes = reference["sizes"].as_array().expect("sizes");
        let draws = reference["draws"].as_array().expect("draws");
        assert_eq!(sizes.len(), draws.len());
        for (size, draw) in sizes.iter().zip(draws) {
            let size = size.as_u64().expect("a size") as usize;
            let expected: Vec<usize> = serde_json::from_value(draw.clone()).expect("a permutation");
            assert_eq!(rng.permutation(size), expected, "permutation({size})");
        }
    }
}
