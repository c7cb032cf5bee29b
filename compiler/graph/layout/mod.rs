//! Geometry of an ER diagram: every box placed inside its group, the groups
//! packed into one drawing, every relation routed as a polyline.
//!
//! Inside a group the layout is layered (Sugiyama): cycles broken, parents
//! above their children, long relations split by virtual nodes, layers
//! ordered to cut crossings and placed compactly, and layers too wide for a
//! readable picture wrapped into several rows. Groups are then packed into a
//! drawing of roughly 16:10. Relations are drawn as polylines that never run
//! through a box: inside a group along their layers, between groups (and
//! inside one, across layers left without virtual nodes) orthogonally
//! through the strips between layers and the lanes between groups, bundled
//! at busy boxes (see `route` and `grid`).
//!
//! This module computes coordinates only. It knows nothing about entities,
//! SVG or the IR, does no I/O, and is deterministic: no hashing order, no
//! clock, no randomness, coordinates rounded to half pixels. The same graph
//! gives the same bits.

mod grid;
mod group;
mod order;
mod pack;
mod place;
mod route;
#[cfg(test)]
mod tests;

/// A point of the drawing, in pixels; y grows downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// An axis-aligned rectangle; `x`, `y` is its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    /// The x of the right border.
    pub fn right(&self) -> f64 {
        self.x + self.width
    }

    /// The y of the bottom border.
    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    /// Whether the interiors intersect: rectangles that only touch do not overlap.
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.right() && other.x < self.right() && self.y < other.bottom() && other.y < self.bottom()
    }

    /// Whether `other` lies entirely inside this rectangle (borders may touch).
    pub fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x && other.y >= self.y && other.right() <= self.right() && other.bottom() <= self.bottom()
    }
}

/// One box to place (an entity). `group` indexes `Graph::groups`.
///
/// Sizes that are negative or not finite count as zero. A node whose `group`
/// is out of range is placed in a group of its own that `Layout::groups` does
/// not report.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub width: f64,
    pub height: f64,
    pub group: usize,
}

/// A relation: `from` holds the foreign key (the "child"), `to` is referenced
/// (the "parent"). Self-edges (`from == to`) and parallel edges are drawn; an
/// edge naming a node that does not exist gets an empty polyline.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
}

/// What to lay out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Group titles, e.g. source module names; may be a single group.
    pub groups: Vec<String>,
}

/// The computed geometry, in pixels, origin at the top-left of the drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// One box per `Graph::nodes`, same order.
    pub nodes: Vec<Rect>,
    /// One polyline per `Graph::edges`, same order: the first point lies on
    /// the border of `from`'s box, the last on the border of `to`'s box, and
    /// the first and last segments are axis-aligned, perpendicular to the
    /// border they touch, at least `STUB` long.
    pub edges: Vec<Vec<Point>>,
    /// One box per `Graph::groups`, same order, around its nodes; its top
    /// `GROUP_LABEL_HEIGHT` pixels are kept free for the title. An empty group
    /// gets a zero-size rectangle at (0, 0).
    pub groups: Vec<Rect>,
    /// Size of the whole drawing; everything lies inside with a margin.
    pub width: f64,
    pub height: f64,
}

/// Space at the top of each group box for its title.
pub const GROUP_LABEL_HEIGHT: f64 = 28.0;
/// Smallest distance between two boxes of one group.
pub const NODE_GAP: f64 = 20.0;
/// Space between a group's border (or its label band) and its boxes.
pub const GROUP_PADDING: f64 = 16.0;
/// Smallest distance between two group boxes.
pub const GROUP_GAP: f64 = 32.0;
/// Empty border around the whole drawing (routes between groups may use
/// the outer part of it).
pub const MARGIN: f64 = 32.0;
/// Length of the straight piece with which an edge leaves or enters a box.
pub const STUB: f64 = 16.0;
/// Distance between the lines of parallel edges.
pub const PARALLEL_SPACING: f64 = 6.0;

