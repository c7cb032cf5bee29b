//! The free space between groups as a sparse grid of lanes, and the search
//! for orthogonal routes through it.
//!
//! Packed groups stand at least `GROUP_GAP` apart, so the ring `GROUP_GAP / 2`
//! around a group is free of every other group. The grid's lines are these
//! rings, extended across the drawing (lines closer than `MERGE` become
//! one): a vertical line at the left and right ring of every group, a
//! horizontal one at the top and bottom ring. Grid points inside a group,
//! and steps between neighbouring points that cross one, are blocked; as
//! every group has a line on each side just outside it, a step that crosses
//! a group has an end or its middle inside, so a route along free steps
//! crosses no group. The outermost rings lie in the drawing's margin, and
//! the grid is connected.
//!
//! Routes are found by A* (length plus a penalty per bend, the heuristic
//! counting the bends still needed) from the few access points where the
//! ways out of one box reach the grid to those of the other box. Blocked
//! flags are precomputed for grids of moderate size and looked up in a
//! bucket index of the groups beyond; the search's bookkeeping is reset in
//! O(1), so a search costs what it explores, and it turns greedy when that
//! exceeds a budget.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::{half_pixel, Rect, GROUP_GAP};

/// Cost of one bend, in pixels of length.
pub(super) const BEND: f64 = 32.0;
/// Distance of a ring from its group.
const RING: f64 = GROUP_GAP / 2.0;
/// Ring lines at most this far apart become one line.
const MERGE: f64 = 6.0;
/// Up to this many lines (about 80 groups) routes are the cheapest; in
/// larger grids the heuristic counts `LARGE_WEIGHT` times, which finds
/// routes a few percent longer in a third of the time.
const EXACT_LINES: usize = 160;
const LARGE_WEIGHT: f64 = 1.5;
/// States searched at most before the search turns greedy (weight
/// `GREEDY`): `STATE_BUDGET + BUDGET_PER_LINE * lines`.
const STATE_BUDGET: usize = 20_000;
const BUDGET_PER_LINE: usize = 16;
const GREEDY: f64 = 4.0;
/// Dense bookkeeping up to this many states, a map beyond.
const DENSE_STATES: usize = 1 << 21;
/// Marks a search state that is a seed: the rest is the access index.
const SEED: u32 = 1 << 31;

/// The direction of a line or a move: `H` along x (a line at fixed y).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Axis {
    H,
    V,
}

/// A group's four ring lines: indices into `Grid::xs` (left, right) and
/// `Grid::ys` (top, bottom).
#[derive(Debug, Clone, Copy)]
pub(super) struct Ring {
    pub left: usize,
    pub right: usize,
    pub top: usize,
    pub bottom: usize,
}

/// Where a route may join the grid: a point `at` along the line `line`
/// (a horizontal line, `ys[line]`, when `axis` is `H`), reached from the box
/// across the line (so moving along it is a bend) at cost `cost`. The line
/// must be free from `at` to the nearest grid point on either side.
#[derive(Debug, Clone, Copy)]
pub(super) struct Access {
    pub axis: Axis,
    pub line: usize,
    pub at: f64,
    pub cost: f64,
}

/// A route found: which access was left and which entered, and the lines
/// followed in between (the first is the start access's line, the last the
/// end access's line; consecutive lines are perpendicular).
#[derive(Debug)]
pub(super) struct Found {
    pub start: usize,
    pub end: usize,
    pub lines: Vec<(Axis, usize)>,
}

/// The grid of lanes and the search scratch.
pub(super) struct Grid {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// Per cluster, its ring lines (None for an empty cluster).
    pub rings: Vec<Option<Ring>>,
    obstacles: Obstacles,
    /// Per grid point, when the grid is small enough: `POINT` if it is inside
    /// a group, `RIGHT` / `DOWN` if the step to its right / lower neighbour
    /// crosses one. Else looked up in `obstacles`.
    blocked: Option<Vec<u8>>,
    visits: Visits,
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
}

