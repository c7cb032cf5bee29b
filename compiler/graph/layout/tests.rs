use proptest::prelude::*;

use super::*;

/// Tolerance for "on the border": coordinates are rounded to half pixels.
const EPS: f64 = 0.5;

fn node(width: f64, height: f64, group: usize) -> Node {
    Node { width, height, group }
}

fn edge(from: usize, to: usize) -> Edge {
    Edge { from, to }
}

/// The borders of `r` the point lies on: 0 top, 1 bottom, 2 left, 3 right.
fn borders_of(r: &Rect, p: Point) -> Vec<u8> {
    let within_x = p.x >= r.x - EPS && p.x <= r.right() + EPS;
    let within_y = p.y >= r.y - EPS && p.y <= r.bottom() + EPS;
    let mut sides = Vec::new();
    if within_x && (p.y - r.y).abs() <= EPS {
        sides.push(0);
    }
    if within_x && (p.y - r.bottom()).abs() <= EPS {
        sides.push(1);
    }
    if within_y && (p.x - r.x).abs() <= EPS {
        sides.push(2);
    }
    if within_y && (p.x - r.right()).abs() <= EPS {
        sides.push(3);
    }
    sides
}

/// Checks that `end` (first or last point of a polyline) sits on the border
/// of `r` and that the segment to `next` leaves that border perpendicularly,
/// outwards, for at least a stub. Returns the border.
fn check_end(r: &Rect, end: Point, next: Point, what: &str) -> u8 {
    let sides = borders_of(r, end);
    assert!(!sides.is_empty(), "{what}: {end:?} is not on the border of {r:?}");
    let (dx, dy) = (next.x - end.x, next.y - end.y);
    let leaves = |side: u8| match side {
        0 => dx == 0.0 && dy <= -(STUB - 1.0),
        1 => dx == 0.0 && dy >= STUB - 1.0,
        2 => dy == 0.0 && dx <= -(STUB - 1.0),
        _ => dy == 0.0 && dx >= STUB - 1.0,
    };
    let side = sides.iter().copied().find(|&side| leaves(side));
    side.unwrap_or_else(|| panic!("{what}: segment {end:?} -> {next:?} does not leave {r:?} straight by {sides:?}"))
}

/// Whether the segment a-b (of any slope) meets the interior of `r` shrunk
/// by `EPS` on every side (Liang–Barsky clipping against an open box).
fn crosses(a: Point, b: Point, r: &Rect) -> bool {
    let (x0, x1, y0, y1) = (r.x + EPS, r.right() - EPS, r.y + EPS, r.bottom() - EPS);
    if x0 >= x1 || y0 >= y1 {
        return false;
    }
    let (mut enter, mut leave) = (0.0_f64, 1.0_f64);
    for (start, delta, low, high) in [(a.x, b.x - a.x, x0, x1), (a.y, b.y - a.y, y0, y1)] {
        if delta == 0.0 {
            if start <= low || start >= high {
                return false;
            }
        } else {
            let (t0, t1) = ((low - start) / delta, (high - start) / delta);
            enter = enter.max(t0.min(t1));
            leave = leave.min(t0.max(t1));
        }
    }
    enter < leave
}

#[test]
fn segments_crossing_boxes_are_found() {
    let r = Rect { x: 10.0, y: 10.0, width: 20.0, height: 20.0 };
    let p = |x: f64, y: f64| Point { x, y };
    assert!(crosses(p(0.0, 20.0), p(40.0, 20.0), &r));
    assert!(crosses(p(20.0, 0.0), p(20.0, 15.0), &r));
    assert!(crosses(p(0.0, 0.0), p(40.0, 40.0), &r));
    assert!(crosses(p(15.0, 15.0), p(16.0, 16.0), &r));
    assert!(!crosses(p(0.0, 10.0), p(40.0, 10.0), &r), "along the border");
    assert!(!crosses(p(20.0, 0.0), p(20.0, 10.0), &r), "ending on the border");
    assert!(!crosses(p(0.0, 25.0), p(15.0, 45.0), &r), "passing a corner");
    assert!(!crosses(p(0.0, 0.0), p(9.0, 50.0), &r));
}

