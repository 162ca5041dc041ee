//! Connected ink components (8-connected) in a column span of a scan.

use crate::decode::GrayImage;

use super::tuning::INK_BELOW;

/// One connected group of ink pixels. Coordinates are the scan's; `x1` and `y1` are exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
    pub pixels: usize,
}

impl Component {
    pub fn width(&self) -> u32 {
        self.x1 - self.x0
    }
    pub fn height(&self) -> u32 {
        self.y1 - self.y0
    }
}

/// The components of a span and which component each ink pixel belongs to.
pub struct Components {
    /// Left column of the span in the scan.
    pub x0: u32,
    /// Width of the span.
    pub width: u32,
    /// Component index + 1 per pixel of the span (0: paper), row-major.
    pub labels: Vec<u32>,
    pub list: Vec<Component>,
}

impl Components {
    /// Label of scan pixel (x, y): 0 for paper or outside the span, else component index + 1.
    pub fn label_at(&self, x: u32, y: u32) -> u32 {
        if x < self.x0 || x >= self.x0 + self.width {
            return 0;
        }
        self.labels.get((y as usize) * self.width as usize + (x - self.x0) as usize).copied().unwrap_or(0)
    }
}

fn find(parent: &mut [u32], mut a: u32) -> u32 {
    while parent[a as usize] != a {
        let p = parent[parent[a as usize] as usize];
        parent[a as usize] = p;
        a = p;
    }
    a
}

fn union(parent: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[hi as usize] = lo;
    }
}

/// Label the ink of columns `x0..x1` (clamped to the image) over all rows.
pub fn components(img: &GrayImage, x0: u32, x1: u32) -> Components {
    let x1 = x1.min(img.width);
    let x0 = x0.min(x1);
    let w = (x1 - x0) as usize;
    let h = img.height as usize;
    let mut labels = vec![0u32; w * h];
    // provisional labels start at 1; parent[0] is unused
    let mut parent: Vec<u32> = vec![0];
    for y in 0..h {
        let row = &img.row(y)[x0 as usize..x1 as usize];
        for (x, &v) in row.iter().enumerate() {
            if v >= INK_BELOW {
                continue;
            }
            let i = y * w + x;
            let mut l = 0u32;
            let mut neighbours = [0u32; 4];
            if x > 0 {
                neighbours[0] = labels[i - 1];
            }
            if y > 0 {
                let up = i - w;
                if x > 0 {
                    neighbours[1] = labels[up - 1];
                }
                neighbours[2] = labels[up];
                if x + 1 < w {
                    neighbours[3] = labels[up + 1];
                }
            }
            for &n in &neighbours {
                if n != 0 {
                    if l == 0 {
                        l = n;
                    } else if n != l {
                        union(&mut parent, l, n);
                    }
                }
            }
            if l == 0 {
                l = parent.len() as u32;
                parent.push(l);
            }
            labels[i] = l;
        }
    }
    // resolve to dense component indices
    let mut dense = vec![0u32; parent.len()];
    let mut list: Vec<Component> = Vec::new();
    for l in 1..parent.len() as u32 {
        let r = find(&mut parent, l);
        if r == l {
            list.push(Component { x0: u32::MAX, y0: u32::MAX, x1: 0, y1: 0, pixels: 0 });
            dense[l as usize] = list.len() as u32;
        }
    }
    for l in 1..parent.len() as u32 {
        let r = find(&mut parent, l);
        dense[l as usize] = dense[r as usize];
    }
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let l = labels[i];
            if l == 0 {
                continue;
            }
            let d = dense[l as usize];
            labels[i] = d;
            let c = &mut list[(d - 1) as usize];
            let (sx, sy) = (x0 + x as u32, y as u32);
            c.x0 = c.x0.min(sx);
            c.y0 = c.y0.min(sy);
            c.x1 = c.x1.max(sx + 1);
            c.y1 = c.y1.max(sy + 1);
            c.pixels += 1;
        }
    }
    Components { x0, width: w as u32, labels, list }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_blobs_and_a_diagonal() {
        // 0 = ink
        let rows = ["#..#.", "#...#", "....#", "##..."];
        let mut data = Vec::new();
        for r in rows {
            data.extend(r.bytes().map(|b| if b == b'#' { 0u8 } else { 255 }));
        }
        let img = GrayImage { width: 5, height: 4, data };
        let c = components(&img, 0, 5);
        assert_eq!(c.list.len(), 3);
        assert_eq!(c.list[0], Component { x0: 0, y0: 0, x1: 1, y1: 2, pixels: 2 });
        assert_eq!(c.list[1], Component { x0: 3, y0: 0, x1: 5, y1: 3, pixels: 3 });
        assert_eq!(c.list[2].pixels, 2);
        let c = components(&img, 3, 5);
        assert_eq!(c.list.len(), 1);
        assert_eq!(c.label_at(4, 2), 1);
        assert_eq!(c.label_at(0, 0), 0);
    }
}
