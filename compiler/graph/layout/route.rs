//! Edge routing once every box has its place. Relations inside a group
//! follow their chain of layers (through the strips between layers and past
//! the layers in between at their virtual nodes); self-relations loop on the
//! right. Every other relation (between groups, or inside a group across
//! layers without virtual nodes) is routed orthogonally around the boxes:
//! out of its box vertically, through the strip next to the box's layer to
//! the group's side (or straight out of a top or bottom layer), along the
//! lanes between groups (`grid`), and into the other box the same way. No
//! such route crosses a box: strips hold none, lanes pass no group, and
//! the tracks that keep lines on one lane apart stay within its gap.
//! Attachment points are spread along each border in the order of where
//! their lines go, so lines do not cross at the box.

use std::collections::BTreeMap;

use super::grid::{Access, Axis, Found, Grid, BEND};
use super::group::Drawing;
use super::{half_pixel, Graph, Point, Rect, PARALLEL_SPACING, STUB};

/// How far the innermost self-loop reaches right of its box.
const LOOP_REACH: f64 = 20.0;
/// How much further each next self-loop of the same box reaches.
const LOOP_STEP: f64 = 10.0;
/// The outermost self-loop reaches at most this much further than the first.
const LOOP_SPREAD: f64 = 40.0;
/// Parallel lines of one pair spread over at most this width.
const PARALLEL_SPREAD: f64 = 60.0;

/// Sideways shift of every edge from the other edges joining the same two
/// boxes (0 for a lone edge, a self-loop or an invalid edge).
pub(super) fn parallel_offsets(graph: &Graph) -> Vec<f64> {
    let n = graph.nodes.len();
    let mut pairs: Vec<(usize, usize, usize)> = graph
        .edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.from < n && e.to < n && e.from != e.to)
        .map(|(i, e)| (e.from.min(e.to), e.from.max(e.to), i))
        .collect();
    pairs.sort_unstable();
    let mut offsets = vec![0.0; graph.edges.len()];
    for run in pairs.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let last = (run.len() - 1) as f64;
        let spacing = if run.len() > 1 { PARALLEL_SPACING.min(PARALLEL_SPREAD / last) } else { 0.0 };
        for (rank, &(_, _, edge)) in run.iter().enumerate() {
            offsets[edge] = half_pixel((rank as f64 - last / 2.0) * spacing);
        }
    }
    offsets
}

/// Self-relations: which loop of its box each one is, and how many loops
/// each box has.
pub(super) struct SelfLoops {
    index: Vec<usize>,
    count: Vec<usize>,
}

impl SelfLoops {
    pub(super) fn new(graph: &Graph) -> Self {
        let n = graph.nodes.len();
        let mut index = vec![0; graph.edges.len()];
        let mut count = vec![0; n];
        for (i, e) in graph.edges.iter().enumerate() {
            if e.from < n && e.from == e.to {
                index[i] = count[e.from];
                count[e.from] += 1;
            }
        }
        Self { index, count }
    }

    /// Room to keep free right of box `node` for its loops.
    pub(super) fn space(&self, node: usize) -> f64 {
        match self.count[node] {
            0 => 0.0,
            count => self.reach(count - 1, count) + 8.0,
        }
    }

    /// How far loop `k` of `count` reaches right of its box.
    fn reach(&self, k: usize, count: usize) -> f64 {
        let step = if count > 1 { LOOP_STEP.min(LOOP_SPREAD / (count - 1) as f64) } else { 0.0 };
        LOOP_REACH + step * k as f64
    }
}

/// Everything routing needs to know about the placed drawing.
pub(super) struct Scene<'a> {
    pub graph: &'a Graph,
    /// Final box of every node.
    pub rects: &'a [Rect],
    /// Cluster (group, or the extra one) of every node.
    pub cluster_of: &'a [usize],
    /// Position of every node among its cluster's members.
    pub local: &'a [usize],
    /// Nodes of every cluster, in member order.
    pub members: &'a [Vec<usize>],
    pub drawings: &'a [Option<Drawing>],
    /// Box of every cluster in the drawing (zero-size when empty).
    pub clusters: &'a [Rect],
    pub parallel: &'a [f64],
    pub loops: &'a SelfLoops,
}