/// Every edge segment that runs through the interior of a box: (edge, box).
fn edges_through_boxes(out: &Layout) -> Vec<(usize, usize)> {
    // Boxes in buckets of a coarse grid, so big layouts stay quick.
    const CELL: f64 = 256.0;
    let columns = (out.width / CELL).ceil().max(1.0) as usize;
    let rows = (out.height / CELL).ceil().max(1.0) as usize;
    let cell = |x: f64, y: f64| {
        (
            (x / CELL).floor().clamp(0.0, (columns - 1) as f64) as usize,
            (y / CELL).floor().clamp(0.0, (rows - 1) as f64) as usize,
        )
    };
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); columns * rows];
    for (i, r) in out.nodes.iter().enumerate() {
        let ((c0, r0), (c1, r1)) = (cell(r.x, r.y), cell(r.right(), r.bottom()));
        for row in r0..=r1 {
            for column in c0..=c1 {
                buckets[row * columns + column].push(i);
            }
        }
    }
    let mut found = Vec::new();
    for (i, points) in out.edges.iter().enumerate() {
        let mut hit: Vec<usize> = Vec::new();
        for w in points.windows(2) {
            let ((c0, r0), (c1, r1)) =
                (cell(w[0].x.min(w[1].x), w[0].y.min(w[1].y)), cell(w[0].x.max(w[1].x), w[0].y.max(w[1].y)));
            for row in r0..=r1 {
                for column in c0..=c1 {
                    for &b in &buckets[row * columns + column] {
                        if crosses(w[0], w[1], &out.nodes[b]) {
                            hit.push(b);
                        }
                    }
                }
            }
        }
        hit.sort_unstable();
        hit.dedup();
        found.extend(hit.into_iter().map(|b| (i, b)));
    }
    found
}

/// Every invariant the renderer relies on.
fn check(graph: &Graph, out: &Layout) {
    assert_eq!(out.nodes.len(), graph.nodes.len());
    assert_eq!(out.edges.len(), graph.edges.len());
    assert_eq!(out.groups.len(), graph.groups.len());
    let drawing = Rect { x: 0.0, y: 0.0, width: out.width, height: out.height };
    for (i, (r, n)) in out.nodes.iter().zip(&graph.nodes).enumerate() {
        assert_eq!((r.width, r.height), (n.width, n.height), "node {i} keeps its size");
        assert!(drawing.contains(r), "node {i} {r:?} outside the drawing {drawing:?}");
        let g = &out.groups[n.group];
        let inner = Rect {
            x: g.x + 12.0,
            y: g.y + GROUP_LABEL_HEIGHT + 12.0,
            width: g.width - 24.0,
            height: g.height - GROUP_LABEL_HEIGHT - 24.0,
        };
        assert!(inner.contains(r), "node {i} {r:?} not inside its group {g:?} with padding");
    }
    // Pairwise: fine for the sizes tested here.
    for (i, a) in out.nodes.iter().enumerate() {
        let grown = Rect { x: a.x - 16.0, y: a.y - 16.0, width: a.width + 32.0, height: a.height + 32.0 };
        for (j, b) in out.nodes.iter().enumerate().skip(i + 1) {
            assert!(!grown.overlaps(b), "nodes {i} {a:?} and {j} {b:?} closer than 16 px");
        }
    }
    let used: Vec<bool> = (0..graph.groups.len()).map(|g| graph.nodes.iter().any(|n| n.group == g)).collect();
    for (i, a) in out.groups.iter().enumerate() {
        if !used[i] {
            assert_eq!(*a, Rect { x: 0.0, y: 0.0, width: 0.0, height: 0.0 });
            continue;
        }
        assert!(drawing.contains(a), "group {i} {a:?} outside the drawing");
        assert!(a.x >= 1.0 && a.y >= 1.0 && a.right() <= out.width - 1.0 && a.bottom() <= out.height - 1.0);
        let grown = Rect { x: a.x - 24.0, y: a.y - 24.0, width: a.width + 48.0, height: a.height + 48.0 };
        for (j, b) in out.groups.iter().enumerate().skip(i + 1) {
            if used[j] {
                assert!(!grown.overlaps(b), "groups {i} {a:?} and {j} {b:?} closer than 24 px");
            }
        }
    }
    for (i, (points, e)) in out.edges.iter().zip(&graph.edges).enumerate() {
        assert!(points.len() >= 2, "edge {i} has {} points", points.len());
        if e.from == e.to {
            assert!(points.len() >= 3, "self-edge {i} is a loop");
        }
        for p in points {
            assert!(p.x >= 0.0 && p.y >= 0.0 && p.x <= out.width && p.y <= out.height, "edge {i}: {p:?} outside");
            assert_eq!(p.x * 2.0, (p.x * 2.0).round(), "edge {i}: {p:?} not on half pixels");
            assert_eq!(p.y * 2.0, (p.y * 2.0).round(), "edge {i}: {p:?} not on half pixels");
        }
        let last = points.len() - 1;
        let start = check_end(&out.nodes[e.from], points[0], points[1], &format!("edge {i} start"));
        let end = check_end(&out.nodes[e.to], points[last], points[last - 1], &format!("edge {i} end"));
        if e.from == e.to {
            assert_eq!((start, end), (3, 3), "self-edge {i} loops on the right");
        }
    }
    // No line through a box, its own two included (their stubs only touch
    // the border).
    let through = edges_through_boxes(out);
    assert!(
        through.is_empty(),
        "{} edge segments run through boxes, first: edge {} {:?} through box {} {:?}",
        through.len(),
        through[0].0,
        out.edges[through[0].0],
        through[0].1,
        out.nodes[through[0].1]
    );
}

