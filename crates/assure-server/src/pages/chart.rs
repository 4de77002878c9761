//! Charts drawn on the server as inline SVG: no charting script, nothing to load, readable without
//! JavaScript. Each chart carries `<title>` and `<desc>` for assistive technology and is followed by the
//! same numbers as a table (the accessible alternative and the source of truth for tests).
//!
//! Colours come from CSS classes (`seg-provider`, ...) in `static/app.css`, never from inline styles.

use askama::Template;
use assure_domain::matrix::Split;

/// Geometry shared by the charts, in SVG user units.
const WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 200;
const BAR_AREA: u32 = 360;
const ROW_HEIGHT: u32 = 26;
const BAR_HEIGHT: u32 = 18;
const TOP: u32 = 8;

/// One bar of a bar chart.
#[derive(Clone, Debug)]
pub(crate) struct Bar {
    pub label: String,
    pub value: usize,
    pub href: Option<String>,
    y: u32,
    width: u32,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: usize, href: Option<String>) -> Self {
        Self {
            label: label.into(),
            value,
            href,
            y: 0,
            width: 0,
        }
    }
}

/// A horizontal bar chart (e.g. controls per domain).
#[derive(Template, Debug)]
#[template(path = "charts/bars.html")]
pub(crate) struct BarChart {
    id: String,
    title: String,
    desc: String,
    label_heading: String,
    value_heading: String,
    height: u32,
    bars: Vec<Bar>,
}

/// Scales `value` of `max` to `area` units (at least 1 for a non-zero value, so it stays visible).
fn scale(value: usize, max: usize, area: u32) -> u32 {
    if max == 0 || value == 0 {
        return 0;
    }
    let area = area as usize;
    u32::try_from((value * area).div_ceil(max).clamp(1, area)).unwrap_or(0)
}

impl BarChart {
    pub fn new(
        id: &str,
        title: &str,
        desc: &str,
        (label_heading, value_heading): (&str, &str),
        mut bars: Vec<Bar>,
    ) -> Self {
        let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
        for (i, bar) in bars.iter_mut().enumerate() {
            bar.y = TOP + u32::try_from(i).unwrap_or(0) * ROW_HEIGHT;
            bar.width = scale(bar.value, max, BAR_AREA);
        }
        let rows = u32::try_from(bars.len()).unwrap_or(0);
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            desc: desc.to_owned(),
            label_heading: label_heading.to_owned(),
            value_heading: value_heading.to_owned(),
            height: TOP * 2 + rows * ROW_HEIGHT,
            bars,
        }
    }

    fn width(&self) -> u32 {
        WIDTH
    }

    fn label_x(&self) -> u32 {
        LABEL_WIDTH - 8
    }

    fn bar_x(&self) -> u32 {
        LABEL_WIDTH
    }

    fn text_dy(&self) -> u32 {
        BAR_HEIGHT - 4
    }

    fn bar_height(&self) -> u32 {
        BAR_HEIGHT
    }
}

/// One coloured part of a stacked bar.
#[derive(Clone, Debug)]
pub(crate) struct Segment {
    /// CSS class giving the colour: `seg-provider`, `seg-customer`, `seg-shared`, `seg-na`.
    pub class: &'static str,
    pub label: &'static str,
    pub value: usize,
    x: u32,
    width: u32,
}

/// One row of a stacked bar chart (e.g. a service model, or a tenant).
#[derive(Clone, Debug)]
pub(crate) struct Stack {
    pub label: String,
    pub segments: Vec<Segment>,
    pub total: usize,
    y: u32,
}

impl Segment {
    /// A segment coloured by the CSS `class` (defined in `static/app.css`).
    pub fn new(class: &'static str, label: &'static str, value: usize) -> Self {
        Self {
            class,
            label,
            value,
            x: 0,
            width: 0,
        }
    }
}

/// The responsibility split as segments, in a fixed order so colours always mean the same party.
pub(crate) fn split_segments(split: &Split) -> Vec<Segment> {
    [
        ("seg-provider", "provider", split.provider),
        ("seg-shared", "shared", split.shared),
        ("seg-customer", "customer", split.customer),
        ("seg-na", "not applicable", split.not_applicable),
    ]
    .into_iter()
    .map(|(class, label, value)| Segment {
        class,
        label,
        value,
        x: 0,
        width: 0,
    })
    .collect()
}

/// A horizontal stacked bar chart where every row is scaled to 100 %.
#[derive(Template, Debug)]
#[template(path = "charts/stacked.html")]
pub(crate) struct StackedChart {
    id: String,
    title: String,
    desc: String,
    label_heading: String,
    height: u32,
    stacks: Vec<Stack>,
    /// The segment labels and classes, for the legend and the table header.
    legend: Vec<(&'static str, &'static str)>,
}