/// The border of a box an edge leaves or enters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Top,
    Bottom,
}

/// One straight piece of a routed edge, between its two vertical stubs.
/// Pieces alternate: horizontal, vertical, ..., horizontal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Run {
    /// Horizontal, in the strip below layer `.1` of cluster `.0` (between it
    /// and the next layer), which no box reaches into.
    Strip(usize, usize),
    /// Along a line of the grid of lanes between groups.
    Lane(Axis, usize),
}

/// A relation routed orthogonally: out of its box vertically, then along
/// `runs`, then vertically into the other box.
struct Routed {
    /// The border left (of `from`) and the border entered (of `to`).
    sides: [Side; 2],
    runs: Vec<Run>,
}

/// How an edge is drawn.
enum Plan {
    /// Names a node that does not exist.
    Invalid,
    SelfLoop,
    /// Inside a group: cluster, index in its chains.
    Chain(usize, usize),
    /// Between groups, or inside a group across layers without virtual nodes.
    Routed(Routed),
}

/// A wish for an attachment point on a border.
struct Request {
    node: usize,
    side: Side,
    /// Where the line goes, along the border: requests are served in this order.
    key: f64,
    /// Requests with the same identity share one point (bundled lines).
    identity: (u8, usize, u64),
    edge: usize,
    at_end: bool,
}

/// Sideways room of a lane on either side of its line (a ring lies
/// `GROUP_GAP / 2` from its group, and boxes `GROUP_PADDING` further in).
const LANE_REACH: f64 = 12.0;
/// Distance between neighbouring tracks of a lane or strip, when it has room.
const TRACK_SPACING: f64 = 8.0;