impl Grid {
    /// The grid around `clusters` (zero-size rectangles are empty clusters).
    pub(super) fn new(clusters: &[Rect]) -> Self {
        let used = |r: &Rect| r.width > 0.0 || r.height > 0.0;
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for (c, r) in clusters.iter().enumerate().filter(|(_, r)| used(r)) {
            xs.push((r.x - RING, 2 * c));
            xs.push((r.right() + RING, 2 * c + 1));
            ys.push((r.y - RING, 2 * c));
            ys.push((r.bottom() + RING, 2 * c + 1));
        }
        let (xs, x_line) = merge(xs, 2 * clusters.len());
        let (ys, y_line) = merge(ys, 2 * clusters.len());
        let rings = clusters
            .iter()
            .enumerate()
            .map(|(c, r)| {
                used(r).then(|| Ring {
                    left: x_line[2 * c],
                    right: x_line[2 * c + 1],
                    top: y_line[2 * c],
                    bottom: y_line[2 * c + 1],
                })
            })
            .collect();
        let obstacles = Obstacles::new(clusters.iter().copied().filter(used).collect());
        let points = xs.len() * ys.len();
        let blocked = (2 * points <= DENSE_STATES).then(|| mark_blocked(&xs, &ys, &obstacles.rects));
        let visits = Visits::new(2 * points);
        Self { xs, ys, rings, obstacles, blocked, visits, heap: BinaryHeap::new() }
    }

    /// The coordinate of a line.
    pub(super) fn coordinate(&self, axis: Axis, line: usize) -> f64 {
        match axis {
            Axis::H => self.ys[line],
            Axis::V => self.xs[line],
        }
    }

    fn point(&self, id: u32) -> (usize, usize) {
        let id = id as usize;
        (id % self.xs.len(), id / self.xs.len())
    }

    fn id(&self, i: usize, j: usize) -> u32 {
        (j * self.xs.len() + i) as u32
    }

    fn free(&self, i: usize, j: usize) -> bool {
        match &self.blocked {
            Some(flags) => flags[j * self.xs.len() + i] & POINT == 0,
            None => !self.obstacles.inside(self.xs[i], self.ys[j]),
        }
    }

    /// Whether the step from point (i, j) to its right neighbour is free
    /// (the points themselves are checked separately).
    fn step_right_free(&self, i: usize, j: usize) -> bool {
        match &self.blocked {
            Some(flags) => flags[j * self.xs.len() + i] & RIGHT == 0,
            None => !self.obstacles.inside((self.xs[i] + self.xs[i + 1]) / 2.0, self.ys[j]),
        }
    }

    fn step_down_free(&self, i: usize, j: usize) -> bool {
        match &self.blocked {
            Some(flags) => flags[j * self.xs.len() + i] & DOWN == 0,
            None => !self.obstacles.inside(self.xs[i], (self.ys[j] + self.ys[j + 1]) / 2.0),
        }
    }

    /// Whether the line is free between `a` and `b` (coordinates along it).
    fn run_free(&self, axis: Axis, line: usize, a: f64, b: f64) -> bool {
        let (lo, hi) = (a.min(b), a.max(b));
        let along = match axis {
            Axis::H => &self.xs,
            Axis::V => &self.ys,
        };
        let mut k = along.partition_point(|&v| v <= lo).saturating_sub(1);
        while k + 1 < along.len() && along[k] < hi {
            if along[k + 1] > lo {
                let free = match axis {
                    Axis::H => self.free(k, line) && self.free(k + 1, line) && self.step_right_free(k, line),
                    Axis::V => self.free(line, k) && self.free(line, k + 1) && self.step_down_free(line, k),
                };
                if !free {
                    return false;
                }
            }
            k += 1;
        }
        true
    }