impl StackedChart {
    pub fn new(
        id: &str,
        title: &str,
        desc: &str,
        label_heading: &str,
        rows: Vec<(String, Vec<Segment>)>,
    ) -> Self {
        Self::scaled(id, title, desc, label_heading, rows, None)
    }

    /// Rows drawn to one scale, the largest row total filling the width, so rows compare by size (the
    /// ageing of findings by severity); [`StackedChart::new`] draws every row at 100 %.
    pub fn absolute(
        id: &str,
        title: &str,
        desc: &str,
        label_heading: &str,
        rows: Vec<(String, Vec<Segment>)>,
    ) -> Self {
        let max = rows
            .iter()
            .map(|(_, segs)| segs.iter().map(|s| s.value).sum::<usize>())
            .max()
            .unwrap_or(0);
        Self::scaled(id, title, desc, label_heading, rows, Some(max))
    }

    /// `full`: the total that fills the width, or `None` for each row's own total.
    fn scaled(
        id: &str,
        title: &str,
        desc: &str,
        label_heading: &str,
        rows: Vec<(String, Vec<Segment>)>,
        full: Option<usize>,
    ) -> Self {
        let legend = rows
            .first()
            .map(|(_, segs)| segs.iter().map(|s| (s.class, s.label)).collect())
            .unwrap_or_default();
        let stacks: Vec<Stack> = rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, mut segments))| {
                let total: usize = segments.iter().map(|s| s.value).sum();
                let mut x = LABEL_WIDTH;
                let mut used = 0;
                for s in &mut segments {
                    used += s.value;
                    // Cumulative rounding: the segments of a row always end exactly at its width.
                    let end = LABEL_WIDTH + scale_exact(used, full.unwrap_or(total), BAR_AREA);
                    s.x = x;
                    s.width = end.saturating_sub(x);
                    x = end;
                }
                Stack {
                    label,
                    segments,
                    total,
                    y: TOP + 28 + u32::try_from(i).unwrap_or(0) * ROW_HEIGHT,
                }
            })
            .collect();
        let rows = u32::try_from(stacks.len()).unwrap_or(0);
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            desc: desc.to_owned(),
            label_heading: label_heading.to_owned(),
            height: TOP * 2 + 28 + rows * ROW_HEIGHT,
            stacks,
            legend,
        }
    }

    fn width(&self) -> u32 {
        WIDTH
    }

    fn label_x(&self) -> u32 {
        LABEL_WIDTH - 8
    }

    fn text_dy(&self) -> u32 {
        BAR_HEIGHT - 4
    }

    fn bar_height(&self) -> u32 {
        BAR_HEIGHT
    }

    /// x of the legend entry `i` (legend runs along the top).
    fn legend_x(&self, i: &usize) -> u32 {
        LABEL_WIDTH + u32::try_from(*i).unwrap_or(0) * 110
    }
}

/// One point of a line chart.
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub label: String,
    pub value: usize,
    x: u32,
    y: u32,
}

/// A line over time (e.g. open findings at the end of each week), with a dot per point.
#[derive(Template, Debug)]
#[template(path = "charts/line.html")]
pub(crate) struct LineChart {
    id: String,
    title: String,
    desc: String,
    label_heading: String,
    value_heading: String,
    points: Vec<Point>,
    /// The SVG `points` attribute of the polyline.
    polyline: String,
    max: usize,
}

/// Plot area of line charts.
const PLOT_LEFT: u32 = 48;
const PLOT_TOP: u32 = 16;
const PLOT_HEIGHT: u32 = 160;
const PLOT_WIDTH: u32 = WIDTH - PLOT_LEFT - 24;

