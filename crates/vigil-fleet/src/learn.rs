//! Deterministic training: the encoding of rows into numbers, logistic regression by a fixed
//! number of full-batch gradient-descent epochs, and linear regression by the normal equations.
//! Same data in, same weights out, bit for bit.

use crate::schema::{Distribution, FeatureKind, FeatureValue, Row, Schema};

/// Turns rows into model inputs: an intercept, then per numeric feature its standardized value
/// (of its logarithm, for log-normal features), per categorical feature one indicator per
/// category. Standardization uses the training data's mean and spread.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoder {
    columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq)]
enum Column {
    Numeric { log: bool, mean: f64, sd: f64 },
    OneHot { categories: usize },
}

impl Encoder {
    /// An encoder for `schema` fitted to `rows`.
    pub fn fit(schema: &Schema, rows: &[Row]) -> Encoder {
        let columns = schema
            .features
            .iter()
            .enumerate()
            .map(|(index, feature)| match &feature.kind {
                FeatureKind::Numeric { distribution, .. } => {
                    let log = matches!(distribution, Distribution::LogNormal { .. });
                    let values: Vec<f64> = rows.iter().map(|row| scale(number(row[index]), log)).collect();
                    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
                    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len().max(1) as f64;
                    Column::Numeric { log, mean, sd: var.sqrt().max(1e-9) }
                }
                FeatureKind::Categorical { categories } => Column::OneHot { categories: categories.len() },
            })
            .collect();
        Encoder { columns }
    }

    /// How many numbers one row becomes, the intercept included.
    pub fn width(&self) -> usize {
        1 + self
            .columns
            .iter()
            .map(|c| if let Column::OneHot { categories } = c { *categories } else { 1 })
            .sum::<usize>()
    }

    pub fn encode(&self, row: &Row) -> Vec<f64> {
        let mut encoded = Vec::with_capacity(self.width());
        encoded.push(1.0);
        for (column, value) in self.columns.iter().zip(row) {
            match (column, value) {
                (Column::Numeric { log, mean, sd }, value) => encoded.push((scale(number(*value), *log) - mean) / sd),
                (Column::OneHot { categories }, FeatureValue::Category(index)) => {
                    encoded.extend((0..*categories).map(|c| if c == *index { 1.0 } else { 0.0 }))
                }
                (Column::OneHot { categories }, FeatureValue::Number(_)) => encoded.extend(vec![0.0; *categories]),
            }
        }
        encoded
    }
}

fn number(value: FeatureValue) -> f64 {
    match value {
        FeatureValue::Number(x) => x,
        FeatureValue::Category(index) => index as f64,
    }
}

/// A log-normal feature is read as its logarithm (values are positive; clipped to be safe).
fn scale(x: f64, log: bool) -> f64 {
    if log {
        x.max(1e-9).ln()
    } else {
        x
    }
}

pub fn dot(weights: &[f64], x: &[f64]) -> f64 {
    weights.iter().zip(x).map(|(w, x)| w * x).sum()
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// How logistic regression is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientDescent {
    pub epochs: usize,
    pub learning_rate: f64,
    /// L2 penalty on every weight but the intercept.
    pub l2: f64,
}

/// Logistic regression weights for encoded rows `x` and labels `y` (0 or 1).
pub fn logistic_regression(x: &[Vec<f64>], y: &[f64], settings: GradientDescent) -> Vec<f64> {
    let width = x.first().map_or(0, Vec::len);
    let n = x.len().max(1) as f64;
    let mut weights = vec![0.0; width];
    let mut gradient = vec![0.0; width];
    for _ in 0..settings.epochs {
        gradient.iter_mut().for_each(|g| *g = 0.0);
        for (row, label) in x.iter().zip(y) {
            let error = sigmoid(dot(&weights, row)) - label;
            gradient.iter_mut().zip(row).for_each(|(g, xi)| *g += error * xi);
        }
        for (j, (w, g)) in weights.iter_mut().zip(&gradient).enumerate() {
            let penalty = if j == 0 { 0.0 } else { settings.l2 * *w };
            *w -= settings.learning_rate * (g / n + penalty);
        }
    }
    weights
}