    /// The free grid points nearest to an access on its line (one when it is
    /// on a point, else one on either side), with their distance.
    fn touch(&self, access: &Access) -> Vec<(u32, f64)> {
        let along = match access.axis {
            Axis::H => &self.xs,
            Axis::V => &self.ys,
        };
        let at = access.at;
        let next = along.partition_point(|&v| v < at);
        let candidates: Vec<usize> = if along.get(next) == Some(&at) {
            vec![next]
        } else {
            [next.checked_sub(1), Some(next).filter(|&k| k < along.len())].into_iter().flatten().collect()
        };
        candidates
            .into_iter()
            .filter(|&k| self.run_free(access.axis, access.line, at, along[k]))
            .map(|k| {
                let id = match access.axis {
                    Axis::H => self.id(k, access.line),
                    Axis::V => self.id(access.line, k),
                };
                (id, (along[k] - at).abs())
            })
            .collect()
    }

    /// The cheapest route from one of `starts` to one of `ends`, or None when
    /// the grid does not join them.
    pub(super) fn search(&mut self, starts: &[Access], ends: &[Access]) -> Option<Found> {
        let mut best: Option<(f64, Goal)> = None;
        for (s, start) in starts.iter().enumerate() {
            for (e, end) in ends.iter().enumerate() {
                if start.axis == end.axis
                    && start.line == end.line
                    && self.run_free(start.axis, start.line, start.at, end.at)
                {
                    let cost = start.cost + end.cost + 2.0 * BEND + (start.at - end.at).abs();
                    if best.as_ref().is_none_or(|b| cost < b.0) {
                        best = Some((cost, Goal::Direct(s, e)));
                    }
                }
            }
        }
        let mut goals = Vec::new();
        for (e, end) in ends.iter().enumerate() {
            for (id, distance) in self.touch(end) {
                goals.push(Target { id, axis: end.axis, extra: distance + BEND + end.cost, end: e });
            }
        }
        let seeds: Vec<(u32, Axis, f64, usize)> = starts
            .iter()
            .enumerate()
            .flat_map(|(s, start)| {
                self.touch(start).into_iter().map(move |(id, d)| (id, start.axis, start.cost + BEND + d, s))
            })
            .collect();
        if !goals.is_empty() && !seeds.is_empty() {
            let lines = self.xs.len() + self.ys.len();
            let budget = STATE_BUDGET + BUDGET_PER_LINE * lines;
            let weight = if lines <= EXACT_LINES { 1.0 } else { LARGE_WEIGHT };
            let found = match self.astar(&seeds, &goals, best.as_ref().map(|b| b.0), weight, Some(budget)) {
                Err(Exceeded) => self.astar(&seeds, &goals, best.as_ref().map(|b| b.0), GREEDY, None),
                done => done,
            };
            if let Ok(Some(path)) = found {
                best = Some(path);
            }
        }
        let (_, goal) = best?;
        Some(match goal {
            Goal::Direct(start, end) => Found { start, end, lines: vec![(starts[start].axis, starts[start].line)] },
            Goal::Path(state, end) => self.trace(state, starts, &ends[end], end),
        })
    }

