//! Packing group boxes into one drawing: a skyline packer filling from the
//! top-left, fed the groups in an order that keeps related groups together,
//! with the width chosen for a drawing of about 16:10.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Point, GROUP_GAP, MARGIN};

/// Width:height of the drawing aimed at.
const TARGET_ASPECT: f64 = 1.6;
/// Drawing widths tried, as multiples of the side of a square of the
/// groups' total area (scaled for the aspect).
const WIDTH_FACTORS: [f64; 9] = [0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.8];

/// Where the groups went: top-left corners (from 0, 0) and the extent.
pub(super) struct Placement {
    pub positions: Vec<Point>,
    pub width: f64,
    pub height: f64,
}

/// Packs boxes of the given sizes (whole pixels), `GROUP_GAP` apart.
/// `links` are (box, box, number of relations between them).
pub(super) fn pack(sizes: &[(f64, f64)], links: &[(usize, usize, u64)]) -> Placement {
    if sizes.is_empty() {
        return Placement { positions: Vec::new(), width: 0.0, height: 0.0 };
    }
    let order = related_order(sizes, links);
    // Footprints include the gap to the right and below.
    let footprints: Vec<(f64, f64)> = sizes.iter().map(|&(w, h)| (w + GROUP_GAP, h + GROUP_GAP)).collect();
    let area: f64 = footprints.iter().map(|&(w, h)| w * h).sum();
    let widest = footprints.iter().map(|f| f.0).fold(0.0, f64::max);
    let side = (area * TARGET_ASPECT).sqrt();
    let mut best: Option<(f64, Placement)> = None;
    for factor in WIDTH_FACTORS {
        let limit = (side * factor).max(widest).ceil();
        let placement = skyline(&order, &footprints, limit);
        let (w, h) = (placement.width + 2.0 * MARGIN, placement.height + 2.0 * MARGIN);
        let waste = (w * h / area.max(1.0)).max(1.0).ln();
        let score = (w / h / TARGET_ASPECT).ln().abs() + 0.5 * waste;
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, placement));
        }
    }
    best.map(|(_, p)| p).expect("at least one width was tried")
}

/// The biggest box first, then always the box with the most relations to
/// those already placed (ties: lowest index); when none is related, the
/// biggest remaining.
fn related_order(sizes: &[(f64, f64)], links: &[(usize, usize, u64)]) -> Vec<usize> {
    let count = sizes.len();
    let mut by_size: Vec<usize> = (0..count).collect();
    by_size.sort_by(|&a, &b| {
        let area = |i: usize| sizes[i].0 * sizes[i].1;
        area(b).total_cmp(&area(a)).then(a.cmp(&b))
    });
    let mut neighbours: Vec<Vec<(usize, u64)>> = vec![Vec::new(); count];
    for &(a, b, weight) in links {
        if a != b {
            neighbours[a].push((b, weight));
            neighbours[b].push((a, weight));
        }
    }
    let mut placed = vec![false; count];
    let mut pull = vec![0_u64; count];
    let mut heap: BinaryHeap<(u64, Reverse<usize>)> = BinaryHeap::new();
    let mut order = Vec::with_capacity(count);
    let mut cursor = 0;
    while order.len() < count {
        let mut next = None;
        while let Some((weight, Reverse(g))) = heap.pop() {
            if !placed[g] && weight == pull[g] {
                next = Some(g);
                break;
            }
        }
        let g = match next {
            Some(g) => g,
            None => {
                while placed[by_size[cursor]] {
                    cursor += 1;
                }
                by_size[cursor]
            }
        };
        placed[g] = true;
        order.push(g);
        for &(h, weight) in &neighbours[g] {
            if !placed[h] {
                pull[h] += weight;
                heap.push((pull[h], Reverse(h)));
            }
        }
    }
    order
}

/// A piece of the skyline: the lowest free y over [x, x + width).
#[derive(Clone, Copy)]
struct Segment {
    x: f64,
    width: f64,
    y: f64,
}

/// Places the footprints in `order`, each at the highest spot (then the
/// leftmost) where it fits within `limit`.
fn skyline(order: &[usize], footprints: &[(f64, f64)], limit: f64) -> Placement {
    let mut positions = vec![Point { x: 0.0, y: 0.0 }; footprints.len()];
    let mut line = vec![Segment { x: 0.0, width: limit, y: 0.0 }];
    let (mut width, mut height) = (0.0_f64, 0.0_f64);
    for &g in order {
        let (w, h) = footprints[g];
        let mut spot: Option<(f64, f64)> = None;
        for (i, start) in line.iter().enumerate() {
            if start.x + w > limit && i > 0 {
                break;
            }
            let mut y = 0.0_f64;
            for s in &line[i..] {
                if s.x >= start.x + w {
                    break;
                }
                y = y.max(s.y);
            }
            if spot.is_none_or(|(_, best)| y < best) {
                spot = Some((start.x, y));
            }
        }
        let (x, y) = spot.expect("the first segment always fits");
        positions[g] = Point { x, y };
        width = width.max(x + w - GROUP_GAP);
        height = height.max(y + h - GROUP_GAP);
        line = raise(&line, x, w, y + h);
    }
    Placement { positions, width, height }
}

/// The skyline with [x, x + w) raised to `y`.
fn raise(line: &[Segment], x: f64, w: f64, y: f64) -> Vec<Segment> {
    let end = x + w;
    let mut next: Vec<Segment> = Vec::with_capacity(line.len() + 2);
    let mut push = |s: Segment| {
        if s.width <= 0.0 {
            return;
        }
        match next.last_mut() {
            Some(last) if last.y == s.y => last.width = s.x + s.width - last.x,
            _ => next.push(s),
        }
    };
    let mut inserted = false;
    for s in line {
        let s_end = s.x + s.width;
        if s_end <= x {
            push(*s);
            continue;
        }
        if s.x < x {
            push(Segment { x: s.x, width: x - s.x, y: s.y });
        }
        if !inserted {
            push(Segment { x, width: w, y });
            inserted = true;
        }
        if s_end > end {
            let from = s.x.max(end);
            push(Segment { x: from, width: s_end - from, y: s.y });
        }
    }
    if !inserted {
        push(Segment { x, width: w, y });
    }
    next
}
