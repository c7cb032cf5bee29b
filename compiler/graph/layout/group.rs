//! One group's drawing, in the group's own coordinates: the layered
//! (Sugiyama) layout of its boxes and of the relations between them.
//!
//! Steps: break cycles, assign layers (parents above children), wrap layers
//! too wide for the group's aspect ratio into several rows, add virtual nodes
//! so long relations pass between boxes, order the layers, then place them.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{order, place, Adjacency, Point, GROUP_LABEL_HEIGHT, GROUP_PADDING, NODE_GAP, STUB};

/// Layers are left alone while the group is at most this much wider than tall.
const WRAP_ABOVE_ASPECT: f64 = 2.0;
/// The width:height ratio wrapping aims at.
const TARGET_ASPECT: f64 = 1.6;
/// How many row widths wrapping tries.
const WRAP_CANDIDATES: usize = 16;
/// Between two layers, room for slanted lines besides the two stubs: this
/// share of the widest sideways run, within bounds.
const SLANT_SPACE: f64 = 0.12;
const MIN_SLANT: f64 = 24.0;
const MAX_SLANT: f64 = 96.0;
/// Virtual nodes allowed per relation on average, see `longest_bundled_span`.
const VIRTUAL_BUDGET: usize = 24;
/// Space between layers assumed while choosing the row width.
const ESTIMATED_LAYER_GAP: f64 = 80.0;

/// A box of the group; members are numbered by their position in the group.
pub(super) struct Member {
    pub height: f64,
    /// Horizontal room the box takes: its width plus room for self-loops.
    pub slot: f64,
}

/// A relation between two different members of the group.
pub(super) struct Link {
    /// Index in `Graph::edges`.
    pub edge: usize,
    /// The member holding the foreign key (`Edge::from`).
    pub child: usize,
    /// The referenced member (`Edge::to`).
    pub parent: usize,
    /// How far the edge's line is shifted sideways from its parallels.
    pub spread: f64,
}

/// How one relation runs through the layers, from its upper to its lower box.
pub(super) struct Chain {
    /// Index in `Graph::edges`.
    pub edge: usize,
    /// Whether `Edge::from` is the upper box (the relation points upwards
    /// after cycle breaking, so it is drawn against the usual direction).
    pub from_is_upper: bool,
    /// The member above (the proper node id of a member is its own number).
    pub upper: usize,
    /// The member below.
    pub lower: usize,
    /// Virtual nodes passed on the way down, one per layer in between.
    pub via: Vec<usize>,
}

/// A laid-out group. Proper nodes are the members (ids `0..members`) followed
/// by the virtual nodes.
pub(super) struct Drawing {
    /// Size of the group box, label band and padding included.
    pub width: f64,
    pub height: f64,
    /// Top-left corner of each member's box.
    pub corner: Vec<Point>,
    /// Layer of each proper node.
    pub layer: Vec<usize>,
    /// Horizontal centre of each proper node (of a member's slot).
    pub center: Vec<f64>,
    /// Top and bottom y of each layer; members are top-aligned in theirs.
    pub bands: Vec<(f64, f64)>,
    /// One per link, same order.
    pub chains: Vec<Chain>,
}

