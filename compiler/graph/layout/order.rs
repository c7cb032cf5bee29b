//! Left-to-right order within layers: barycenter sweeps, alternately up
//! and down, keeping the order with the fewest crossings seen, then swaps of
//! neighbours while they remove crossings.

use super::Adjacency;

/// Sweeps allowed per group, by the rule that sweeps × (nodes + hops) stays
/// under `SWEEP_WORK`, within these bounds.
const MIN_SWEEPS: usize = 2;
const MAX_SWEEPS: usize = 32;
const SWEEP_WORK: usize = 4_000_000;
/// Stop after this many sweeps without improvement.
const PATIENCE: usize = 6;
/// Passes of neighbour swapping after the sweeps.
const TRANSPOSE_PASSES: usize = 4;
/// Pairs whose lines to one side multiply to more than this are not swapped.
const TRANSPOSE_PAIR_LIMIT: usize = 4096;

/// Reorders each layer of the proper graph (`up`/`down`: neighbours in the
/// layer above / below) to reduce crossings. Every proper node id below
/// the node count must appear in exactly one layer; ids from `members` on
/// are virtual nodes.
pub(super) fn minimise_crossings(layers: &mut [Vec<usize>], up: &Adjacency, down: &Adjacency, members: usize) {
    let total: usize = layers.iter().map(Vec::len).sum();
    let mut position = vec![0; total];
    for layer in layers.iter() {
        for (p, &v) in layer.iter().enumerate() {
            position[v] = p;
        }
    }
    if layers.len() < 2 {
        return;
    }
    // The first order: the given one, or one down sweep from it if that is
    // no worse (it also puts trunks of bundled relations mid-row).
    let mut fewest = total_crossings(layers, down, &position);
    let mut best = layers.to_vec();
    for l in 1..layers.len() {
        reorder(layers, l, l - 1, up, &mut position, members);
    }
    let swept = total_crossings(layers, down, &position);
    if swept <= fewest {
        fewest = swept;
        for (kept, layer) in best.iter_mut().zip(layers.iter()) {
            kept.clone_from(layer);
        }
    } else {
        restore(layers, &best, &mut position);
    }
    if fewest == 0 {
        return;
    }
    let sweeps = (SWEEP_WORK / (total + down.pair_count()).max(1)).clamp(MIN_SWEEPS, MAX_SWEEPS);
    let mut stale = 0;
    for sweep in 0..sweeps {
        // Up first: the first order already ends with a down sweep.
        if sweep % 2 == 0 {
            for l in (0..layers.len() - 1).rev() {
                reorder(layers, l, l + 1, down, &mut position, members);
            }
        } else {
            for l in 1..layers.len() {
                reorder(layers, l, l - 1, up, &mut position, members);
            }
        }
        let crossings = total_crossings(layers, down, &position);
        if crossings < fewest {
            fewest = crossings;
            for (kept, layer) in best.iter_mut().zip(layers.iter()) {
                kept.clone_from(layer);
            }
            stale = 0;
            if crossings == 0 {
                break;
            }
        } else {
            stale += 1;
            if stale >= PATIENCE {
                break;
            }
        }
    }
    restore(layers, &best, &mut position);
    transpose(layers, up, down, &mut position);
}

/// Swaps neighbours in a layer while that removes crossings with the layers
/// above and below (a few passes; pairs of very busy nodes are skipped).
fn transpose(layers: &mut [Vec<usize>], up: &Adjacency, down: &Adjacency, position: &mut [usize]) {
    // Crossings among the lines of `u` and `v` to one side if `u` is left of `v`.
    let between = |u: usize, v: usize, near: &Adjacency, position: &[usize]| -> u64 {
        let (a, b) = (near.of(u), near.of(v));
        if a.len() * b.len() > TRANSPOSE_PAIR_LIMIT {
            return 0;
        }
        a.iter().map(|&x| b.iter().filter(|&&y| position[x] > position[y]).count() as u64).sum()
    };
    for _ in 0..TRANSPOSE_PASSES {
        let mut improved = false;
        for layer in layers.iter_mut() {
            for i in 1..layer.len() {
                let (u, v) = (layer[i - 1], layer[i]);
                let now = between(u, v, up, position) + between(u, v, down, position);
                let swapped = between(v, u, up, position) + between(v, u, down, position);
                if swapped < now {
                    layer.swap(i - 1, i);
                    position[u] = i;
                    position[v] = i - 1;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Puts the kept order back.
fn restore(layers: &mut [Vec<usize>], kept: &[Vec<usize>], position: &mut [usize]) {
    for (layer, kept) in layers.iter_mut().zip(kept) {
        layer.clone_from(kept);
        for (p, &v) in layer.iter().enumerate() {
            position[v] = p;
        }
    }
}

/// Sorts layer `free` by the mean relative position of each node's
/// neighbours in layer `fixed`; nodes without any keep their relative place.
/// Among nodes with equal keys (siblings), virtual nodes go in the middle so
/// that a trunk runs straight down through its siblings.
fn reorder(
    layers: &mut [Vec<usize>],
    free: usize,
    fixed: usize,
    neighbours: &Adjacency,
    position: &mut [usize],
    members: usize,
) {
    let fixed_len = layers[fixed].len() as f64;
    let free_len = layers[free].len() as f64;
    let mut keyed: Vec<(f64, usize, usize)> = layers[free]
        .iter()
        .map(|&v| {
            let near = neighbours.of(v);
            let key = if near.is_empty() {
                (position[v] as f64 + 0.5) / free_len
            } else {
                near.iter().map(|&u| (position[u] as f64 + 0.5) / fixed_len).sum::<f64>() / near.len() as f64
            };
            (key, position[v], v)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut p = 0;
    let mut place = |v: usize| {
        layers[free][p] = v;
        position[v] = p;
        p += 1;
    };
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        if run.len() == 1 {
            place(run[0].2);
            continue;
        }
        let real = run.iter().filter(|k| k.2 < members).count();
        let mut left = real / 2;
        for k in run.iter().filter(|k| k.2 < members) {
            if left == 0 {
                break;
            }
            place(k.2);
            left -= 1;
        }
        for k in run.iter().filter(|k| k.2 >= members) {
            place(k.2);
        }
        for k in run.iter().filter(|k| k.2 < members).skip(real / 2) {
            place(k.2);
        }
    }
}

/// Crossings between all consecutive layers.
fn total_crossings(layers: &[Vec<usize>], down: &Adjacency, position: &[usize]) -> u64 {
    layers
        .iter()
        .map(|layer| {
            let hops = layer.iter().flat_map(|&v| down.of(v).iter().map(move |&w| (position[v], position[w])));
            count_crossings(hops.collect())
        })
        .sum()
}

/// Crossings among straight lines between two rows, each line given as
/// (position in the upper row, position in the lower row). Lines sharing an
/// end do not cross. O(m log m) with a Fenwick tree.
pub(super) fn count_crossings(mut lines: Vec<(usize, usize)>) -> u64 {
    lines.sort_unstable();
    let size = lines.iter().map(|l| l.1 + 1).max().unwrap_or(0);
    let mut tree = vec![0_u64; size + 1];
    let mut crossings = 0;
    for (seen, &(_, lower)) in lines.iter().enumerate() {
        // Lines seen so far end at or left of `lower` unless they cross.
        let mut at_or_left = 0;
        let mut i = lower + 1;
        while i > 0 {
            at_or_left += tree[i];
            i &= i - 1;
        }
        crossings += seen as u64 - at_or_left;
        let mut i = lower + 1;
        while i <= size {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    crossings
}