/// The polyline of every edge, same order as `Graph::edges`.
pub(super) fn route_all(scene: &Scene) -> Vec<Vec<Point>> {
    let graph = scene.graph;
    let n = graph.nodes.len();
    let mut grid = Grid::new(scene.clusters);
    let mut plans: Vec<Plan> = graph
        .edges
        .iter()
        .map(|e| {
            if e.from >= n || e.to >= n {
                Plan::Invalid
            } else if e.from == e.to {
                Plan::SelfLoop
            } else if scene.cluster_of[e.from] != scene.cluster_of[e.to] {
                Plan::Routed(plan_routed(scene, &mut grid, e.from, e.to))
            } else {
                Plan::Invalid // replaced by its chain below
            }
        })
        .collect();
    for (cluster, drawing) in scene.drawings.iter().enumerate() {
        for (i, chain) in drawing.iter().flat_map(|d| d.chains.iter().enumerate()) {
            let d = drawing.as_ref().expect("a chain comes from a drawing");
            plans[chain.edge] = if chain.via.is_empty() && d.layer[chain.lower] > d.layer[chain.upper] + 1 {
                // Too long for virtual nodes: around the boxes instead.
                let e = &graph.edges[chain.edge];
                Plan::Routed(plan_routed(scene, &mut grid, e.from, e.to))
            } else {
                Plan::Chain(cluster, i)
            };
        }
    }

    let tracks = tracks(scene, &grid, &plans);

    let mut requests = Vec::new();
    // The bundles ending at a box: served in the order of their first edge.
    let mut bundle_keys: BTreeMap<usize, f64> = BTreeMap::new();
    for (edge, plan) in plans.iter().enumerate() {
        let e = &graph.edges[edge];
        match plan {
            Plan::Invalid | Plan::SelfLoop => {}
            Plan::Routed(route) => {
                let at = &tracks.at[edge];
                let last = at.len() - 1;
                let (from_toward, to_toward) = if last > 0 {
                    (at[1], at[last - 1])
                } else {
                    (center(&scene.rects[e.to]), center(&scene.rects[e.from]))
                };
                let bundled = tracks.at_to[edge];
                let mut request = |node: usize, side: Side, key: f64, bundle: Option<usize>, at_end: bool| {
                    let (key, identity) = match bundle {
                        Some(id) => (*bundle_keys.entry(id).or_insert(key), (2, id, 0)),
                        None => (key, (1, edge, 0)),
                    };
                    requests.push(Request { node, side, key, identity, edge, at_end });
                };
                request(e.from, route.sides[0], from_toward, (!bundled).then_some(tracks.ends[edge][0]), false);
                request(e.to, route.sides[1], to_toward, bundled.then_some(tracks.ends[edge][1]), true);
            }
            &Plan::Chain(cluster, i) => {
                let drawing = scene.drawings[cluster].as_ref().expect("a chain comes from a drawing");
                let chain = &drawing.chains[i];
                let offset = scene.parallel[edge];
                let origin = scene.clusters[cluster].x;
                let next = chain.via.first().copied().unwrap_or(chain.lower);
                let previous = chain.via.last().copied().unwrap_or(chain.upper);
                let members = &scene.members[cluster];
                requests.push(Request {
                    node: members[chain.upper],
                    side: Side::Bottom,
                    key: origin + drawing.center[next] + offset,
                    identity: (0, next, offset.to_bits()),
                    edge,
                    at_end: !chain.from_is_upper,
                });
                requests.push(Request {
                    node: members[chain.lower],
                    side: Side::Top,
                    key: origin + drawing.center[previous] + offset,
                    identity: (0, previous, offset.to_bits()),
                    edge,
                    at_end: chain.from_is_upper,
                });
            }
        }
    }
    let ports = allocate_ports(scene.rects, requests, graph.edges.len());

    plans
        .iter()
        .enumerate()
        .map(|(edge, plan)| {
            let e = &graph.edges[edge];
            let [start, end] = ports[edge];
            let points = match plan {
                Plan::Invalid => return Vec::new(),
                Plan::SelfLoop => self_loop(scene, edge, &scene.rects[e.from]),
                Plan::Routed(route) => {
                    let (a, b) = (&scene.rects[e.from], &scene.rects[e.to]);
                    let border = |r: &Rect, side: Side| if side == Side::Top { r.y } else { r.bottom() };
                    let mut points = vec![Point { x: start, y: border(a, route.sides[0]) }];
                    let mut at = Point { x: start, y: 0.0 };
                    for (run, &c) in route.runs.iter().zip(&tracks.at[edge]) {
                        if horizontal(run) {
                            at.y = c;
                        } else {
                            at.x = c;
                        }
                        points.push(at);
                    }
                    points.push(Point { x: end, y: at.y });
                    points.push(Point { x: end, y: border(b, route.sides[1]) });
                    points
                }
                &Plan::Chain(cluster, i) => chain_points(scene, cluster, i, start, end),
            };
            finish(points)
        })
        .collect()
}

fn center(r: &Rect) -> f64 {
    r.x + r.width / 2.0
}

fn horizontal(run: &Run) -> bool {
    matches!(run, Run::Strip(..) | Run::Lane(Axis::H, _))
}

/// Top and bottom of the strip below layer `layer` of `cluster`.
fn strip(scene: &Scene, cluster: usize, layer: usize) -> (f64, f64) {
    let drawing = scene.drawings[cluster].as_ref().expect("a strip belongs to a drawing");
    let y = scene.clusters[cluster].y;
    (y + drawing.bands[layer].1, y + drawing.bands[layer + 1].0)
}

/// A way out of a box to the grid of lanes.
struct Exit {
    side: Side,
    /// The strip crossed to the group's side, if the box is not in the top
    /// (bottom) layer.
    strip: Option<(usize, usize)>,
    access: Access,
}