/// Least-squares weights for encoded rows `x` and targets `y`, by the normal equations
/// `(XᵀX + λI) w = Xᵀy` (the intercept unpenalized), solved by Gaussian elimination with
/// partial pivoting. None when the system is singular.
pub fn linear_regression(x: &[Vec<f64>], y: &[f64], ridge: f64) -> Option<Vec<f64>> {
    let width = x.first().map_or(0, Vec::len);
    // The augmented matrix [XᵀX + λI | Xᵀy].
    let mut a = vec![vec![0.0; width + 1]; width];
    for (row, target) in x.iter().zip(y) {
        for i in 0..width {
            for j in 0..width {
                a[i][j] += row[i] * row[j];
            }
            a[i][width] += row[i] * target;
        }
    }
    for (i, equation) in a.iter_mut().enumerate().skip(1) {
        equation[i] += ridge;
    }
    for column in 0..width {
        let pivot = (column..width).max_by(|&p, &q| a[p][column].abs().total_cmp(&a[q][column].abs()))?;
        if a[pivot][column].abs() < 1e-12 {
            return None;
        }
        a.swap(column, pivot);
        let (upper, lower) = a.split_at_mut(column + 1);
        let pivot_row = &upper[column];
        for row in lower.iter_mut() {
            let factor = row[column] / pivot_row[column];
            for (value, above) in row.iter_mut().zip(pivot_row).skip(column) {
                *value -= factor * above;
            }
        }
    }
    let mut weights = vec![0.0; width];
    for i in (0..width).rev() {
        let known: f64 = (i + 1..width).map(|k| a[i][k] * weights[k]).sum();
        weights[i] = (a[i][width] - known) / a[i][i];
    }
    Some(weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::schema::Feature;

    #[test]
    fn encoding_standardizes_numbers_and_one_hot_encodes_categories() {
        let schema = Schema {
            features: vec![
                Feature::numeric("x", "", "").drawn(Distribution::Normal { mean: 0.0, sd: 1.0 }, -9.0, 9.0),
                Feature::categorical("c", "", &[("a", 1.0), ("b", 1.0), ("c", 1.0)]),
            ],
        };
        let rows = vec![
            vec![FeatureValue::Number(1.0), FeatureValue::Category(0)],
            vec![FeatureValue::Number(3.0), FeatureValue::Category(2)],
        ];
        let encoder = Encoder::fit(&schema, &rows);
        assert_eq!(encoder.width(), 5);
        assert_eq!(encoder.encode(&rows[0]), vec![1.0, -1.0, 1.0, 0.0, 0.0]);
        assert_eq!(encoder.encode(&rows[1]), vec![1.0, 1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn linear_regression_recovers_a_noiseless_plane() {
        let mut rng = Rng::new(5);
        let x: Vec<Vec<f64>> = (0..50).map(|_| vec![1.0, rng.normal(), rng.normal()]).collect();
        let y: Vec<f64> = x.iter().map(|r| 2.0 + 3.0 * r[1] - 0.5 * r[2]).collect();
        let w = linear_regression(&x, &y, 0.0).expect("solvable");
        for (got, want) in w.iter().zip([2.0, 3.0, -0.5]) {
            assert!((got - want).abs() < 1e-9, "{w:?}");
        }
        assert_eq!(linear_regression(&[vec![1.0, 2.0], vec![1.0, 2.0]], &[1.0, 1.0], 0.0), None, "singular");
    }

    #[test]
    fn logistic_regression_finds_the_direction_of_the_rule() {
        let mut rng = Rng::new(6);
        let x: Vec<Vec<f64>> = (0..2000).map(|_| vec![1.0, rng.normal(), rng.normal()]).collect();
        let y: Vec<f64> =
            x.iter().map(|r| if rng.chance(sigmoid(2.0 * r[1] - 1.0 * r[2])) { 1.0 } else { 0.0 }).collect();
        let settings = GradientDescent { epochs: 300, learning_rate: 1.0, l2: 0.0 };
        let w = logistic_regression(&x, &y, settings);
        assert!((w[1] - 2.0).abs() < 0.4 && (w[2] + 1.0).abs() < 0.3, "{w:?}");
    }
}