    /// A* from the seeds (point, axis moving along, cost so far, start) to the
    /// goals; `bound` is the cost of a route known already. The heuristic is
    /// the distance to the nearest goal, times `weight`.
    fn astar(
        &mut self,
        seeds: &[(u32, Axis, f64, usize)],
        goals: &[Target],
        bound: Option<f64>,
        weight: f64,
        budget: Option<usize>,
    ) -> Result<Option<(f64, Goal)>, Exceeded> {
        let goal_points: Vec<(f64, f64, Axis, f64)> = goals
            .iter()
            .map(|t| {
                let (i, j) = self.point(t.id);
                (self.xs[i], self.ys[j], t.axis, t.extra)
            })
            .collect();
        // The rest of the way to the cheapest goal if nothing stood in it:
        // the distance, the bends an orthogonal path needs (moving along
        // `axis`, arriving along the goal's), and the goal's extra.
        let heuristic = |x: f64, y: f64, axis: Axis| {
            let to = |&(gx, gy, arrive, extra): &(f64, f64, Axis, f64)| {
                let (dx, dy) = ((gx - x).abs(), (gy - y).abs());
                let across = match axis {
                    Axis::H => dy,
                    Axis::V => dx,
                };
                let bends = if across > 0.0 {
                    // Turn once (then along the other axis), and again unless
                    // the goal is entered along that one.
                    1 + usize::from(arrive == axis)
                } else {
                    usize::from(arrive != axis)
                };
                dx + dy + BEND * bends as f64 + extra
            };
            weight * goal_points.iter().map(to).fold(f64::INFINITY, f64::min)
        };
        self.visits.clear();
        self.heap.clear();
        for &(id, axis, g, start) in seeds {
            let state = id * 2 + axis as u32;
            if self.visits.get(state).is_none_or(|(old, _)| g < old) {
                self.visits.set(state, g, SEED | start as u32);
                let (i, j) = self.point(id);
                let f = g + heuristic(self.xs[i], self.ys[j], axis);
                self.heap.push(Reverse((f.to_bits(), !g.to_bits(), state)));
            }
        }
        let mut best: Option<(f64, Goal)> = None;
        let limit = |best: &Option<(f64, Goal)>| best.as_ref().map(|b| b.0).or(bound);
        let mut popped = 0;
        while let Some(Reverse((f, g, state))) = self.heap.pop() {
            let (f, g) = (f64::from_bits(f), f64::from_bits(!g));
            if limit(&best).is_some_and(|b| f >= b) {
                break;
            }
            if self.visits.get(state).is_some_and(|(known, _)| known < g) {
                continue;
            }
            popped += 1;
            if budget.is_some_and(|b| popped > b) {
                return Err(Exceeded);
            }
            let id = state / 2;
            let axis = if state % 2 == 0 { Axis::H } else { Axis::V };
            for t in goals.iter().filter(|t| t.id == id) {
                let total = g + t.extra + if axis == t.axis { 0.0 } else { BEND };
                if limit(&best).is_none_or(|b| total < b) {
                    best = Some((total, Goal::Path(state, t.end)));
                }
            }
            let (i, j) = self.point(id);
            let (nx, ny) = (self.xs.len(), self.ys.len());
            let mut moves: [Option<(usize, usize, Axis)>; 4] = [None; 4];
            if i > 0 && self.free(i - 1, j) && self.step_right_free(i - 1, j) {
                moves[0] = Some((i - 1, j, Axis::H));
            }
            if i + 1 < nx && self.free(i + 1, j) && self.step_right_free(i, j) {
                moves[1] = Some((i + 1, j, Axis::H));
            }
            if j > 0 && self.free(i, j - 1) && self.step_down_free(i, j - 1) {
                moves[2] = Some((i, j - 1, Axis::V));
            }
            if j + 1 < ny && self.free(i, j + 1) && self.step_down_free(i, j) {
                moves[3] = Some((i, j + 1, Axis::V));
            }
            for (ti, tj, along) in moves.into_iter().flatten() {
                let length = (self.xs[ti] - self.xs[i]).abs() + (self.ys[tj] - self.ys[j]).abs();
                let next_g = g + length + if along == axis { 0.0 } else { BEND };
                let next = self.id(ti, tj) * 2 + along as u32;
                if self.visits.get(next).is_none_or(|(old, _)| next_g < old) {
                    self.visits.set(next, next_g, state);
                    let f = next_g + heuristic(self.xs[ti], self.ys[tj], along);
                    self.heap.push(Reverse((f.to_bits(), !next_g.to_bits(), next)));
                }
            }
        }
        Ok(best)
    }

