//! Reads OSCAL XML into the OSCAL JSON shape, so that XML catalogs and profiles (NIST's specification tests,
//! CSF 2.0) go through the same models and resolver as JSON.
//!
//! Covers the catalog and profile models (and their metadata and back-matter); elements it does not know are
//! kept as objects or strings under their own name. Markup (`<p>`, `<insert>`, `<a>`, lists) becomes the
//! Markdown-like text OSCAL JSON uses (`{{ insert: param, id }}`). External entities are never expanded: a
//! document that needs one is an error.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

use crate::error::OscalError;

/// An element of the parsed tree.
#[derive(Debug, Clone, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Element(Element),
    Text(String),
}

/// Converts an OSCAL XML document into its OSCAL JSON form (`{ "catalog": {...} }`).
pub fn xml_to_json(document: &str, text: &str) -> Result<Value, OscalError> {
    let root = parse_tree(document, text)?;
    let mut out = Map::new();
    out.insert(root.name.clone(), element_object(&root));
    Ok(Value::Object(out))
}

fn syntax(document: &str, message: String) -> OscalError {
    OscalError::Syntax {
        document: document.to_owned(),
        pointer: String::new(),
        format: "XML",
        message,
    }
}

fn start_element(document: &str, e: &BytesStart<'_>) -> Result<Element, OscalError> {
    let name = e.local_name().as_ref().to_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| syntax(document, err.to_string()))?;
        let key = a.key;
        if key.as_ref() == "xmlns" || key.prefix().is_some() {
            continue; // namespace declarations and xsi:schemaLocation
        }
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| syntax(document, err.to_string()))?;
        attrs.push((key.local_name().as_ref().to_owned(), value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

fn parse_tree(document: &str, text: &str) -> Result<Element, OscalError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let push_text = |stack: &mut Vec<Element>, s: String| {
        if let Some(top) = stack.last_mut() {
            if let Some(Node::Text(prev)) = top.children.last_mut() {
                prev.push_str(&s);
            } else {
                top.children.push(Node::Text(s));
            }
        }
    };
    loop {
        let event = reader.read_event().map_err(|err| {
            syntax(
                document,
                format!("{err} (at byte {})", reader.buffer_position()),
            )
        })?;
        match event {
            Event::Start(e) => stack.push(start_element(document, &e)?),
            Event::Empty(e) => {
                let el = start_element(document, &e)?;
                match stack.last_mut() {
                    Some(top) => top.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(syntax(document, "unbalanced end tag".into()));
                };
                match stack.last_mut() {
                    Some(top) => top.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                push_text(&mut stack, t.xml10_content().into_owned());
            }
            Event::CData(t) => {
                push_text(&mut stack, t.xml10_content().into_owned());
            }
            Event::GeneralRef(r) => {
                let resolved = if let Some(ch) = r
                    .resolve_char_ref()
                    .map_err(|err| syntax(document, err.to_string()))?
                {
                    ch.to_string()
                } else {
                    let name: &str = &r;
                    match quick_xml::escape::resolve_predefined_entity(name) {
                        Some(s) => s.to_owned(),
                        None => {
                            return Err(syntax(
                                document,
                                format!(
                                    "entity `&{name};` is not expanded (external and custom entities are refused)"
                                ),
                            ));
                        }
                    }
                };
                push_text(&mut stack, resolved);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(syntax(document, "unexpected end of document".into()));
    }
    root.ok_or_else(|| syntax(document, "no root element".into()))
}

/// How an element appears in JSON.
enum Shape {
    /// Repeated object, collected into an array under the plural key.
    ObjectArray(&'static str),
    /// Repeated string, collected into an array under the plural key.
    StringArray(&'static str),
    /// Markup-line string.
    Line,
    /// Markup-multiline string.
    Multiline,
    /// Single object.
    Object,
    /// `<as-is>true</as-is>`.
    Boolean,
}

fn shape(parent: &str, name: &str) -> Shape {
    use Shape::*;
    match name {
        "group" => ObjectArray("groups"),
        "control" => ObjectArray("controls"),
        "param" => ObjectArray("params"),
        "prop" => ObjectArray("props"),
        "link" => ObjectArray("links"),
        "part" => ObjectArray("parts"),
        "resource" => ObjectArray("resources"),
        "rlink" => ObjectArray("rlinks"),
        "import" => ObjectArray("imports"),
        "include-controls" => ObjectArray("include-controls"),
        "exclude-controls" => ObjectArray("exclude-controls"),
        "insert-controls" => ObjectArray("insert-controls"),
        "matching" => ObjectArray("matching"),
        "set-parameter" => ObjectArray("set-parameters"),
        "alter" => ObjectArray("alters"),
        "remove" => ObjectArray("removes"),
        "add" => ObjectArray("adds"),
        "constraint" => ObjectArray("constraints"),
        "guideline" => ObjectArray("guidelines"),
        "test" => ObjectArray("tests"),
        "role" => ObjectArray("roles"),
        "party" => ObjectArray("parties"),
        "responsible-party" => ObjectArray("responsible-parties"),
        "responsible-role" => ObjectArray("responsible-roles"),
        "document-id" => ObjectArray("document-ids"),
        "location" => ObjectArray("locations"),
        "revision" => ObjectArray("revisions"),
        "address" => ObjectArray("addresses"),
        "telephone-number" => ObjectArray("telephone-numbers"),
        "external-id" => ObjectArray("external-ids"),
        "hash" => ObjectArray("hashes"),
        "action" => ObjectArray("actions"),
        "with-id" => StringArray("with-ids"),
        "value" if parent != "prop" => StringArray("values"),
        "choice" => StringArray("choice"),
        "addr-line" => StringArray("addr-lines"),
        "email-address" => StringArray("email-addresses"),
        "party-uuid" => StringArray("party-uuids"),
        "location-uuid" => StringArray("location-uuids"),
        "member-of-org" => StringArray("member-of-organizations"),
        "url" => StringArray("urls"),
        "remarks" | "usage" | "description" | "mapping-description" => Multiline,
        "as-is" => Boolean,
        "metadata" | "back-matter" | "merge" | "combine" | "custom" | "modify" | "include-all"
        | "flat" | "citation" | "select" | "base64" => Object,
        _ => Line,
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "ul"
            | "ol"
            | "table"
            | "pre"
            | "blockquote"
            | "hr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

fn element_object(el: &Element) -> Value {
    let mut obj = Map::new();
    for (k, v) in &el.attrs {
        obj.insert(k.clone(), Value::String(v.clone()));
    }
    let mut blocks: Vec<&Element> = Vec::new();
    let mut has_element_children = false;
    for child in &el.children {
        let Node::Element(c) = child else { continue };
        has_element_children = true;
        if is_block(&c.name) {
            blocks.push(c);
            continue;
        }
        match shape(&el.name, &c.name) {
            Shape::ObjectArray(key) => push(&mut obj, key, element_object(c)),
            Shape::StringArray(key) => push(&mut obj, key, Value::String(inline(&c.children))),
            Shape::Line => {
                if c.attrs.is_empty()
                    && !c
                        .children
                        .iter()
                        .any(|n| matches!(n, Node::Element(e) if !is_inline(&e.name)))
                {
                    obj.insert(c.name.clone(), Value::String(inline(&c.children)));
                } else {
                    obj.insert(c.name.clone(), element_object(c));
                }
            }
            Shape::Multiline => {
                obj.insert(c.name.clone(), Value::String(multiline(&c.children)));
            }
            Shape::Object => {
                obj.insert(c.name.clone(), element_object(c));
            }
            Shape::Boolean => {
                obj.insert(
                    c.name.clone(),
                    Value::Bool(inline(&c.children).trim() == "true"),
                );
            }
        }
    }
    if !blocks.is_empty() {
        let prose = multiline(&el.children);
        obj.insert("prose".into(), Value::String(prose));
    } else if !has_element_children {
        let text = inline(&el.children);
        if !text.is_empty() {
            // Text content of an element with flags: document-id, base64, etc.
            let key = match el.name.as_str() {
                "document-id" | "external-id" => "identifier",
                "base64" => "value",
                "telephone-number" => "number",
                _ => "value",
            };
            obj.insert(key.into(), Value::String(text));
        }
    }
    Value::Object(obj)
}

fn push(obj: &mut Map<String, Value>, key: &str, value: Value) {
    match obj
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(a) => a.push(value),
        other => *other = Value::Array(vec![other.take(), value]),
    }
}

fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "insert"
            | "a"
            | "em"
            | "i"
            | "strong"
            | "b"
            | "code"
            | "q"
            | "sub"
            | "sup"
            | "img"
            | "span"
            | "br"
    )
}

/// Markup-line content as Markdown-like text, whitespace collapsed.
fn inline(nodes: &[Node]) -> String {
    let mut out = String::new();
    inline_into(nodes, &mut out);
    collapse(&out)
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn inline_into(nodes: &[Node], out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) => {
                let attr = |k: &str| {
                    e.attrs
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("")
                };
                let inner = || {
                    let mut s = String::new();
                    inline_into(&e.children, &mut s);
                    collapse(&s)
                };
                match e.name.as_str() {
                    "insert" => out.push_str(&format!(
                        "{{{{ insert: {}, {} }}}}",
                        attr("type"),
                        attr("id-ref")
                    )),
                    "a" => out.push_str(&format!("[{}]({})", inner(), attr("href"))),
                    "em" | "i" => out.push_str(&format!("*{}*", inner())),
                    "strong" | "b" => out.push_str(&format!("**{}**", inner())),
                    "code" => out.push_str(&format!("`{}`", inner())),
                    "q" => out.push_str(&format!("\"{}\"", inner())),
                    "sub" => out.push_str(&format!("~{}~", inner())),
                    "sup" => out.push_str(&format!("^{}^", inner())),
                    "img" => out.push_str(&format!("![{}]({})", attr("alt"), attr("src"))),
                    "br" => out.push(' '),
                    _ => inline_into(&e.children, out),
                }
            }
        }
    }
}

/// Markup-multiline content: blocks separated by blank lines.
fn multiline(nodes: &[Node]) -> String {
    let mut blocks: Vec<String> = Vec::new();
    let mut loose: Vec<Node> = Vec::new();
    let flush = |loose: &mut Vec<Node>, blocks: &mut Vec<String>| {
        let s = inline(loose);
        if !s.is_empty() {
            blocks.push(s);
        }
        loose.clear();
    };
    for n in nodes {
        match n {
            Node::Element(e) if is_block(&e.name) => {
                flush(&mut loose, &mut blocks);
                blocks.push(block(e));
            }
            // Non-markup children (part, prop, title...) are handled as fields by the caller.
            Node::Element(e) if !is_inline(&e.name) => {}
            other => loose.push(other.clone()),
        }
    }
    flush(&mut loose, &mut blocks);
    blocks.join("\n\n")
}

fn block(e: &Element) -> String {
    match e.name.as_str() {
        "p" => inline(&e.children),
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let level = e.name[1..].parse::<usize>().unwrap_or(1);
            format!("{} {}", "#".repeat(level), inline(&e.children))
        }
        "ul" | "ol" => {
            let mut lines = Vec::new();
            for (i, li) in e
                .children
                .iter()
                .filter_map(|n| match n {
                    Node::Element(c) if c.name == "li" => Some(c),
                    _ => None,
                })
                .enumerate()
            {
                let marker = if e.name == "ol" {
                    format!("{}.", i + 1)
                } else {
                    "-".to_owned()
                };
                lines.push(format!("{marker} {}", inline(&li.children)));
            }
            lines.join("\n")
        }
        "pre" => {
            let mut s = String::new();
            inline_into(&e.children, &mut s);
            format!("```\n{s}\n```")
        }
        "blockquote" => format!("> {}", multiline(&e.children)),
        "hr" => "---".to_owned(),
        "table" => {
            let mut rows = Vec::new();
            for tr in e.children.iter().filter_map(|n| match n {
                Node::Element(c) if c.name == "tr" => Some(c),
                _ => None,
            }) {
                let cells: Vec<String> = tr
                    .children
                    .iter()
                    .filter_map(|n| match n {
                        Node::Element(c) if c.name == "td" || c.name == "th" => {
                            Some(inline(&c.children))
                        }
                        _ => None,
                    })
                    .collect();
                rows.push(format!("| {} |", cells.join(" | ")));
            }
            rows.join("\n")
        }
        _ => inline(&e.children),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_xml_becomes_oscal_json_shape() -> Result<(), OscalError> {
        let xml = r##"<?xml version="1.0"?>
<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="u1">
  <metadata><title>T</title><last-modified>2020-01-01T00:00:00Z</last-modified><version>1</version><oscal-version>1.0.0</oscal-version></metadata>
  <group><title>G</title>
    <control id="a1"><title>A <em>one</em></title>
      <param id="p1"><label>L</label><select how-many="one"><choice>x</choice><choice>y</choice></select></param>
      <prop name="label" value="A1"/>
      <part name="statement" id="a1-stmt"><p>Do <insert type="param" id-ref="p1"/>
      now.</p><p>See <a href="#r1">this</a>.</p></part>
    </control>
  </group>
</catalog>"##;
        let v = xml_to_json("t.xml", xml)?;
        let c = &v["catalog"]["groups"][0]["controls"][0];
        assert_eq!(c["title"], "A *one*");
        assert_eq!(c["params"][0]["select"]["choice"][1], "y");
        assert_eq!(c["params"][0]["select"]["how-many"], "one");
        assert_eq!(
            c["parts"][0]["prose"],
            "Do {{ insert: param, p1 }} now.\n\nSee [this](#r1)."
        );
        assert_eq!(c["props"][0]["value"], "A1");
        Ok(())
    }

    #[test]
    fn custom_entities_are_refused() {
        let xml = "<!DOCTYPE profile [<!ENTITY spoof SYSTEM \"x.xml\">]><profile>&spoof;</profile>";
        assert!(xml_to_json("p.xml", xml).is_err());
    }
}
