//! Edge routing once every box has its place: relations inside a group
//! follow their chain of layers, relations between groups run orthogonally
//! through the free strips between layers and beside groups, self-relations
//! loop on the right. Attachment points are spread along each border in the
//! order of where their lines go, so lines do not cross at the box.

use std::collections::BTreeMap;

use super::group::Drawing;
use super::{half_pixel, Graph, Point, Rect, GROUP_GAP, PARALLEL_SPACING, STUB};

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

/// A horizontal strip free of boxes where a route between groups runs
/// sideways: the space between two layers of a group, or the gap above or
/// below a group.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Channel {
    top: f64,
    bottom: f64,
    /// Whether the strip is outside the group (no stubs of its own edges).
    outside: bool,
}

impl Channel {
    /// Identity for sharing out tracks (coordinates are never negative).
    fn key(&self) -> (u64, u64) {
        (self.top.to_bits(), self.bottom.to_bits())
    }
}

/// A route between groups: out of `from` vertically into a channel next to
/// its layer, sideways to a vertical corridor outside the groups, along it to
/// a channel next to `to`'s layer, sideways and into `to`.
struct Across {
    start: Side,
    end: Side,
    start_channel: Channel,
    end_channel: Channel,
    /// None when both channels are one strip (the gap between two groups).
    corridor: Option<f64>,
}

