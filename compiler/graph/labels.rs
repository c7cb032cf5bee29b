//! Where the name of each relation line goes in the SVG: on the line, clear
//! of every entity box, group title and label placed before it. A label that
//! fits nowhere on its line is left out (the line keeps it as a tooltip).
//!
//! Geometry only; widths are estimated from the 10 px monospace label font.
//! A coarse grid keeps the search near-linear on large diagrams.

use std::collections::BTreeMap;

use super::layout::{Point, Rect};

/// Advance of one character of the 10 px label font, with slack.
const CHAR: f64 = 6.3;
const HEIGHT: f64 = 13.0;
/// Space kept free around a label.
const PAD: f64 = 2.0;
const CELL: f64 = 256.0;

/// Rects already taken, bucketed by grid cell.
pub struct Occupied {
    rects: Vec<Rect>,
    cells: BTreeMap<(i64, i64), Vec<usize>>,
}

impl Occupied {
    /// Starts with the boxes and titles nothing may cover.
    pub fn new(obstacles: impl IntoIterator<Item = Rect>) -> Occupied {
        let mut occupied = Occupied { rects: Vec::new(), cells: BTreeMap::new() };
        for rect in obstacles {
            occupied.add(rect);
        }
        occupied
    }

    fn cells_of(rect: &Rect) -> impl Iterator<Item = (i64, i64)> {
        let (x0, x1) = ((rect.x / CELL).floor() as i64, ((rect.x + rect.width) / CELL).floor() as i64);
        let (y0, y1) = ((rect.y / CELL).floor() as i64, ((rect.y + rect.height) / CELL).floor() as i64);
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    }

    fn add(&mut self, rect: Rect) {
        let i = self.rects.len();
        self.rects.push(rect);
        for cell in Self::cells_of(&rect) {
            self.cells.entry(cell).or_default().push(i);
        }
    }

    fn free(&self, rect: &Rect) -> bool {
        let padded =
            Rect { x: rect.x - PAD, y: rect.y - PAD, width: rect.width + 2.0 * PAD, height: rect.height + 2.0 * PAD };
        Self::cells_of(&padded)
            .all(|cell| self.cells.get(&cell).is_none_or(|ids| ids.iter().all(|&i| !self.rects[i].overlaps(&padded))))
    }

    /// The first free spot for `text` along `points` (middles of long
    /// segments first), taken; `None` when there is none. The point is the
    /// text's anchor: its horizontal centre and its baseline.
    pub fn place(&mut self, text: &str, points: &[Point], width: f64, height: f64) -> Option<Point> {
        let w = text.chars().count() as f64 * CHAR;
        let mut segments: Vec<(f64, Point, Point)> = points
            .windows(2)
            .map(|pair| ((pair[1].x - pair[0].x).hypot(pair[1].y - pair[0].y), pair[0], pair[1]))
            .filter(|(length, _, _)| *length >= 12.0)
            .collect();
        segments.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, a, b) in segments {
            for t in [0.5, 0.3, 0.7, 0.15, 0.85] {
                let at = Point { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
                let vertical = (b.x - a.x).abs() < (b.y - a.y).abs();
                // Across a horizontal line, or beside a vertical one.
                let candidates = if vertical {
                    [Point { x: at.x + 4.0 + w / 2.0, y: at.y + 4.0 }, Point { x: at.x - 4.0 - w / 2.0, y: at.y + 4.0 }]
                } else {
                    [Point { x: at.x, y: at.y - 3.0 }, Point { x: at.x, y: at.y + HEIGHT }]
                };
                for anchor in candidates {
                    let rect = Rect { x: anchor.x - w / 2.0, y: anchor.y - HEIGHT + 3.0, width: w, height: HEIGHT };
                    let inside = rect.x >= 0.0 && rect.y >= 0.0 && rect.x + w <= width && rect.y + HEIGHT <= height;
                    if inside && self.free(&rect) {
                        self.add(rect);
                        return Some(Point { x: (anchor.x * 2.0).round() / 2.0, y: (anchor.y * 2.0).round() / 2.0 });
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_avoid_boxes_and_each_other() {
        let boxes = [Rect { x: 0.0, y: 0.0, width: 100.0, height: 100.0 }];
        let mut occupied = Occupied::new(boxes);
        // A line leaving the box to the right: the label sits past the box.
        let line = [Point { x: 100.0, y: 50.0 }, Point { x: 300.0, y: 50.0 }];
        let first = occupied.place("author / posts", &line, 400.0, 200.0).expect("room on the line");
        assert!(first.x - 14.0 * CHAR / 2.0 >= 100.0, "{first:?}");
        // The same label again goes elsewhere, never on the first.
        let second = occupied.place("author / posts", &line, 400.0, 200.0).expect("room left");
        assert!(first != second);
        // A line wholly inside a box has no room.
        let hidden = [Point { x: 10.0, y: 50.0 }, Point { x: 90.0, y: 50.0 }];
        assert_eq!(occupied.place("x", &hidden, 400.0, 200.0), None);
    }
}