/// The ways out of box `node`: up or down; from the top or bottom layer
/// straight to the ring above or below its group, from another layer into
/// the strip next to it and along it to the ring left or right.
fn exits(scene: &Scene, grid: &Grid, node: usize) -> Vec<Exit> {
    let cluster = scene.cluster_of[node];
    let drawing = scene.drawings[cluster].as_ref().expect("a node's cluster has a drawing");
    let ring = grid.rings[cluster].expect("a node's cluster has a ring");
    let layer = drawing.layer[scene.local[node]];
    let r = &scene.rects[node];
    let x = center(r);
    let mut out = Vec::with_capacity(4);
    for side in [Side::Top, Side::Bottom] {
        let (border, outermost, ring_y, below) = match side {
            Side::Top => (r.y, layer == 0, ring.top, layer.wrapping_sub(1)),
            Side::Bottom => (r.bottom(), layer + 1 == drawing.bands.len(), ring.bottom, layer),
        };
        if outermost {
            let access = Access { axis: Axis::H, line: ring_y, at: x, cost: (border - grid.ys[ring_y]).abs() };
            out.push(Exit { side, strip: None, access });
            continue;
        }
        let (top, bottom) = strip(scene, cluster, below);
        let y = (top + bottom) / 2.0;
        for line in [ring.left, ring.right] {
            let cost = (border - y).abs() + (x - grid.xs[line]).abs() + BEND;
            out.push(Exit { side, strip: Some((cluster, below)), access: Access { axis: Axis::V, line, at: y, cost } });
        }
    }
    out
}

/// The route from box `from` to box `to` through the grid of lanes.
fn plan_routed(scene: &Scene, grid: &mut Grid, from: usize, to: usize) -> Routed {
    let starts = exits(scene, grid, from);
    let ends = exits(scene, grid, to);
    let start_access: Vec<Access> = starts.iter().map(|x| x.access).collect();
    let end_access: Vec<Access> = ends.iter().map(|x| x.access).collect();
    let found = grid.search(&start_access, &end_access);
    debug_assert!(found.is_some(), "no route from box {from} to box {to} through the grid");
    let found = found.unwrap_or_else(|| {
        // Not expected (the grid is connected); a route that may cross boxes.
        let (s, e) = (&start_access[0], &end_access[0]);
        let mut lines = vec![(s.axis, s.line)];
        if s.axis == e.axis && s.line != e.line {
            let ring = grid.rings[scene.cluster_of[from]].expect("a node's cluster has a ring");
            lines.push(if s.axis == Axis::H { (Axis::V, ring.left) } else { (Axis::H, ring.top) });
        }
        if lines.last() != Some(&(e.axis, e.line)) {
            lines.push((e.axis, e.line));
        }
        Found { start: 0, end: 0, lines }
    });
    let (start, end) = (&starts[found.start], &ends[found.end]);
    let mut runs = Vec::with_capacity(found.lines.len() + 2);
    runs.extend(start.strip.map(|(c, l)| Run::Strip(c, l)));
    runs.extend(found.lines.iter().map(|&(axis, line)| Run::Lane(axis, line)));
    runs.extend(end.strip.map(|(c, l)| Run::Strip(c, l)));
    Routed { sides: [start.side, end.side], runs }
}

/// Where the runs of the routed edges lie.
struct Tracks {
    /// Per edge, the coordinate of each of its runs (empty unless routed).
    at: Vec<Vec<f64>>,
    /// Per edge, the bundle its first and its last run belong to.
    ends: Vec<[usize; 2]>,
    /// Per routed edge, whether it is bundled at its `to` end (else `from`).
    at_to: Vec<bool>,
}