/// Lays out `graph`: see the module documentation.
pub fn layout(graph: &Graph) -> Layout {
    let node_count = graph.nodes.len();
    // Group index of every node; out-of-range groups share one extra cluster.
    let cluster_count = graph.groups.len() + 1;
    let cluster_of: Vec<usize> = graph.nodes.iter().map(|n| n.group.min(graph.groups.len())).collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); cluster_count];
    let mut local = vec![0; node_count];
    for (node, &cluster) in cluster_of.iter().enumerate() {
        local[node] = members[cluster].len();
        members[cluster].push(node);
    }
    let valid = |e: &Edge| e.from < node_count && e.to < node_count;

    let parallel = route::parallel_offsets(graph);
    let loops = route::SelfLoops::new(graph);

    // Each cluster laid out on its own.
    let mut links: Vec<Vec<group::Link>> = (0..cluster_count).map(|_| Vec::new()).collect();
    for (id, e) in graph.edges.iter().enumerate() {
        if valid(e) && e.from != e.to && cluster_of[e.from] == cluster_of[e.to] {
            links[cluster_of[e.from]].push(group::Link {
                edge: id,
                child: local[e.from],
                parent: local[e.to],
                spread: parallel[id].abs(),
            });
        }
    }
    let drawings: Vec<Option<group::Drawing>> = members
        .iter()
        .zip(&links)
        .map(|(nodes, links)| {
            if nodes.is_empty() {
                return None;
            }
            let boxes: Vec<group::Member> = nodes
                .iter()
                .map(|&v| {
                    let width = dimension(graph.nodes[v].width);
                    group::Member { height: dimension(graph.nodes[v].height), slot: width + loops.space(v) }
                })
                .collect();
            Some(group::lay_out(&boxes, links))
        })
        .collect();

    // Pack the non-empty clusters.
    let packed: Vec<usize> = (0..cluster_count).filter(|&c| drawings[c].is_some()).collect();
    let mut slot_of = vec![usize::MAX; cluster_count];
    for (slot, &c) in packed.iter().enumerate() {
        slot_of[c] = slot;
    }
    let sizes: Vec<(f64, f64)> =
        packed.iter().filter_map(|&c| drawings[c].as_ref()).map(|d| (d.width, d.height)).collect();
    let mut between: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .filter(|e| valid(e) && cluster_of[e.from] != cluster_of[e.to])
        .map(|e| {
            let (a, b) = (slot_of[cluster_of[e.from]], slot_of[cluster_of[e.to]]);
            (a.min(b), a.max(b))
        })
        .collect();
    between.sort_unstable();
    let weighted: Vec<(usize, usize, u64)> =
        between.chunk_by(|a, b| a == b).map(|run| (run[0].0, run[0].1, run.len() as u64)).collect();
    let placement = pack::pack(&sizes, &weighted);

    let mut clusters = vec![Rect { x: 0.0, y: 0.0, width: 0.0, height: 0.0 }; cluster_count];
    for (slot, &c) in packed.iter().enumerate() {
        let (width, height) = sizes[slot];
        let at = placement.positions[slot];
        clusters[c] = Rect { x: MARGIN + at.x, y: MARGIN + at.y, width, height };
    }
    let mut nodes = Vec::with_capacity(node_count);
    for (v, n) in graph.nodes.iter().enumerate() {
        let cluster = cluster_of[v];
        let drawing = drawings[cluster].as_ref().expect("a node's cluster has a drawing");
        let corner = drawing.corner[local[v]];
        nodes.push(Rect {
            x: clusters[cluster].x + corner.x,
            y: clusters[cluster].y + corner.y,
            width: dimension(n.width),
            height: dimension(n.height),
        });
    }
    let groups = clusters[..graph.groups.len()].to_vec();

    let scene = route::Scene {
        graph,
        rects: &nodes,
        cluster_of: &cluster_of,
        local: &local,
        members: &members,
        drawings: &drawings,
        clusters: &clusters,
        parallel: &parallel,
        loops: &loops,
    };
    let edges = route::route_all(&scene);
    let (width, height) = if packed.is_empty() {
        (2.0 * MARGIN, 2.0 * MARGIN)
    } else {
        (placement.width + 2.0 * MARGIN, placement.height + 2.0 * MARGIN)
    };
    Layout { nodes, edges, groups, width, height }
}

/// A size as given, or zero when it is negative or not a number.
fn dimension(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 {
        value
    } else {
        0.0
    }
}

/// Rounds to the nearest half pixel.
fn half_pixel(value: f64) -> f64 {
    (value * 2.0).round() / 2.0
}

/// Adjacency lists packed into two vectors: the targets of `v` are
/// `targets[start[v]..start[v + 1]]`, in the order the pairs were given.
struct Adjacency {
    start: Vec<usize>,
    targets: Vec<usize>,
}

impl Adjacency {
    /// Lists for `count` vertices from `(source, target)` pairs.
    fn new(count: usize, pairs: &[(usize, usize)]) -> Self {
        let mut start = vec![0; count + 1];
        for &(source, _) in pairs {
            start[source + 1] += 1;
        }
        let mut sum = 0;
        for s in start.iter_mut() {
            sum += *s;
            *s = sum;
        }
        let mut fill = start.clone();
        let mut targets = vec![0; pairs.len()];
        for &(source, target) in pairs {
            targets[fill[source]] = target;
            fill[source] += 1;
        }
        Self { start, targets }
    }

    /// The targets of `v`.
    fn of(&self, v: usize) -> &[usize] {
        &self.targets[self.start[v]..self.start[v + 1]]
    }

    /// How many pairs there are.
    fn pair_count(&self) -> usize {
        self.targets.len()
    }
}
