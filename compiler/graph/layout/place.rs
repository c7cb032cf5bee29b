//! Horizontal placement within layers: each layer packed in its order, then
//! sweeps that pull every node towards the median of its neighbours, solved
//! exactly per layer (least squares under order and gap constraints).

use super::{Adjacency, NODE_GAP};

/// Sweep rounds (one down and one up each) before the final balancing pass.
const ROUNDS: usize = 4;
/// Pull of a virtual node towards its neighbours, against 1 for a box: long
/// relations should run straight.
const VIRTUAL_WEIGHT: f64 = 2.0;
/// Pull keeping a node without neighbours where it is.
const STAY_WEIGHT: f64 = 0.01;

/// Smallest space between two neighbours in a layer.
pub(super) fn gap(left_virtual: bool, right_virtual: bool) -> f64 {
    match (left_virtual, right_virtual) {
        (false, false) => NODE_GAP,
        (true, true) => 8.0,
        _ => 12.0,
    }
}

/// Horizontal centre of every proper node (`half`: half its width).
pub(super) fn centers(
    layers: &[Vec<usize>],
    up: &Adjacency,
    down: &Adjacency,
    half: &[f64],
    is_virtual: &[bool],
) -> Vec<f64> {
    let mut x = vec![0.0; half.len()];
    for layer in layers {
        let mut cursor = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                cursor += gap(is_virtual[layer[i - 1]], is_virtual[v]);
            }
            x[v] = cursor + half[v];
            cursor += 2.0 * half[v];
        }
        for &v in layer {
            x[v] -= cursor / 2.0;
        }
    }
    let aligner = Aligner { half, is_virtual };
    for _ in 0..ROUNDS {
        for layer in layers.iter().skip(1) {
            aligner.align(layer, &mut x, up, Some(down), false);
        }
        for layer in layers.iter().rev().skip(1) {
            aligner.align(layer, &mut x, down, Some(up), false);
        }
    }
    for layer in layers {
        aligner.align(layer, &mut x, up, Some(down), true);
    }
    x
}

struct Aligner<'a> {
    half: &'a [f64],
    is_virtual: &'a [bool],
}

impl Aligner<'_> {
    /// Moves the nodes of `layer` as near as the gaps allow to the median of
    /// their `primary` neighbours (of the `secondary` ones when there are
    /// none, or of both when `both`).
    fn align(&self, layer: &[usize], x: &mut [f64], primary: &Adjacency, secondary: Option<&Adjacency>, both: bool) {
        let mut targets = Vec::with_capacity(layer.len());
        let mut weights = Vec::with_capacity(layer.len());
        let mut near: Vec<f64> = Vec::new();
        for &v in layer {
            near.clear();
            near.extend(primary.of(v).iter().map(|&u| x[u]));
            if let Some(other) = secondary {
                if both || near.is_empty() {
                    near.extend(other.of(v).iter().map(|&u| x[u]));
                }
            }
            if near.is_empty() {
                targets.push(x[v]);
                weights.push(STAY_WEIGHT);
            } else {
                near.sort_by(f64::total_cmp);
                let mid = near.len() / 2;
                let median = if near.len() % 2 == 1 { near[mid] } else { (near[mid - 1] + near[mid]) / 2.0 };
                targets.push(median);
                weights.push(if self.is_virtual[v] { VIRTUAL_WEIGHT } else { 1.0 });
            }
        }
        let separations: Vec<f64> = layer
            .windows(2)
            .map(|w| self.half[w[0]] + self.half[w[1]] + gap(self.is_virtual[w[0]], self.is_virtual[w[1]]))
            .collect();
        for (&v, fitted) in layer.iter().zip(fit(&targets, &weights, &separations)) {
            x[v] = fitted;
        }
    }
}

/// Positions x minimising Σ weight·(x − target)² subject to
/// x[i + 1] − x[i] ≥ separation[i]: pool-adjacent-violators on the targets
/// shifted by the accumulated separations, O(n).
fn fit(targets: &[f64], weights: &[f64], separations: &[f64]) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(targets.len());
    let mut sum = 0.0;
    offsets.push(0.0);
    for s in separations {
        sum += s;
        offsets.push(sum);
    }
    struct Block {
        weight: f64,
        total: f64,
        len: usize,
    }
    let mut blocks: Vec<Block> = Vec::new();
    for ((&target, &weight), &offset) in targets.iter().zip(weights).zip(&offsets) {
        let mut block = Block { weight, total: weight * (target - offset), len: 1 };
        while let Some(last) = blocks.last() {
            if last.total / last.weight > block.total / block.weight {
                block.weight += last.weight;
                block.total += last.total;
                block.len += last.len;
                blocks.pop();
            } else {
                break;
            }
        }
        blocks.push(block);
    }
    let mut out = Vec::with_capacity(targets.len());
    for block in &blocks {
        let mean = block.total / block.weight;
        for _ in 0..block.len {
            out.push(mean + offsets[out.len()]);
        }
    }
    out
}