/// The tracks of every routed edge. Edges bundle at their busier box, like
/// the chains of a hub: those leaving or entering that box by the same
/// border and the same runs share one line there, up to where their routes
/// part. Bundles sharing a strip or lane where they overlap get tracks of
/// their own, spread across it.
fn tracks(scene: &Scene, grid: &Grid, plans: &[Plan]) -> Tracks {
    let edges = &scene.graph.edges;
    let middle = |run: &Run| match *run {
        Run::Strip(c, l) => {
            let (top, bottom) = strip(scene, c, l);
            (top + bottom) / 2.0
        }
        Run::Lane(axis, line) => grid.coordinate(axis, line),
    };
    let routed = || {
        plans.iter().enumerate().filter_map(|(edge, plan)| match plan {
            Plan::Routed(route) => Some((edge, route)),
            _ => None,
        })
    };
    let mut busy = vec![0_usize; scene.graph.nodes.len()];
    for (edge, _) in routed() {
        busy[edges[edge].from] += 1;
        busy[edges[edge].to] += 1;
    }
    // A bundle is a run reached from a box, border and bundle before it;
    // parallel edges (same two boxes) keep apart.
    let mut bundles: BTreeMap<(bool, usize, Side, u64, Run, usize), usize> = BTreeMap::new();
    // Per bundle: its run and the stretch it covers.
    let mut stretch: Vec<(Run, f64, f64)> = Vec::new();
    let mut member: Vec<Vec<usize>> = vec![Vec::new(); plans.len()];
    let mut at_to = vec![false; plans.len()];
    for (edge, route) in routed() {
        let e = &edges[edge];
        let runs = &route.runs;
        let to_end = busy[e.to] >= busy[e.from];
        at_to[edge] = to_end;
        let (node, side) = if to_end { (e.to, route.sides[1]) } else { (e.from, route.sides[0]) };
        let parallel = scene.parallel[edge].to_bits();
        let mut ids = vec![0; runs.len()];
        let mut previous = usize::MAX;
        let order: Vec<usize> = if to_end { (0..runs.len()).rev().collect() } else { (0..runs.len()).collect() };
        for k in order {
            let before = if k == 0 { center(&scene.rects[e.from]) } else { middle(&runs[k - 1]) };
            let after = if k + 1 == runs.len() { center(&scene.rects[e.to]) } else { middle(&runs[k + 1]) };
            let (lo, hi) = (before.min(after), before.max(after));
            let next = stretch.len();
            let id = *bundles.entry((to_end, node, side, parallel, runs[k], previous)).or_insert(next);
            if id == next {
                stretch.push((runs[k], lo, hi));
            } else {
                stretch[id].1 = stretch[id].1.min(lo);
                stretch[id].2 = stretch[id].2.max(hi);
            }
            ids[k] = id;
            previous = id;
        }
        member[edge] = ids;
    }
    // Per strip or lane, its bundles, each on the lowest track free where it
    // starts (first fit).
    let mut users: BTreeMap<Run, Vec<usize>> = BTreeMap::new();
    for (id, &(run, _, _)) in stretch.iter().enumerate() {
        users.entry(run).or_default().push(id);
    }
    let mut coordinate = vec![0.0; stretch.len()];
    for (run, mut ids) in users {
        let reach = match run {
            Run::Strip(c, l) => {
                let (top, bottom) = strip(scene, c, l);
                ((bottom - top) / 2.0 - STUB).max(0.0)
            }
            Run::Lane(..) => LANE_REACH,
        };
        ids.sort_by(|&a, &b| {
            stretch[a].1.total_cmp(&stretch[b].1).then(stretch[a].2.total_cmp(&stretch[b].2)).then(a.cmp(&b))
        });
        let mut ends: Vec<f64> = Vec::new();
        let mut track = Vec::with_capacity(ids.len());
        for &id in &ids {
            let (_, from, to) = stretch[id];
            let t = ends.iter().position(|&end| end < from).unwrap_or(ends.len());
            if t == ends.len() {
                ends.push(to);
            } else {
                ends[t] = to;
            }
            track.push(t);
        }
        let count = ends.len();
        let spacing = if count > 1 { TRACK_SPACING.min(2.0 * reach / (count - 1) as f64) } else { 0.0 };
        let base = middle(&run);
        for (&id, &t) in ids.iter().zip(&track) {
            coordinate[id] = half_pixel(base + (t as f64 - (count - 1) as f64 / 2.0) * spacing);
        }
    }
    let at = member.iter().map(|ids| ids.iter().map(|&id| coordinate[id]).collect()).collect();
    let ends = member.iter().map(|ids| [ids.first().copied().unwrap_or(0), ids.last().copied().unwrap_or(0)]).collect();
    Tracks { at, ends, at_to }
}