    /// The lines of the path ending in `state`, from its seed's access to `end`.
    fn trace(&self, state: u32, starts: &[Access], end: &Access, end_index: usize) -> Found {
        let mut states = vec![state];
        let mut current = state;
        let start = loop {
            let (_, parent) = self.visits.get(current).expect("a traced state was reached");
            if parent & SEED != 0 {
                break (parent & !SEED) as usize;
            }
            states.push(parent);
            current = parent;
        };
        states.reverse();
        let mut lines = vec![(starts[start].axis, starts[start].line)];
        for pair in states.windows(2) {
            let (a, b) = (self.point(pair[0] / 2), self.point(pair[1] / 2));
            let line = if a.1 == b.1 { (Axis::H, a.1) } else { (Axis::V, a.0) };
            if lines.last() != Some(&line) {
                lines.push(line);
            }
        }
        if lines.last() != Some(&(end.axis, end.line)) {
            lines.push((end.axis, end.line));
        }
        Found { start, end: end_index, lines }
    }
}

const POINT: u8 = 1;
const RIGHT: u8 = 2;
const DOWN: u8 = 4;

/// The blocked flags of every grid point (see `Grid::blocked`), each group
/// marking the points inside it and the steps overlapping it.
fn mark_blocked(xs: &[f64], ys: &[f64], rects: &[Rect]) -> Vec<u8> {
    let (nx, ny) = (xs.len(), ys.len());
    let mut flags = vec![0; nx * ny];
    // Lines strictly inside (low, high): [first, end).
    let inside = |lines: &[f64], low: f64, high: f64| {
        (lines.partition_point(|&v| v <= low), lines.partition_point(|&v| v < high))
    };
    for r in rects {
        let (i0, i1) = inside(xs, r.x, r.right());
        let (j0, j1) = inside(ys, r.y, r.bottom());
        for j in j0..j1 {
            for i in i0..i1 {
                flags[j * nx + i] |= POINT;
            }
            for i in i0.saturating_sub(1)..i1.min(nx - 1) {
                flags[j * nx + i] |= RIGHT;
            }
        }
        for j in j0.saturating_sub(1)..j1.min(ny - 1) {
            for i in i0..i1 {
                flags[j * nx + i] |= DOWN;
            }
        }
    }
    flags
}

/// Sorted, merged line coordinates (half pixels) and, per id, its line.
fn merge(mut values: Vec<(f64, usize)>, ids: usize) -> (Vec<f64>, Vec<usize>) {
    values.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut lines = Vec::new();
    let mut line_of = vec![usize::MAX; ids];
    let mut i = 0;
    while i < values.len() {
        let first = values[i].0;
        let mut j = i;
        while j < values.len() && values[j].0 - first <= MERGE {
            line_of[values[j].1] = lines.len();
            j += 1;
        }
        lines.push(half_pixel((first + values[j - 1].0) / 2.0));
        i = j;
    }
    (lines, line_of)
}

/// The search ran out of its budget.
struct Exceeded;

/// How the best route known ends.
enum Goal {
    /// Straight from one access to the other along their common line.
    Direct(usize, usize),
    /// A search state, then `ends[end]`.
    Path(u32, usize),
}

/// A grid point from which an end access is reached: arriving along `axis`
/// costs `extra` more.
struct Target {
    id: u32,
    axis: Axis,
    extra: f64,
    end: usize,
}

/// A* bookkeeping per state: the best cost known and the state before.
struct Visits {
    stamp: u32,
    dense: Option<(Vec<u32>, Vec<f64>, Vec<u32>)>,
    sparse: HashMap<u32, (f64, u32)>,
}

impl Visits {
    fn new(states: usize) -> Self {
        let dense = (states <= DENSE_STATES).then(|| (vec![0; states], vec![0.0; states], vec![0; states]));
        Self { stamp: 0, dense, sparse: HashMap::new() }
    }

