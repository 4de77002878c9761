//! The catalog model: groups of controls, controls with enhancements, parameters and parts.

use serde::{Deserialize, Serialize};

use super::{BackMatter, Extra, Link, Metadata, Parameter, Part, Property};

/// `{ "catalog": { ... } }`, the file as it is on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogDocument {
    pub catalog: Catalog,
}

/// A catalog of controls (800-53, a resolved baseline, a framework we export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Catalog {
    pub uuid: String,
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_matter: Option<BackMatter>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A group of controls (an 800-53 family), possibly nested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Group {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Group {
    /// True when the group carries `keep=always` and so survives pruning even without controls.
    pub fn is_keep_always(&self) -> bool {
        self.props.iter().any(Property::is_keep_always)
    }
}

/// A control; its `controls` are its enhancements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Control {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Property>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Control {
    /// The value of the `label` prop (`AC-2(1)` in 800-53), if any.
    pub fn label(&self) -> Option<&str> {
        self.props
            .iter()
            .find(|p| p.name == "label")
            .map(|p| p.value.as_str())
    }

    /// True when the control is withdrawn (800-53 marks them with `status=withdrawn`).
    pub fn is_withdrawn(&self) -> bool {
        self.props
            .iter()
            .any(|p| p.name == "status" && p.value == "withdrawn")
    }
}

impl Catalog {
    /// Every control, depth first in document order, with the id of its parent control when it is an
    /// enhancement and the ids of its enclosing groups.
    pub fn walk_controls(&self) -> Vec<ControlRef<'_>> {
        let mut out = Vec::new();
        fn controls<'a>(
            list: &'a [Control],
            parent: Option<&'a str>,
            groups: &[&'a Group],
            out: &mut Vec<ControlRef<'a>>,
        ) {
            for c in list {
                out.push(ControlRef {
                    control: c,
                    parent,
                    groups: groups.to_vec(),
                });
                controls(&c.controls, Some(&c.id), groups, out);
            }
        }
        fn groups_rec<'a>(
            list: &'a [Group],
            stack: &mut Vec<&'a Group>,
            out: &mut Vec<ControlRef<'a>>,
        ) {
            for g in list {
                stack.push(g);
                controls(&g.controls, None, stack, out);
                groups_rec(&g.groups, stack, out);
                stack.pop();
            }
        }
        controls(&self.controls, None, &[], &mut out);
        groups_rec(&self.groups, &mut Vec::new(), &mut out);
        out
    }
}

/// A control seen while walking a catalog.
#[derive(Debug, Clone)]
pub struct ControlRef<'a> {
    pub control: &'a Control,
    /// The enclosing control, for enhancements.
    pub parent: Option<&'a str>,
    /// Enclosing groups, outermost first.
    pub groups: Vec<&'a Group>,
}