impl LineChart {
    pub fn new(
        id: &str,
        title: &str,
        desc: &str,
        (label_heading, value_heading): (&str, &str),
        series: Vec<(String, usize)>,
    ) -> Self {
        let max = series.iter().map(|(_, v)| *v).max().unwrap_or(0);
        let gaps = u32::try_from(series.len().saturating_sub(1))
            .unwrap_or(1)
            .max(1);
        let points: Vec<Point> = series
            .into_iter()
            .enumerate()
            .map(|(i, (label, value))| Point {
                x: PLOT_LEFT + u32::try_from(i).unwrap_or(0) * PLOT_WIDTH / gaps,
                y: PLOT_TOP + PLOT_HEIGHT - scale_exact(value, max, PLOT_HEIGHT),
                label,
                value,
            })
            .collect();
        let polyline = points
            .iter()
            .map(|p| format!("{},{}", p.x, p.y))
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            id: id.to_owned(),
            title: title.to_owned(),
            desc: desc.to_owned(),
            label_heading: label_heading.to_owned(),
            value_heading: value_heading.to_owned(),
            points,
            polyline,
            max,
        }
    }

    fn width(&self) -> u32 {
        WIDTH
    }

    fn height(&self) -> u32 {
        PLOT_TOP + PLOT_HEIGHT + 40
    }

    fn left(&self) -> u32 {
        PLOT_LEFT
    }

    fn right(&self) -> u32 {
        PLOT_LEFT + PLOT_WIDTH
    }

    fn top(&self) -> u32 {
        PLOT_TOP
    }

    fn bottom(&self) -> u32 {
        PLOT_TOP + PLOT_HEIGHT
    }

    /// Every other label under the axis, so they do not overlap.
    fn shows_label(&self, i: &usize) -> bool {
        i % 2 == self.points.len().saturating_sub(1) % 2
    }
}

/// `value / total * area`, rounded to nearest; 0 when total is 0.
fn scale_exact(value: usize, total: usize, area: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    let area = area as usize;
    u32::try_from((value * area + total / 2) / total).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_bar_fills_the_area_and_small_values_stay_visible() {
        let chart = BarChart::new(
            "c",
            "t",
            "d",
            ("a", "b"),
            vec![
                Bar::new("big", 100, None),
                Bar::new("tiny", 1, None),
                Bar::new("none", 0, None),
            ],
        );
        let widths: Vec<u32> = chart.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, vec![BAR_AREA, 4, 0]);
    }

    #[test]
    fn stacked_segments_of_a_row_add_up_to_the_full_width() {
        let split = Split {
            provider: 1,
            customer: 1,
            shared: 1,
            not_applicable: 0,
        };
        let chart = StackedChart::new(
            "c",
            "t",
            "d",
            "l",
            vec![("x".into(), split_segments(&split))],
        );
        let total: u32 = chart.stacks[0].segments.iter().map(|s| s.width).sum();
        assert_eq!(total, BAR_AREA);
    }

    #[test]
    fn absolute_stacks_share_one_scale() {
        let rows = vec![
            (
                "critical".to_owned(),
                vec![
                    Segment::new("seg-age-1", "young", 2),
                    Segment::new("seg-age-2", "old", 2),
                ],
            ),
            (
                "low".to_owned(),
                vec![
                    Segment::new("seg-age-1", "young", 1),
                    Segment::new("seg-age-2", "old", 0),
                ],
            ),
        ];
        let chart = StackedChart::absolute("a", "t", "d", "l", rows);
        let widths: Vec<u32> = chart
            .stacks
            .iter()
            .map(|s| s.segments.iter().map(|g| g.width).sum())
            .collect();
        assert_eq!(widths, vec![BAR_AREA, BAR_AREA / 4]);
    }

    #[test]
    fn a_line_spans_the_plot_with_the_largest_value_at_the_top() {
        let chart = LineChart::new(
            "l",
            "Open findings",
            "d",
            ("Week", "Open"),
            vec![("w1".into(), 4), ("w2".into(), 2), ("w3".into(), 0)],
        );
        let xy: Vec<(u32, u32)> = chart.points.iter().map(|p| (p.x, p.y)).collect();
        assert_eq!(
            xy,
            vec![
                (PLOT_LEFT, PLOT_TOP),
                (PLOT_LEFT + PLOT_WIDTH / 2, PLOT_TOP + PLOT_HEIGHT / 2),
                (PLOT_LEFT + PLOT_WIDTH, PLOT_TOP + PLOT_HEIGHT)
            ]
        );
        let svg = chart.render().unwrap_or_default();
        assert!(
            svg.contains("<title id=\"l-title\">Open findings</title>"),
            "{svg}"
        );
        assert!(svg.contains("<td class=\"num\">4</td>"), "{svg}");
    }

    #[test]
    fn a_chart_names_itself_for_assistive_technology() {
        let chart = BarChart::new(
            "dom",
            "Controls by domain",
            "How many",
            ("Domain", "Controls"),
            vec![Bar::new("IAM", 3, None)],
        );
        let svg = chart.render().unwrap_or_default();
        assert!(svg.contains("<title id=\"dom-title\">Controls by domain</title>"));
        assert!(svg.contains("aria-labelledby=\"dom-title dom-desc\""));
        assert!(svg.contains("<th scope=\"col\">Controls</th>"));
    }
}