/// Spreads the requests of every border evenly along it, in key order;
/// returns, per edge, the x of its start and of its end.
fn allocate_ports(rects: &[Rect], mut requests: Vec<Request>, edge_count: usize) -> Vec<[f64; 2]> {
    requests.sort_by(|a, b| {
        (a.node, a.side).cmp(&(b.node, b.side)).then(a.key.total_cmp(&b.key)).then(a.identity.cmp(&b.identity))
    });
    let mut ports = vec![[0.0; 2]; edge_count];
    for border in requests.chunk_by(|a, b| (a.node, a.side) == (b.node, b.side)) {
        let distinct = 1 + border.windows(2).filter(|w| w[0].identity != w[1].identity).count();
        let rect = &rects[border[0].node];
        let mut slot = 0;
        for (i, request) in border.iter().enumerate() {
            if i > 0 && border[i - 1].identity != request.identity {
                slot += 1;
            }
            let at = half_pixel(rect.x + rect.width * (slot + 1) as f64 / (distinct + 1) as f64);
            ports[request.edge][usize::from(request.at_end)] = at;
        }
    }
    ports
}

/// A route inside a group: down (or up) through the layer bands, passing
/// each layer in between at its virtual node.
fn chain_points(scene: &Scene, cluster: usize, i: usize, start: f64, end: f64) -> Vec<Point> {
    let drawing = scene.drawings[cluster].as_ref().expect("a chain comes from a drawing");
    let chain = &drawing.chains[i];
    let origin = scene.clusters[cluster];
    let members = &scene.members[cluster];
    let offset = scene.parallel[chain.edge];
    let (upper_port, lower_port) = if chain.from_is_upper { (start, end) } else { (end, start) };
    let upper = &scene.rects[members[chain.upper]];
    let lower = &scene.rects[members[chain.lower]];
    let band = |v: usize| {
        let (top, bottom) = drawing.bands[drawing.layer[v]];
        (origin.y + top, origin.y + bottom)
    };
    let mut points = Vec::with_capacity(4 + 2 * chain.via.len());
    points.push(Point { x: upper_port, y: upper.bottom() });
    points.push(Point { x: upper_port, y: band(chain.upper).1 + STUB });
    for &v in &chain.via {
        let x = origin.x + drawing.center[v] + offset;
        let (top, bottom) = band(v);
        points.push(Point { x, y: top });
        points.push(Point { x, y: bottom });
    }
    points.push(Point { x: lower_port, y: band(chain.lower).0 - STUB });
    points.push(Point { x: lower_port, y: lower.y });
    if !chain.from_is_upper {
        points.reverse();
    }
    points
}

/// A loop out of the right border of `rect` and back, nested outside the
/// box's earlier loops.
fn self_loop(scene: &Scene, edge: usize, rect: &Rect) -> Vec<Point> {
    let node = scene.graph.edges[edge].from;
    let k = scene.loops.index[edge];
    let reach = scene.loops.reach(k, scene.loops.count[node]);
    // Clear of the corners, so the ends are plainly on the right border.
    let half = (8.0 + 6.0 * k as f64).min(rect.height / 2.0 - 4.0).max(0.0);
    let middle = rect.y + rect.height / 2.0;
    let (x, out) = (rect.right(), rect.right() + reach);
    vec![
        Point { x, y: middle - half },
        Point { x: out, y: middle - half },
        Point { x: out, y: middle + half },
        Point { x, y: middle + half },
    ]
}

/// Rounds to half pixels and drops repeated points and points in the middle
/// of a straight horizontal or vertical run.
fn finish(points: Vec<Point>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    for p in points {
        let p = Point { x: half_pixel(p.x), y: half_pixel(p.y) };
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            let between = |lo: f64, mid: f64, hi: f64| lo.min(hi) <= mid && mid <= lo.max(hi);
            let straight = (a.x == b.x && b.x == p.x && between(a.y, b.y, p.y))
                || (a.y == b.y && b.y == p.y && between(a.x, b.x, p.x));
            if straight {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}