/// How an edge is drawn.
enum Plan {
    /// Names a node that does not exist.
    Invalid,
    SelfLoop,
    /// Inside a group: cluster, index in its chains.
    Chain(usize, usize),
    Across(Across),
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

/// The polyline of every edge, same order as `Graph::edges`.
pub(super) fn route_all(scene: &Scene) -> Vec<Vec<Point>> {
    let graph = scene.graph;
    let n = graph.nodes.len();
    let mut plans: Vec<Plan> = graph
        .edges
        .iter()
        .map(|e| {
            if e.from >= n || e.to >= n {
                Plan::Invalid
            } else if e.from == e.to {
                Plan::SelfLoop
            } else if scene.cluster_of[e.from] != scene.cluster_of[e.to] {
                Plan::Across(plan_across(scene, e.from, e.to))
            } else {
                Plan::Invalid // replaced by its chain below
            }
        })
        .collect();
    for (cluster, drawing) in scene.drawings.iter().enumerate() {
        for (i, chain) in drawing.iter().flat_map(|d| d.chains.iter().enumerate()) {
            plans[chain.edge] = Plan::Chain(cluster, i);
        }
    }

    // Tracks: the routes sharing a channel or a corridor are spread across it.
    let mut channel_users: BTreeMap<(u64, u64), Vec<usize>> = BTreeMap::new();
    let mut corridor_users: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (edge, plan) in plans.iter().enumerate() {
        if let Plan::Across(route) = plan {
            channel_users.entry(route.start_channel.key()).or_default().push(edge);
            if route.end_channel.key() != route.start_channel.key() {
                channel_users.entry(route.end_channel.key()).or_default().push(edge);
            }
            if let Some(x) = route.corridor {
                corridor_users.entry(x.to_bits()).or_default().push(edge);
            }
        }
    }
    let track = |users: &[usize], edge: usize, from: f64, to: f64| {
        let k = users.binary_search(&edge).expect("a route uses its own tracks");
        half_pixel(from + (to - from) * (k + 1) as f64 / (users.len() + 1) as f64)
    };
    let channel_y = |channel: &Channel, edge: usize| {
        let pad = if channel.outside { 4.0 } else { STUB };
        track(&channel_users[&channel.key()], edge, channel.top + pad, channel.bottom - pad)
    };
    let corridor_x = |x: f64, edge: usize| {
        let reach = GROUP_GAP / 2.0 - 4.0;
        track(&corridor_users[&x.to_bits()], edge, x - reach, x + reach)
    };

    let mut requests = Vec::new();
    for (edge, plan) in plans.iter().enumerate() {
        let e = &graph.edges[edge];
        match plan {
            Plan::Invalid | Plan::SelfLoop => {}
            Plan::Across(route) => {
                let (a, b) = (&scene.rects[e.from], &scene.rects[e.to]);
                let (a_toward, b_toward) = match route.corridor {
                    Some(x) => (x, x),
                    None => (b.x + b.width / 2.0, a.x + a.width / 2.0),
                };
                let identity = (1, edge, 0);
                requests.push(Request {
                    node: e.from,
                    side: route.start,
                    key: a_toward,
                    identity,
                    edge,
                    at_end: false,
                });
                requests.push(Request { node: e.to, side: route.end, key: b_toward, identity, edge, at_end: true });
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
                Plan::Across(route) => {
                    let (a, b) = (&scene.rects[e.from], &scene.rects[e.to]);
                    let border = |r: &Rect, side: Side| if side == Side::Top { r.y } else { r.bottom() };
                    let a_y = channel_y(&route.start_channel, edge);
                    let b_y = channel_y(&route.end_channel, edge);
                    let mut points = vec![Point { x: start, y: border(a, route.start) }, Point { x: start, y: a_y }];
                    if let Some(x) = route.corridor {
                        let x = corridor_x(x, edge);
                        points.push(Point { x, y: a_y });
                        points.push(Point { x, y: b_y });
                    }
                    points.push(Point { x: end, y: b_y });
                    points.push(Point { x: end, y: border(b, route.end) });
                    points
                }
                &Plan::Chain(cluster, i) => chain_points(scene, cluster, i, start, end),
            };
            finish(points)
        })
        .collect()
}

/// The route between `from` and `to`, boxes of different groups: leave
/// towards the other box vertically, and change height in a corridor beside
/// the groups, where no box of either is in the way.
fn plan_across(scene: &Scene, from: usize, to: usize) -> Across {
    let (a, b) = (&scene.rects[from], &scene.rects[to]);
    let downwards = b.y + b.height / 2.0 >= a.y + a.height / 2.0;
    let (start, end) = if downwards { (Side::Bottom, Side::Top) } else { (Side::Top, Side::Bottom) };
    let start_channel = channel(scene, from, start);
    let end_channel = channel(scene, to, end);
    if start_channel.key() == end_channel.key() {
        return Across { start, end, start_channel, end_channel, corridor: None };
    }
    let (ga, gb) = (&scene.clusters[scene.cluster_of[from]], &scene.clusters[scene.cluster_of[to]]);
    let corridor = if gb.x >= ga.right() || ga.x >= gb.right() {
        // Side by side: in the gap between, or beside `to`'s group when the
        // gap is wide (other groups may stand in it).
        let (left, right) = if gb.x >= ga.right() { (ga, gb) } else { (gb, ga) };
        if right.x - left.right() <= 2.0 * GROUP_GAP {
            (left.right() + right.x) / 2.0
        } else if gb.x >= ga.right() {
            gb.x - GROUP_GAP / 2.0
        } else {
            gb.right() + GROUP_GAP / 2.0
        }
    } else {
        // One above the other: pass on the side with the shorter way.
        let left = ga.x.min(gb.x) - GROUP_GAP / 2.0;
        let right = ga.right().max(gb.right()) + GROUP_GAP / 2.0;
        let (ax, bx) = (a.x + a.width / 2.0, b.x + b.width / 2.0);
        if (ax - left) + (bx - left) <= (right - ax) + (right - bx) {
            left
        } else {
            right
        }
    };
    Across { start, end, start_channel, end_channel, corridor: Some(corridor) }
}

/// The channel next to `node`'s layer on `side`: between its layer and the
/// next one, or beyond the group's border for its first or last layer.
fn channel(scene: &Scene, node: usize, side: Side) -> Channel {
    let cluster = scene.cluster_of[node];
    let drawing = scene.drawings[cluster].as_ref().expect("a node's cluster has a drawing");
    let frame = &scene.clusters[cluster];
    let layer = drawing.layer[scene.local[node]];
    let bands = &drawing.bands;
    match side {
        Side::Bottom if layer + 1 < bands.len() => {
            Channel { top: frame.y + bands[layer].1, bottom: frame.y + bands[layer + 1].0, outside: false }
        }
        Side::Bottom => Channel { top: frame.bottom(), bottom: frame.bottom() + GROUP_GAP, outside: true },
        Side::Top if layer > 0 => {
            Channel { top: frame.y + bands[layer - 1].1, bottom: frame.y + bands[layer].0, outside: false }
        }
        Side::Top => Channel { top: (frame.y - GROUP_GAP).max(0.0), bottom: frame.y, outside: true },
    }
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
