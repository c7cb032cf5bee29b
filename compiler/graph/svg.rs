//! A [`Diagram`] as a self-contained SVG laid out by schemac ([`layout`]):
//! entity boxes with key markers and pattern badges, module clusters, and
//! crow's-foot ends on every foreign key line.
//!
//! Text widths are estimated from a monospace font, so a box fits its text
//! in any browser without measuring. No scripts, no external references: the
//! docs site adds zoom and pan around it.

use std::fmt::Write;

use super::escape_html as xml;
use super::labels::Occupied;
use super::layout::{self, Graph, Layout, Node, Rect, GROUP_LABEL_HEIGHT};
use super::model::{Diagram, End, EntityBox};

/// Advance of one character of the 12 px monospace font, with some slack.
const CHAR: f64 = 7.4;
const NAME_CHAR: f64 = 8.4;
const BADGE_CHAR: f64 = 6.4;
const HEADER: f64 = 28.0;
const BADGES: f64 = 18.0;
const ROW: f64 = 18.0;
const PAD: f64 = 10.0;
const MARKER_COLUMN: f64 = 5.0 * CHAR;
const GAP: f64 = 14.0;

pub struct Options<'a> {
    /// The `id` of the `<svg>` element.
    pub id: &'a str,
    /// What the picture shows, for screen readers and the `<title>`.
    pub label: &'a str,
    /// Each box links to `<prefix><Entity>.html` (the docs site's pages).
    pub link_prefix: Option<&'a str>,
}

/// Column widths of one box: (name column, type column).
fn columns(entity: &EntityBox) -> (f64, f64) {
    let name = entity.rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0) as f64 * CHAR;
    let ty = entity.rows.iter().map(|r| type_label(r).chars().count()).max().unwrap_or(0) as f64 * CHAR;
    (name, ty)
}

fn type_label(row: &super::model::Row) -> String {
    match row.pii {
        Some(mode) => format!("{} pii({mode})", row.ty),
        None => row.ty.clone(),
    }
}

fn badge_text(entity: &EntityBox) -> String {
    entity.badges.join(" · ")
}

fn size(entity: &EntityBox) -> (f64, f64) {
    let (name, ty) = columns(entity);
    let rows = PAD + MARKER_COLUMN + name + GAP + ty + PAD;
    let header = PAD + entity.name.chars().count() as f64 * NAME_CHAR + PAD;
    let badges = PAD + badge_text(entity).chars().count() as f64 * BADGE_CHAR + PAD;
    let width = rows.max(header).max(badges).max(140.0).ceil();
    let height = HEADER + if entity.badges.is_empty() { 0.0 } else { BADGES } + entity.rows.len() as f64 * ROW + 8.0;
    (width, height)
}

/// Lays the diagram out and draws it.
pub fn render(diagram: &Diagram, options: &Options) -> String {
    let graph = Graph {
        nodes: diagram
            .entities
            .iter()
            .map(|e| {
                let (width, height) = size(e);
                Node { width, height, group: e.group }
            })
            .collect(),
        edges: diagram.links.iter().map(|l| layout::Edge { from: l.from, to: l.to }).collect(),
        groups: diagram.groups.clone(),
    };
    let placed = layout::layout(&graph);
    draw(diagram, &placed, options)
}