    fn clear(&mut self) {
        self.sparse.clear();
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            if let Some((stamps, _, _)) = &mut self.dense {
                stamps.iter_mut().for_each(|s| *s = 0);
            }
            self.stamp = 1;
        }
    }

    fn get(&self, state: u32) -> Option<(f64, u32)> {
        match &self.dense {
            Some((stamps, cost, parent)) => {
                let k = state as usize;
                (stamps[k] == self.stamp).then(|| (cost[k], parent[k]))
            }
            None => self.sparse.get(&state).copied(),
        }
    }

    fn set(&mut self, state: u32, g: f64, from: u32) {
        match &mut self.dense {
            Some((stamps, cost, parent)) => {
                let k = state as usize;
                stamps[k] = self.stamp;
                cost[k] = g;
                parent[k] = from;
            }
            None => {
                self.sparse.insert(state, (g, from));
            }
        }
    }
}

/// The group boxes in buckets of a uniform grid, for "is this point inside
/// a group" in about constant time.
struct Obstacles {
    rects: Vec<Rect>,
    x0: f64,
    y0: f64,
    cell_width: f64,
    cell_height: f64,
    columns: usize,
    rows: usize,
    start: Vec<usize>,
    items: Vec<usize>,
}

impl Obstacles {
    fn new(rects: Vec<Rect>) -> Self {
        let x0 = rects.iter().map(|r| r.x).fold(f64::INFINITY, f64::min);
        let y0 = rects.iter().map(|r| r.y).fold(f64::INFINITY, f64::min);
        let x1 = rects.iter().map(|r| r.right()).fold(f64::NEG_INFINITY, f64::max);
        let y1 = rects.iter().map(|r| r.bottom()).fold(f64::NEG_INFINITY, f64::max);
        let side = (rects.len() as f64).sqrt().ceil().clamp(1.0, 256.0) as usize;
        let (columns, rows) = if rects.is_empty() { (1, 1) } else { (side, side) };
        let cell_width = ((x1 - x0) / columns as f64).max(1.0);
        let cell_height = ((y1 - y0) / rows as f64).max(1.0);
        let mut index = Self {
            rects: Vec::new(),
            x0: if rects.is_empty() { 0.0 } else { x0 },
            y0: if rects.is_empty() { 0.0 } else { y0 },
            cell_width,
            cell_height,
            columns,
            rows,
            start: vec![0; columns * rows + 1],
            items: Vec::new(),
        };
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for (k, r) in rects.iter().enumerate() {
            let (c0, r0) = index.cell(r.x, r.y);
            let (c1, r1) = index.cell(r.right(), r.bottom());
            for row in r0..=r1 {
                for column in c0..=c1 {
                    pairs.push((row * columns + column, k));
                }
            }
        }
        pairs.sort_unstable();
        for &(bucket, _) in &pairs {
            index.start[bucket + 1] += 1;
        }
        for b in 0..columns * rows {
            index.start[b + 1] += index.start[b];
        }
        index.items = pairs.into_iter().map(|(_, k)| k).collect();
        index.rects = rects;
        index
    }

    /// The bucket of a point (clamped to the index).
    fn cell(&self, x: f64, y: f64) -> (usize, usize) {
        let column = ((x - self.x0) / self.cell_width).floor().clamp(0.0, (self.columns - 1) as f64) as usize;
        let row = ((y - self.y0) / self.cell_height).floor().clamp(0.0, (self.rows - 1) as f64) as usize;
        (column, row)
    }

    /// Whether (x, y) is inside the interior of a group.
    fn inside(&self, x: f64, y: f64) -> bool {
        let (column, row) = self.cell(x, y);
        let bucket = row * self.columns + column;
        self.items[self.start[bucket]..self.start[bucket + 1]].iter().any(|&k| {
            let r = &self.rects[k];
            x > r.x && x < r.right() && y > r.y && y < r.bottom()
        })
    }
}
