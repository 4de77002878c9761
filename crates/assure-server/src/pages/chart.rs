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
                    // Cumulative rounding: the segments of a row always end exactly at the full width.
                    let end = LABEL_WIDTH + scale_exact(used, total, BAR_AREA);
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