fn draw(diagram: &Diagram, placed: &Layout, options: &Options) -> String {
    let mut out = String::new();
    let (width, height) = (placed.width.max(1.0), placed.height.max(1.0));
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{}\" class=\"er-diagram\" role=\"img\" aria-labelledby=\"{0}-title\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">",
        xml(options.id)
    );
    let _ = writeln!(out, "<title id=\"{}-title\">{}</title>", xml(options.id), xml(options.label));
    out.push_str(DEFS);
    out.push_str("<g class=\"groups\">\n");
    if diagram.groups.len() > 1 {
        for (name, rect) in diagram.groups.iter().zip(&placed.groups) {
            let _ = writeln!(
                out,
                "<g class=\"group\" data-module=\"{}\"><rect class=\"group-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\"/><text class=\"group-title\" x=\"{}\" y=\"{}\">{}</text></g>",
                xml(name),
                rect.x,
                rect.y,
                rect.width,
                rect.height,
                rect.x + 12.0,
                rect.y + GROUP_LABEL_HEIGHT * 0.65,
                xml(name)
            );
        }
    }
    out.push_str("</g>\n<g class=\"links\">\n");
    // Labels keep clear of boxes, group titles and each other.
    let titles = diagram.groups.iter().zip(&placed.groups).filter(|_| diagram.groups.len() > 1).map(|(name, rect)| {
        Rect { x: rect.x + 12.0, y: rect.y + 4.0, width: name.chars().count() as f64 * 8.0, height: 20.0 }
    });
    let mut occupied = Occupied::new(placed.nodes.iter().copied().chain(titles));
    for (link, points) in diagram.links.iter().zip(&placed.edges) {
        let Some(first) = points.first() else { continue };
        let mut d = format!("M{} {}", first.x, first.y);
        for p in &points[1..] {
            let _ = write!(d, " L{} {}", p.x, p.y);
        }
        let from = &diagram.entities[link.from].name;
        let to = &diagram.entities[link.to].name;
        let _ = write!(
            out,
            "<g class=\"link\" data-from=\"{}\" data-to=\"{}\"><title>{} → {}{}</title><path d=\"{d}\" marker-start=\"url(#{})\" marker-end=\"url(#{})\"/>",
            xml(from),
            xml(to),
            xml(from),
            xml(to),
            if link.label.is_empty() { String::new() } else { format!(": {}", xml(&link.label)) },
            marker(link.from_end),
            marker(link.to_end)
        );
        if let Some(at) = (!link.label.is_empty()).then(|| occupied.place(&link.label, points, width, height)).flatten()
        {
            let _ = write!(out, "<text class=\"link-label\" x=\"{}\" y=\"{}\">{}</text>", at.x, at.y, xml(&link.label));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n<g class=\"entities\">\n");
    for (entity, rect) in diagram.entities.iter().zip(&placed.nodes) {
        if let Some(prefix) = options.link_prefix {
            let _ = write!(out, "<a href=\"{}{}.html\">", xml(prefix), xml(&entity.name));
        }
        entity_box(&mut out, entity, rect.x, rect.y, rect.width, rect.height);
        if options.link_prefix.is_some() {
            out.push_str("</a>");
        }
        out.push('\n');
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn entity_box(out: &mut String, entity: &EntityBox, x: f64, y: f64, width: f64, height: f64) {
    let (name_column, _) = columns(entity);
    let _ = write!(out, "<g class=\"entity\" data-entity=\"{}\" transform=\"translate({x} {y})\">", xml(&entity.name));
    if let Some(doc) = &entity.doc {
        let _ = write!(out, "<title>{}: {}</title>", xml(&entity.name), xml(doc));
    }
    let _ = write!(out, "<rect class=\"entity-box\" width=\"{width}\" height=\"{height}\" rx=\"4\"/>");
    let _ = write!(
        out,
        "<path class=\"entity-head\" d=\"M0 {HEADER} V4 a4 4 0 0 1 4 -4 H{} a4 4 0 0 1 4 4 V{HEADER} Z\"/>",
        width - 4.0
    );
    let _ = write!(out, "<text class=\"entity-name\" x=\"{PAD}\" y=\"19\">{}</text>", xml(&entity.name));
    let mut top = HEADER;
    if !entity.badges.is_empty() {
        let _ =
            write!(out, "<text class=\"badges\" x=\"{PAD}\" y=\"{}\">{}</text>", top + 13.0, xml(&badge_text(entity)));
        top += BADGES;
    }
    for (i, row) in entity.rows.iter().enumerate() {
        let baseline = top + i as f64 * ROW + 14.0;
        if !row.keys.is_empty() {
            let keys: Vec<&str> = row.keys.iter().map(|k| k.marker()).collect();
            let _ = write!(out, "<text class=\"key\" x=\"{PAD}\" y=\"{baseline}\">{}</text>", keys.join(" "));
        }
        let _ = write!(
            out,
            "<text class=\"column\" x=\"{}\" y=\"{baseline}\">{}</text>",
            PAD + MARKER_COLUMN,
            xml(&row.name)
        );
        let class = if row.pii.is_some() { "type pii" } else { "type" };
        let _ = write!(
            out,
            "<text class=\"{class}\" x=\"{}\" y=\"{baseline}\">{}</text>",
            PAD + MARKER_COLUMN + name_column + GAP,
            xml(&type_label(row))
        );
    }
    out.push_str("</g>");
}

fn marker(end: End) -> &'static str {
    match end {
        End::ExactlyOne => "end-one",
        End::ZeroOrOne => "end-zero-or-one",
        End::ZeroOrMany => "end-many",
    }
}

/// Styles and the crow's-foot markers. Markers are drawn for a line that
/// arrives at a box from the left (+x points into the box); the start marker
/// is reversed by `auto-start-reverse`.
const DEFS: &str = r##"<defs>
<style>
.er-diagram { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.er-diagram .group-box { fill: #f6f8fb; stroke: #c7d0dd; }
.er-diagram .group-title { font-family: system-ui, sans-serif; font-size: 13px; font-weight: 600; fill: #51607a; }
.er-diagram .link path { fill: none; stroke: #5b6b82; stroke-width: 1.3; }
.er-diagram .link-label { font-size: 10px; fill: #3d4a5e; text-anchor: middle; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.er-diagram .entity-box { fill: #fff; stroke: #5b6b82; stroke-width: 1.2; }
.er-diagram .entity-head { fill: #dbe6f5; }
.er-diagram .entity-name { font-size: 13px; font-weight: 700; fill: #15233b; }
.er-diagram .badges { font-size: 10px; fill: #7a4f00; }
.er-diagram .key { font-size: 10px; font-weight: 700; fill: #8a5a00; }
.er-diagram .column { fill: #15233b; }
.er-diagram .type { fill: #5b6b82; }
.er-diagram .type.pii { fill: #a3261b; }
.er-diagram a:hover .entity-box, .er-diagram a:focus .entity-box { stroke: #1d5fd1; stroke-width: 2.4; }
</style>
<marker id="end-many" viewBox="-26 -8 28 16" refX="0" refY="0" markerWidth="28" markerHeight="16" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M-12 0 L0 -7 M-12 0 L0 0 M-12 0 L0 7" fill="none" stroke="#5b6b82" stroke-width="1.3"/><circle cx="-18" cy="0" r="4" fill="#fff" stroke="#5b6b82" stroke-width="1.3"/></marker>
<marker id="end-zero-or-one" viewBox="-26 -8 28 16" refX="0" refY="0" markerWidth="28" markerHeight="16" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M-8 -7 L-8 7" fill="none" stroke="#5b6b82" stroke-width="1.3"/><circle cx="-16" cy="0" r="4" fill="#fff" stroke="#5b6b82" stroke-width="1.3"/></marker>
<marker id="end-one" viewBox="-26 -8 28 16" refX="0" refY="0" markerWidth="28" markerHeight="16" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M-8 -7 L-8 7 M-13 -7 L-13 7" fill="none" stroke="#5b6b82" stroke-width="1.3"/></marker>
</defs>
"##;