/// Lays out one non-empty group.
pub(super) fn lay_out(members: &[Member], links: &[Link]) -> Drawing {
    let n = members.len();
    assert!(n > 0, "an empty group has no drawing");

    // Distinct parent -> child pairs, then made acyclic.
    let mut pairs: Vec<(usize, usize)> = links.iter().map(|l| (l.parent, l.child)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let reversed = break_cycles(n, &pairs);
    let orient = |parent: usize, child: usize| {
        if reversed.binary_search(&(parent, child)).is_ok() {
            (child, parent)
        } else {
            (parent, child)
        }
    };
    let mut dag: Vec<(usize, usize)> = pairs.iter().map(|&(p, c)| orient(p, c)).collect();
    dag.sort_unstable();
    dag.dedup();
    let below = Adjacency::new(n, &dag);
    let mut flipped: Vec<(usize, usize)> = dag.iter().map(|&(u, l)| (l, u)).collect();
    flipped.sort_unstable();
    let above = Adjacency::new(n, &flipped);
    let discovery = discovery_order(n, &below, &above);

    let rank = assign_layers(n, &above, &below);
    let rows = wrap_wide_layers(members, &rank, &above, &below, &discovery);

    let mut proper = proper_graph(members, links, &rows, &orient, &above, &below, &discovery);
    order::minimise_crossings(&mut proper.layers, &proper.up, &proper.down, n);
    let center = place::centers(&proper.layers, &proper.up, &proper.down, &proper.half, &proper.is_virtual);
    let (lefts, right_edge) = snap(&proper, &center);
    let center: Vec<f64> = lefts.iter().zip(&proper.half).map(|(left, half)| left + half).collect();
    let bands = layer_bands(members, &proper, &center);
    let last_bottom = bands.last().map_or(0.0, |band| band.1);
    Drawing {
        width: (right_edge + GROUP_PADDING).ceil(),
        height: (last_bottom + GROUP_PADDING).ceil(),
        corner: (0..n).map(|v| Point { x: lefts[v], y: bands[proper.layer_of[v]].0 }).collect(),
        layer: proper.layer_of,
        center,
        bands,
        chains: proper.chains,
    }
}

/// The proper layered graph of a group: its members (ids `0..members`) and
/// the virtual nodes of its long relations, each relation between
/// consecutive layers only.
struct Proper {
    layer_of: Vec<usize>,
    /// Half the width of each node.
    half: Vec<f64>,
    is_virtual: Vec<bool>,
    /// Node ids per layer, in left-to-right order.
    layers: Vec<Vec<usize>>,
    /// Neighbours in the layer above / below.
    up: Adjacency,
    down: Adjacency,
    chains: Vec<Chain>,
}

/// Builds the proper graph. Virtual nodes are shared by the relations of one
/// box that run past the same layer: they bundle into one trunk, which keeps
/// hubs readable. Relations too long for the budget get no virtual nodes.
fn proper_graph(
    members: &[Member],
    links: &[Link],
    rows: &[Vec<usize>],
    orient: &dyn Fn(usize, usize) -> (usize, usize),
    above: &Adjacency,
    below: &Adjacency,
    discovery: &[usize],
) -> Proper {
    let n = members.len();
    let mut layer_of = vec![0; n];
    for (l, row) in rows.iter().enumerate() {
        for &v in row {
            layer_of[v] = l;
        }
    }
    let mut half: Vec<f64> = members.iter().map(|m| m.slot / 2.0).collect();
    let mut is_virtual = vec![false; n];
    // First left-to-right order: search order, a virtual node with its anchor.
    let mut seed: Vec<usize> = discovery.to_vec();
    let mut bundles: BTreeMap<(usize, bool, usize), usize> = BTreeMap::new();
    let mut hops: Vec<(usize, usize)> = Vec::new();
    let mut chains = Vec::with_capacity(links.len());
    let longest = longest_bundled_span(links.iter().map(|l| {
        let (upper, lower) = orient(l.parent, l.child);
        layer_of[lower] - layer_of[upper] - 1
    }));
    for link in links {
        let (upper, lower) = orient(link.parent, link.child);
        let (top, bottom) = (layer_of[upper], layer_of[lower]);
        assert!(top < bottom, "relations point downwards after layering");
        let from_is_upper = upper == link.child;
        let mut via = Vec::new();
        if bottom - top - 1 > longest {
            chains.push(Chain { edge: link.edge, from_is_upper, upper, lower, via });
            continue;
        }
        if bottom > top + 1 {
            // Bundle at the end that has more relations on this side.
            let at_upper = below.of(upper).len() >= above.of(lower).len();
            let anchor = if at_upper { upper } else { lower };
            for l in top + 1..bottom {
                let id = *bundles.entry((anchor, at_upper, l)).or_insert_with(|| {
                    layer_of.push(l);
                    half.push(0.0);
                    is_virtual.push(true);
                    seed.push(discovery[anchor]);
                    layer_of.len() - 1
                });
                half[id] = half[id].max(link.spread);
                via.push(id);
            }
        }
        let mut previous = upper;
        for &v in via.iter().chain(std::iter::once(&lower)) {
            hops.push((previous, v));
            previous = v;
        }
        chains.push(Chain { edge: link.edge, from_is_upper, upper, lower, via });
    }
    let total = layer_of.len();
    hops.sort_unstable();
    hops.dedup();
    let down = Adjacency::new(total, &hops);
    let mut back: Vec<(usize, usize)> = hops.iter().map(|&(a, b)| (b, a)).collect();
    back.sort_unstable();
    let up = Adjacency::new(total, &back);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    for (v, &l) in layer_of.iter().enumerate() {
        layers[l].push(v);
    }
    for layer in &mut layers {
        layer.sort_by_key(|&v| (seed[v], is_virtual[v], v));
    }
    Proper { layer_of, half, is_virtual, layers, up, down, chains }
}

/// Left borders on whole pixels, the leftmost at the padding, every gap
/// kept; also the rightmost right border.
fn snap(proper: &Proper, center: &[f64]) -> (Vec<f64>, f64) {
    let half = &proper.half;
    let min_left = proper.layers.iter().flatten().map(|&v| center[v] - half[v]).fold(f64::INFINITY, f64::min);
    let shift = GROUP_PADDING - min_left;
    let mut right_edge = GROUP_PADDING;
    let mut lefts = vec![0.0; half.len()];
    for layer in &proper.layers {
        let mut previous: Option<(usize, f64)> = None;
        for &v in layer {
            let mut left = (center[v] - half[v] + shift).round();
            if let Some((p, right)) = previous {
                left = left.max((right + place::gap(proper.is_virtual[p], proper.is_virtual[v])).ceil());
            }
            lefts[v] = left;
            let right = left + 2.0 * half[v];
            right_edge = right_edge.max(right);
            previous = Some((v, right));
        }
    }
    (lefts, right_edge)
}

/// Top and bottom of every layer, below the label band. The space between
/// two layers grows with how far its relations run sideways, so that their
/// slanted lines stay readable.
fn layer_bands(members: &[Member], proper: &Proper, center: &[f64]) -> Vec<(f64, f64)> {
    let mut heights = vec![0.0_f64; proper.layers.len()];
    for (member, &l) in members.iter().zip(&proper.layer_of) {
        heights[l] = heights[l].max(member.height);
    }
    let mut bands = Vec::with_capacity(heights.len());
    let mut top = GROUP_LABEL_HEIGHT + GROUP_PADDING;
    for (layer, &height) in proper.layers.iter().zip(&heights) {
        let bottom = top + height;
        bands.push((top, bottom));
        let reach = layer
            .iter()
            .flat_map(|&a| proper.down.of(a).iter().map(move |&b| (center[a] - center[b]).abs()))
            .fold(0.0, f64::max);
        top = (bottom + 2.0 * STUB + (reach * SLANT_SPACE).clamp(MIN_SLANT, MAX_SLANT)).ceil();
    }
    bands
}

/// The parent -> child pairs that must be drawn upside down for the rest to
/// be acyclic, sorted: those pointing backwards in the vertex sequence of the
/// Eades–Lin–Smyth heuristic (sinks to the end, sources to the front, else
/// the vertex with most more children than parents next), which reverses few.
fn break_cycles(n: usize, pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let children = Adjacency::new(n, pairs);
    let mut flipped: Vec<(usize, usize)> = pairs.iter().map(|&(p, c)| (c, p)).collect();
    flipped.sort_unstable();
    let parents = Adjacency::new(n, &flipped);
    let mut state = Peeling {
        removed: vec![false; n],
        parents_left: (0..n).map(|v| parents.of(v).len() as i64).collect(),
        children_left: (0..n).map(|v| children.of(v).len() as i64).collect(),
        by_balance: BTreeSet::new(),
        sinks: VecDeque::new(),
        sources: VecDeque::new(),
    };
    for v in 0..n {
        state.by_balance.insert(state.key(v));
        if state.children_left[v] == 0 {
            state.sinks.push_back(v);
        } else if state.parents_left[v] == 0 {
            state.sources.push_back(v);
        }
    }
    let (mut front, mut back) = (Vec::with_capacity(n), Vec::new());
    loop {
        if let Some(v) = state.sinks.pop_front() {
            if !state.removed[v] {
                state.remove(v, &children, &parents);
                back.push(v);
            }
        } else if let Some(v) = state.sources.pop_front() {
            if !state.removed[v] && state.children_left[v] > 0 {
                state.remove(v, &children, &parents);
                front.push(v);
            }
        } else if let Some(&(_, v)) = state.by_balance.first() {
            state.remove(v, &children, &parents);
            front.push(v);
        } else {
            break;
        }
    }
    let mut rank = vec![0; n];
    for (i, &v) in front.iter().chain(back.iter().rev()).enumerate() {
        rank[v] = i;
    }
    pairs.iter().copied().filter(|&(p, c)| rank[p] > rank[c]).collect()
}

/// The state of the Eades–Lin–Smyth peeling.
struct Peeling {
    removed: Vec<bool>,
    parents_left: Vec<i64>,
    children_left: Vec<i64>,
    /// Remaining vertices, most children over parents first, then by number.
    by_balance: BTreeSet<(i64, usize)>,
    sinks: VecDeque<usize>,
    sources: VecDeque<usize>,
}

impl Peeling {
    fn key(&self, v: usize) -> (i64, usize) {
        (self.parents_left[v] - self.children_left[v], v)
    }

    fn remove(&mut self, v: usize, children: &Adjacency, parents: &Adjacency) {
        self.removed[v] = true;
        self.by_balance.remove(&self.key(v));
        for &c in children.of(v) {
            if !self.removed[c] {
                self.by_balance.remove(&self.key(c));
                self.parents_left[c] -= 1;
                self.by_balance.insert(self.key(c));
                if self.parents_left[c] == 0 {
                    self.sources.push_back(c);
                }
            }
        }
        for &p in parents.of(v) {
            if !self.removed[p] {
                self.by_balance.remove(&self.key(p));
                self.children_left[p] -= 1;
                self.by_balance.insert(self.key(p));
                if self.children_left[p] == 0 {
                    self.sinks.push_back(p);
                }
            }
        }
    }
}

/// The order in which a depth-first search of the upper -> lower pairs meets
/// the boxes, starting from the top boxes with relations: a good first
/// left-to-right order (siblings together, unrelated boxes last).
fn discovery_order(n: usize, below: &Adjacency, above: &Adjacency) -> Vec<usize> {
    let related = |v: usize| !above.of(v).is_empty() || !below.of(v).is_empty();
    let roots = (0..n).filter(|&v| above.of(v).is_empty() && related(v)).chain(0..n);
    let mut seen = vec![false; n];
    let mut discovery = vec![0; n];
    let mut found = 0;
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in roots {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        discovery[root] = found;
        found += 1;
        stack.push((root, 0));
        while let Some(&(v, next)) = stack.last() {
            let kids = below.of(v);
            if next == kids.len() {
                stack.pop();
                continue;
            }
            let top = stack.len() - 1;
            stack[top].1 += 1;
            let child = kids[next];
            if !seen[child] {
                seen[child] = true;
                discovery[child] = found;
                found += 1;
                stack.push((child, 0));
            }
        }
    }
    discovery
}

/// The longest run of virtual nodes a relation may get: unlimited unless
/// the runs together would exceed `VIRTUAL_BUDGET` times the relations (as
/// in deep graphs with long relations across them), then the longest within.
fn longest_bundled_span(spans: impl Iterator<Item = usize>) -> usize {
    let mut spans: Vec<usize> = spans.collect();
    let budget = VIRTUAL_BUDGET * spans.len() + 1024;
    if spans.iter().sum::<usize>() <= budget {
        return usize::MAX;
    }
    spans.sort_unstable();
    let mut total = 0;
    let mut longest = 0;
    for span in spans {
        total += span;
        if total > budget {
            break;
        }
        longest = span;
    }
    longest
}

/// Layer of every box: longest path from the top, then every box with more
/// relations below than above pulled down next to its children; boxes without
/// relations in the group go to a layer of their own at the bottom. Layers
/// are numbered without gaps.
fn assign_layers(n: usize, above: &Adjacency, below: &Adjacency) -> Vec<usize> {
    let mut waiting: Vec<usize> = (0..n).map(|v| above.of(v).len()).collect();
    let mut topological: Vec<usize> = (0..n).filter(|&v| waiting[v] == 0).collect();
    let mut layer = vec![0; n];
    let mut next = 0;
    while next < topological.len() {
        let v = topological[next];
        next += 1;
        for &w in below.of(v) {
            layer[w] = layer[w].max(layer[v] + 1);
            waiting[w] -= 1;
            if waiting[w] == 0 {
                topological.push(w);
            }
        }
    }
    assert_eq!(topological.len(), n, "the layered graph is acyclic");
    for &v in topological.iter().rev() {
        let (up, down) = (above.of(v), below.of(v));
        if !down.is_empty() && (up.is_empty() || down.len() > up.len()) {
            let nearest = down.iter().map(|&w| layer[w]).min().unwrap_or(layer[v] + 1);
            layer[v] = layer[v].max(nearest - 1);
        }
    }
    let isolated = |v: usize| above.of(v).is_empty() && below.of(v).is_empty();
    let deepest = (0..n).filter(|&v| !isolated(v)).map(|v| layer[v]).max();
    for (v, l) in layer.iter_mut().enumerate() {
        if isolated(v) {
            *l = deepest.map_or(0, |d| d + 1);
        }
    }
    let mut used = layer.clone();
    used.sort_unstable();
    used.dedup();
    layer.iter().map(|l| used.partition_point(|u| u < l)).collect()
}

/// The layers as rows of members, each too-wide layer split into several
/// consecutive rows when that brings the group nearer `TARGET_ASPECT`.
/// Within a layer, members with relations only upwards come first, those with
/// relations downwards last, so split-off rows stretch few relations.
fn wrap_wide_layers(
    members: &[Member],
    rank: &[usize],
    above: &Adjacency,
    below: &Adjacency,
    discovery: &[usize],
) -> Vec<Vec<usize>> {
    let count = rank.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (v, &l) in rank.iter().enumerate() {
        rows[l].push(v);
    }
    for row in &mut rows {
        row.sort_by_key(|&v| (below.of(v).len() as i64 - above.of(v).len() as i64, discovery[v]));
    }
    let unwrapped = aspect(&rows, members);
    if unwrapped <= WRAP_ABOVE_ASPECT {
        return rows;
    }
    let widest = rows.iter().map(|r| row_width(r, members)).fold(0.0, f64::max);
    let narrowest = members.iter().map(|m| m.slot).fold(1.0, f64::max);
    let score = |aspect: f64| (aspect / TARGET_ASPECT).ln().abs();
    let mut best = (score(unwrapped), rows.clone());
    for step in 1..=WRAP_CANDIDATES {
        let limit = widest * (narrowest / widest).powf(step as f64 / WRAP_CANDIDATES as f64);
        let wrapped = wrap(&rows, members, limit);
        let s = score(aspect(&wrapped, members));
        if s < best.0 {
            best = (s, wrapped);
        }
    }
    best.1
}

/// Splits every row wider than `limit` into rows of about equal width.
fn wrap(rows: &[Vec<usize>], members: &[Member], limit: f64) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let total = row_width(row, members);
        if total <= limit {
            out.push(row.clone());
            continue;
        }
        let target = total / (total / limit).ceil();
        let mut current: Vec<usize> = Vec::new();
        let mut width = 0.0;
        for &v in row {
            let slot = members[v].slot;
            if !current.is_empty() && width + NODE_GAP + slot / 2.0 > target {
                out.push(std::mem::take(&mut current));
                width = 0.0;
            }
            if !current.is_empty() {
                width += NODE_GAP;
            }
            width += slot;
            current.push(v);
        }
        out.push(current);
    }
    out
}

/// Width of a row of members placed side by side.
fn row_width(row: &[usize], members: &[Member]) -> f64 {
    row.iter().map(|&v| members[v].slot).sum::<f64>() + NODE_GAP * row.len().saturating_sub(1) as f64
}

/// Estimated width:height of a group drawn with these rows.
fn aspect(rows: &[Vec<usize>], members: &[Member]) -> f64 {
    let width = rows.iter().map(|r| row_width(r, members)).fold(0.0, f64::max) + 2.0 * GROUP_PADDING;
    let tallest = |r: &Vec<usize>| r.iter().map(|&v| members[v].height).fold(0.0, f64::max);
    let height = rows.iter().map(tallest).sum::<f64>()
        + ESTIMATED_LAYER_GAP * rows.len().saturating_sub(1) as f64
        + GROUP_LABEL_HEIGHT
        + 2.0 * GROUP_PADDING;
    width / height.max(1.0)
}