fn arbitrary_graph() -> impl Strategy<Value = Graph> {
    (1usize..=5, 0usize..=80)
        .prop_flat_map(|(groups, nodes)| {
            let node = (120u32..=400, 40u32..=400, 0..groups, any::<bool>()).prop_map(|(w, h, g, odd)| {
                // Some sizes fractional, as measured text gives them.
                let fraction = if odd { 0.3 } else { 0.0 };
                Node { width: w as f64 + fraction, height: h as f64 + fraction, group: g }
            });
            let edges = if nodes == 0 {
                Just(Vec::new()).boxed()
            } else {
                prop::collection::vec((0..nodes, 0..nodes).prop_map(|(from, to)| Edge { from, to }), 0..=2 * nodes)
                    .boxed()
            };
            (Just(groups), prop::collection::vec(node, nodes), edges)
        })
        .prop_map(|(groups, nodes, mut edges)| {
            // Duplicates and 2-cycles more often than chance gives them.
            let extra: Vec<Edge> = edges.iter().step_by(5).map(|e| Edge { from: e.to, to: e.from }).collect();
            let copies: Vec<Edge> = edges.iter().step_by(7).cloned().collect();
            edges.extend(extra);
            edges.extend(copies);
            Graph { nodes, edges, groups: (0..groups).map(|g| format!("module{g}")).collect() }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_invariant_holds(graph in arbitrary_graph()) {
        let out = layout(&graph);
        check(&graph, &out);
        prop_assert_eq!(edges_through_foreign_groups(&graph, &out), vec![]);
        prop_assert_eq!(&out, &layout(&graph));
    }
}

/// Crossings between consecutive rows of boxes within a group, for edges
/// joining boxes of adjacent rows, measured on the drawn attachment points.
fn row_crossings(graph: &Graph, out: &Layout) -> u64 {
    let mut rows: Vec<(usize, f64)> = graph.nodes.iter().map(|n| n.group).zip(out.nodes.iter().map(|r| r.y)).collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    rows.dedup();
    let row_of = |v: usize| rows.iter().position(|&r| r == (graph.nodes[v].group, out.nodes[v].y)).unwrap();
    let mut total = 0;
    for (upper_row, lower_row) in (0..rows.len()).zip(1..rows.len()) {
        // (x at the upper box, x at the lower box), ranked so that the
        // crossing counter sees positions.
        let mut lines: Vec<(f64, f64)> = Vec::new();
        for (e, points) in graph.edges.iter().zip(&out.edges) {
            let (a, b) = (row_of(e.from), row_of(e.to));
            let (first, last) = (points[0].x, points[points.len() - 1].x);
            if a == lower_row && b == upper_row {
                lines.push((last, first));
            } else if a == upper_row && b == lower_row {
                lines.push((first, last));
            }
        }
        let rank = |values: Vec<f64>, v: f64| values.iter().filter(|&&u| u < v).count();
        let tops: Vec<f64> = lines.iter().map(|l| l.0).collect();
        let bottoms: Vec<f64> = lines.iter().map(|l| l.1).collect();
        let ranked = lines.iter().map(|l| (rank(tops.clone(), l.0), rank(bottoms.clone(), l.1))).collect();
        total += order::count_crossings(ranked);
    }
    total
}

#[test]
fn crossing_counter_counts() {
    assert_eq!(order::count_crossings(vec![]), 0);
    assert_eq!(order::count_crossings(vec![(0, 1), (1, 0)]), 1);
    assert_eq!(order::count_crossings(vec![(0, 0), (0, 1), (1, 0)]), 1);
    assert_eq!(order::count_crossings(vec![(0, 2), (1, 1), (2, 0)]), 3);
    assert_eq!(order::count_crossings(vec![(0, 0), (1, 0), (1, 1)]), 0);
}

#[test]
fn children_are_ordered_without_crossings() {
    // Two parents (0, 1); their children alternate in input order, so the
    // input order has crossings.
    let mut nodes = vec![node(200.0, 80.0, 0), node(200.0, 80.0, 0)];
    nodes.extend((0..6).map(|_| node(150.0, 60.0, 0)));
    let edges = vec![edge(2, 1), edge(3, 0), edge(4, 1), edge(5, 0), edge(6, 1), edge(7, 0)];
    let graph = Graph { nodes, edges, groups: vec!["main".into()] };
    let out = layout(&graph);
    check(&graph, &out);
    assert_eq!(row_crossings(&graph, &out), 0);
    // Parents above children.
    for e in &graph.edges {
        assert!(out.nodes[e.to].bottom() < out.nodes[e.from].y);
    }
}

#[test]
fn a_layered_diamond_and_a_cycle_stay_tidy() {
    // 0 is referenced by 1 and 2, both referenced by 3; 4 -> 5 -> 6 -> 4.
    let nodes = (0..7).map(|i| node(160.0 + 10.0 * i as f64, 50.0 + 20.0 * i as f64, 0)).collect();
    let edges = vec![edge(1, 0), edge(2, 0), edge(3, 1), edge(3, 2), edge(5, 4), edge(6, 5), edge(4, 6), edge(3, 0)];
    let graph = Graph { nodes, edges, groups: vec!["main".into()] };
    let out = layout(&graph);
    check(&graph, &out);
    assert_eq!(row_crossings(&graph, &out), 0);
    assert!(out.nodes[0].bottom() < out.nodes[1].y && out.nodes[1].bottom() < out.nodes[3].y);
}

#[test]
fn empty_and_degenerate_graphs() {
    let empty = Graph::default();
    let out = layout(&empty);
    check(&empty, &out);
    assert!(out.width > 0.0 && out.height > 0.0);

    // No groups used, an empty group, zero and nonsense sizes, invalid edges.
    let graph = Graph {
        nodes: vec![node(0.0, 0.0, 1), node(f64::NAN, -5.0, 1), node(100.0, 40.0, 7)],
        edges: vec![edge(0, 0), edge(0, 0), edge(0, 1), edge(2, 1), edge(9, 0)],
        groups: vec!["unused".into(), "main".into()],
    };
    let out = layout(&graph);
    assert_eq!(out.groups[0], Rect { x: 0.0, y: 0.0, width: 0.0, height: 0.0 });
    assert!(out.edges[4].is_empty());
    assert_eq!(out.nodes[1].width, 0.0);
    for r in &out.nodes {
        assert!(r.x >= 0.0 && r.right() <= out.width && r.bottom() <= out.height);
    }
    assert!(!out.nodes[0].overlaps(&out.nodes[2]) && !out.nodes[1].overlaps(&out.nodes[2]));
}

#[test]
fn parallel_edges_and_loops_are_separated() {
    let nodes = vec![node(200.0, 100.0, 0), node(200.0, 100.0, 0), node(200.0, 100.0, 1)];
    let edges = vec![edge(1, 0), edge(1, 0), edge(0, 1), edge(0, 0), edge(0, 0), edge(2, 0), edge(2, 0)];
    let graph = Graph { nodes, edges, groups: vec!["a".into(), "b".into()] };
    let out = layout(&graph);
    check(&graph, &out);
    for (i, a) in out.edges.iter().enumerate() {
        for b in &out.edges[i + 1..] {
            assert_ne!(a, b, "two edges drawn on top of each other");
        }
    }
    // Starts of parallel edges differ.
    assert_ne!(out.edges[0][0], out.edges[1][0]);
    assert_ne!(out.edges[5][0], out.edges[6][0]);
}

/// Node i references i / 3, every seventh also i - 1; four groups.
fn hierarchy(count: usize, groups: usize) -> Graph {
    let nodes = (0..count)
        .map(|i| node(120.0 + (i * 37 % 280) as f64, 40.0 + (i * 53 % 360) as f64, i * groups / count))
        .collect();
    let mut edges: Vec<Edge> = (0..count).map(|i| edge(i, i / 3)).collect();
    edges.extend((7..count).step_by(7).map(|i| edge(i, i - 1)));
    Graph { nodes, edges, groups: (0..groups).map(|g| format!("module{g}")).collect() }
}

#[test]
fn two_hundred_entities_have_a_sane_shape() {
    let graph = hierarchy(200, 4);
    let out = layout(&graph);
    check(&graph, &out);
    assert_eq!(edges_through_boxes(&out), vec![], "no line through a box");
    assert_eq!(edges_through_foreign_groups(&graph, &out), vec![]);
    let aspect = out.width / out.height;
    assert!((0.5..=3.0).contains(&aspect), "aspect {aspect} ({} x {})", out.width, out.height);
}

#[test]
fn one_big_group_and_a_hub_are_wrapped() {
    // A hub referenced by 300 tables, in one group.
    let nodes = (0..301).map(|i| node(140.0 + (i % 5) as f64 * 40.0, 60.0 + (i % 7) as f64 * 30.0, 0)).collect();
    let edges = (1..301).map(|i| edge(i, 0)).collect();
    let graph = Graph { nodes, edges, groups: vec!["all".into()] };
    let out = layout(&graph);
    check(&graph, &out);
    let aspect = out.width / out.height;
    assert!((0.5..=3.0).contains(&aspect), "aspect {aspect} ({} x {})", out.width, out.height);

    // 400 unrelated tables.
    let nodes = (0..400).map(|i| node(120.0 + (i % 9) as f64 * 30.0, 40.0 + (i % 4) as f64 * 50.0, 0)).collect();
    let graph = Graph { nodes, edges: Vec::new(), groups: vec!["all".into()] };
    let out = layout(&graph);
    let aspect = out.width / out.height;
    assert!((0.5..=3.0).contains(&aspect), "aspect {aspect} ({} x {})", out.width, out.height);
}

/// Edges crossing groups other than their two boxes' by more than the
/// width of a lane (routes between groups run in the gaps; their tracks may
/// reach 12 px into a neighbouring group's padding, never to its boxes).
fn edges_through_foreign_groups(graph: &Graph, out: &Layout) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for (i, (points, e)) in out.edges.iter().zip(&graph.edges).enumerate() {
        for (g, r) in out.groups.iter().enumerate() {
            let own = [e.from, e.to].iter().any(|&v| graph.nodes.get(v).is_some_and(|n| n.group == g));
            let core = Rect { x: r.x + 12.0, y: r.y + 12.0, width: r.width - 24.0, height: r.height - 24.0 };
            if !own && points.windows(2).any(|w| crosses(w[0], w[1], &core)) {
                found.push((i, g));
            }
        }
    }
    found
}

#[test]
fn many_groups_are_joined_through_the_gaps() {
    // 40 groups of very different sizes, relations between any of them.
    let graph = {
        let mut g = hierarchy(400, 40);
        for (i, n) in g.nodes.iter_mut().enumerate() {
            n.group = (i * i / 7 + i / 3) % 40;
        }
        g.edges.extend((0..400).step_by(3).map(|i| edge(i, (i * 17 + 5) % 400)));
        g
    };
    let out = layout(&graph);
    check(&graph, &out);
    assert_eq!(edges_through_foreign_groups(&graph, &out), vec![]);
}

#[test]
fn long_relations_without_virtual_nodes_go_around_the_boxes() {
    // A deep chain whose long relations exceed the virtual node budget, so
    // they are routed around the group's boxes.
    let nodes = (0..400).map(|i| node(160.0 + (i % 3) as f64 * 20.0, 50.0, 0)).collect();
    let edges = (1..400).map(|i| edge(i, i - 1)).chain((0..250).map(|i| edge(399 - i, i))).collect();
    let graph = Graph { nodes, edges, groups: vec!["chain".into()] };
    let out = layout(&graph);
    check(&graph, &out);
    let left = out.nodes.iter().map(|r| r.x).fold(f64::INFINITY, f64::min);
    let right = out.nodes.iter().map(|r| r.right()).fold(0.0, f64::max);
    let beside = out.edges.iter().filter(|p| p.iter().any(|q| q.x < left || q.x > right)).count();
    assert!(beside > 50, "only {beside} long relations pass beside the boxes");
}

/// `count` nodes in groups of 50, one and a half edges a node, about 20%
/// between groups.
fn big_graph(count: usize) -> Graph {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    let nodes: Vec<Node> =
        (0..count).map(|i| node(120.0 + next(280) as f64, 40.0 + next(360) as f64, i / 50)).collect();
    let mut edges = Vec::with_capacity(count * 3 / 2);
    for i in 0..count * 3 / 2 {
        let from = next(count);
        let group = from / 50;
        let to = if i % 5 == 0 { next(count) } else { (group * 50 + next(50)).min(count - 1) };
        edges.push(edge(from, to));
    }
    Graph { nodes, edges, groups: (0..count.div_ceil(50)).map(|g| format!("module{g}")).collect() }
}

/// The shapes that stress the layout — many groups, many groups of two, one
/// big group, a long chain with long edges — keep every invariant `check`
/// knows. (How long they take is the `docs` benchmark's business.)
#[test]
fn large_layouts_keep_their_invariants() {
    for (name, graph) in [
        ("2,000 nodes in 40 groups", big_graph(2_000)),
        ("600 nodes in 300 groups", {
            let mut g = big_graph(600);
            g.nodes.iter_mut().enumerate().for_each(|(i, n)| n.group = i / 2);
            g.groups = (0..300).map(|i| format!("g{i}")).collect();
            g
        }),
        ("2,000 in one group", {
            let mut g = big_graph(2_000);
            g.nodes.iter_mut().for_each(|n| n.group = 0);
            g.groups.truncate(1);
            g
        }),
        ("a 1,000 chain with 400 long edges", {
            let nodes = (0..1000).map(|_| node(200.0, 60.0, 0)).collect();
            let edges = (1..1000).map(|i| edge(i, i - 1)).chain((0..400).map(|i| edge(999 - i, i))).collect();
            Graph { nodes, edges, groups: vec!["chain".into()] }
        }),
    ] {
        let out = layout(&graph);
        assert_eq!(out.nodes.len(), graph.nodes.len(), "{name}");
        check(&graph, &out);
    }
}
