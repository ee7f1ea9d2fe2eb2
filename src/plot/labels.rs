//! Where point labels go, in pixels: beside their point, never over another label or a point's
//! mark, never outside the panel; a label that has no such place is left out.
//!
//! Labels are placed greedily in the order given, so the caller puts first those a reader needs
//! most (the ends of a curve). Each tries a few positions around its point, the first that is free
//! wins. A figure whose points crowd together shows a readable subset of its labels rather than a
//! pile of overprinted text, and says how many it left out.

/// An axis-aligned box in pixels; `y` grows downwards, as on the screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Right edge.
    pub right: f64,
    /// Bottom edge.
    pub bottom: f64,
}

impl Rect {
    /// The box of half-size `radius` around `(x, y)`: a mark's.
    pub fn around((x, y): (f64, f64), radius: f64) -> Rect {
        Rect { left: x - radius, top: y - radius, right: x + radius, bottom: y + radius }
    }

    /// True when the two boxes share some area (touching edges do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }

    /// True when `self` lies wholly within `outer`.
    pub fn inside(&self, outer: &Rect) -> bool {
        self.left >= outer.left
            && self.right <= outer.right
            && self.top >= outer.top
            && self.bottom <= outer.bottom
    }
}

/// A label to place: the point it names and the size of its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wanted {
    /// The point, in pixels.
    pub at: (f64, f64),
    /// The text's width in pixels.
    pub width: f64,
    /// The text's height in pixels.
    pub height: f64,
}

/// Room between a point and its label, in pixels: clear of a mark of radius 5 or so.
const GAP: f64 = 7.0;
/// Room between two labels, so that neighbours never read as one word.
const PAD: f64 = 4.0;

/// The boxes of `labels` (each at the first free one of: above right, below right, above left,
/// below left of its point), or `None` for a label with no free place. A place is free when it lies
/// inside `bounds`, overlaps none of `obstacles`, and keeps a few pixels from every label placed
/// before it.
pub fn place(labels: &[Wanted], obstacles: &[Rect], bounds: Rect) -> Vec<Option<Rect>> {
    let mut taken: Vec<Rect> = Vec::new();
    labels
        .iter()
        .map(|w| {
            let (x, y) = w.at;
            let (right, left) = (x + GAP, x - GAP - w.width);
            let (above, below) = (y - GAP - w.height, y + GAP);
            let spot = [(right, above), (right, below), (left, above), (left, below)]
                .into_iter()
                .map(|(l, t)| Rect { left: l, top: t, right: l + w.width, bottom: t + w.height })
                .find(|r| {
                    let padded = Rect {
                        left: r.left - PAD,
                        top: r.top - PAD,
                        right: r.right + PAD,
                        bottom: r.bottom + PAD,
                    };
                    r.inside(&bounds)
                        && !obstacles.iter().any(|o| o.overlaps(r))
                        && !taken.iter().any(|o| o.overlaps(&padded))
                })?;
            taken.push(spot);
            Some(spot)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Rect = Rect { left: 0.0, top: 0.0, right: 400.0, bottom: 300.0 };

    fn wanted(x: f64, y: f64) -> Wanted {
        Wanted { at: (x, y), width: 60.0, height: 14.0 }
    }

    #[test]
    fn labels_of_distant_points_all_go_above_right() {
        let placed = place(&[wanted(50.0, 100.0), wanted(200.0, 100.0)], &[], BOUNDS);
        assert!(placed.iter().all(|r| r.is_some_and(|r| r.left > 50.0 && r.bottom < 100.0)), "{placed:?}");
    }

    #[test]
    fn crowded_labels_move_aside_and_then_are_left_out() {
        // Four points on top of each other: one label in each of the four places, then none.
        let placed = place(&[wanted(200.0, 150.0); 5], &[], BOUNDS);
        let boxes: Vec<Rect> = placed.iter().flatten().copied().collect();
        assert_eq!(boxes.len(), 4, "{placed:?}");
        assert_eq!(placed[4], None);
        for (i, a) in boxes.iter().enumerate() {
            assert!(boxes[i + 1..].iter().all(|b| !a.overlaps(b)), "no two labels overlap");
        }
    }

    #[test]
    fn labels_keep_inside_the_panel_and_off_the_marks() {
        // A point at the right edge puts its label to its left.
        let edge = place(&[wanted(395.0, 100.0)], &[], BOUNDS)[0].unwrap();
        assert!(edge.right < 395.0);
        // A mark where the first place would be pushes the label below.
        let mark = Rect::around((240.0, 85.0), 5.0);
        let moved = place(&[wanted(200.0, 100.0)], &[mark], BOUNDS)[0].unwrap();
        assert!(moved.top > 100.0 && !moved.overlaps(&mark), "{moved:?}");
        // A point in a corner too small for its label has none.
        let tight = Rect { left: 0.0, top: 0.0, right: 50.0, bottom: 20.0 };
        assert_eq!(place(&[wanted(25.0, 10.0)], &[], tight), [None]);
    }
}
