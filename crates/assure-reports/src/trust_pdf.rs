//! PDFs of the trust center: a visible watermark line on every page of a downloaded document (who took
//! it and when), and small text-only PDFs for the demo's provider documents.
//!
//! The watermark is page content, not an annotation, so a viewer shows and prints it and text extraction
//! finds it; it is a deterrent and a trace, not a protection (whoever holds the bytes can edit them).

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};

/// The resource name of the watermark's font, unlikely to clash with a document's own.
const FONT_NAME: &str = "AssureWatermarkF1";

/// Why a PDF could not be watermarked or written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("not a readable PDF: {0}")]
    Unreadable(String),
    #[error("the PDF has no pages")]
    NoPages,
    #[error("PDF page {page}: {detail}")]
    Page { page: u32, detail: String },
    #[error("writing the PDF: {0}")]
    Write(String),
}

/// Stamps `line` at the bottom of every page of `pdf` (and once more at the top), leaving the rest of each
/// page as it was. The document's own drawing state is saved and restored around its content, so the line
/// is drawn upright and black whatever the page did.
pub fn watermark_pdf(pdf: &[u8], line: &str) -> Result<Vec<u8>, PdfError> {
    let mut doc = Document::load_mem(pdf).map_err(|e| PdfError::Unreadable(e.to_string()))?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(PdfError::NoPages);
    }
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let text = pdf_text(line);
    for (number, page_id) in pages {
        let fail = |detail: String| PdfError::Page {
            page: number,
            detail,
        };
        add_font(&mut doc, page_id, font_id).map_err(|e| fail(e.to_string()))?;
        let height = media_box_height(&doc, page_id);
        let stamp = Content {
            operations: stamp_operations(&text, height),
        }
        .encode()
        .map_err(|e| fail(e.to_string()))?;
        let save = doc.add_object(Stream::new(Dictionary::new(), b"q\n".to_vec()));
        let stamp = doc.add_object(Stream::new(Dictionary::new(), stamp));
        let mut contents: Vec<Object> = match doc
            .get_dictionary(page_id)
            .map_err(|e| fail(e.to_string()))?
            .get(b"Contents")
        {
            Ok(Object::Reference(id)) => match doc.get_object(*id) {
                Ok(Object::Array(items)) => items.clone(),
                _ => vec![Object::Reference(*id)],
            },
            Ok(Object::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        contents.insert(0, Object::Reference(save));
        contents.push(Object::Reference(stamp));
        doc.get_object_mut(page_id)
            .and_then(Object::as_dict_mut)
            .map_err(|e| fail(e.to_string()))?
            .set("Contents", contents);
    }
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| PdfError::Write(e.to_string()))?;
    Ok(out)
}

/// `Q` closes the document's own drawing state (saved by the `q` put first), then the line is drawn at the
/// bottom and the top of the page in 8-point Helvetica.
fn stamp_operations(text: &[u8], height: f32) -> Vec<Operation> {
    let mut ops = vec![
        Operation::new("Q", vec![]),
        Operation::new("q", vec![]),
        Operation::new("rg", vec![0.6.into(), 0.0.into(), 0.0.into()]),
    ];
    for y in [18.0, height - 24.0] {
        ops.extend([
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec![FONT_NAME.into(), 8.into()]),
            Operation::new("Td", vec![24.into(), y.into()]),
            Operation::new("Tj", vec![Object::string_literal(text.to_vec())]),
            Operation::new("ET", vec![]),
        ]);
    }
    ops.push(Operation::new("Q", vec![]));
    ops
}

/// Adds the watermark font to a page's resources, which may be inline, a reference, or inherited.
fn add_font(doc: &mut Document, page_id: ObjectId, font_id: ObjectId) -> lopdf::Result<()> {
    let font_ref = {
        let resources = doc.get_or_create_resources(page_id)?.as_dict_mut()?;
        match resources.get(b"Font") {
            Ok(Object::Reference(id)) => Some(*id),
            Ok(Object::Dictionary(_)) => None,
            _ => {
                resources.set("Font", Dictionary::new());
                None
            }
        }
    };
    match font_ref {
        Some(id) => doc
            .get_object_mut(id)?
            .as_dict_mut()?
            .set(FONT_NAME, font_id),
        None => doc
            .get_or_create_resources(page_id)?
            .as_dict_mut()?
            .get_mut(b"Font")?
            .as_dict_mut()?
            .set(FONT_NAME, font_id),
    }
    Ok(())
}

/// The page's height from its (possibly inherited) media box; A4's when it has none.
fn media_box_height(doc: &Document, page_id: ObjectId) -> f32 {
    let mut node = doc.get_dictionary(page_id).ok();
    while let Some(dict) = node {
        if let Ok(Object::Array(rect)) = dict.get(b"MediaBox") {
            let n: Vec<f32> = rect.iter().filter_map(|o| o.as_float().ok()).collect();
            if let [_, y0, _, y1] = n[..] {
                return (y1 - y0).abs();
            }
        }
        node = dict
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .ok();
    }
    842.0
}

/// Text as WinAnsi bytes: ASCII kept, anything else as `?` (e-mail addresses and instants are ASCII).
fn pdf_text(line: &str) -> Vec<u8> {
    line.chars()
        .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
        .collect()
}

/// A small A4 PDF of text lines, one page per 40 lines: the demo's provider documents.
pub fn text_pdf(title: &str, lines: &[&str]) -> Result<Vec<u8>, PdfError> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    let chunks: Vec<&[&str]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(40).collect()
    };
    for chunk in chunks {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 16.into()]),
            Operation::new("Td", vec![56.into(), 780.into()]),
            Operation::new("Tj", vec![Object::string_literal(pdf_text(title))]),
            Operation::new("Tf", vec!["F1".into(), 10.into()]),
            Operation::new("TL", vec![15.into()]),
            Operation::new("T*", vec![]),
        ];
        for line in chunk {
            ops.push(Operation::new("T*", vec![]));
            ops.push(Operation::new(
                "Tj",
                vec![Object::string_literal(pdf_text(line))],
            ));
        }
        ops.push(Operation::new("ET", vec![]));
        let content = Content { operations: ops }
            .encode()
            .map_err(|e| PdfError::Write(e.to_string()))?;
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page_id));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| PdfError::Write(e.to_string()))?;
    Ok(out)
}

/// The text of every page, for tests and checks.
pub fn pdf_page_texts(pdf: &[u8]) -> Result<Vec<String>, PdfError> {
    let doc = Document::load_mem(pdf).map_err(|e| PdfError::Unreadable(e.to_string()))?;
    doc.get_pages()
        .keys()
        .map(|n| {
            doc.extract_text(&[*n]).map_err(|e| PdfError::Page {
                page: *n,
                detail: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_carries_the_requester_and_the_instant() {
        let lines: Vec<String> = (0..90).map(|i| format!("Finding {i}: none")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let pdf = text_pdf("Penetration-test summary 2026", &refs).expect("pdf");
        let before = pdf_page_texts(&pdf).expect("text");
        assert_eq!(before.len(), 3);
        assert!(!before[0].contains("co@northbank.example"));
        let line = "Confidential - downloaded by co@northbank.example (northbank) at 2026-03-01T10:15:00.000Z";
        let marked = watermark_pdf(&pdf, line).expect("watermarked");
        let after = pdf_page_texts(&marked).expect("text");
        assert_eq!(after.len(), 3);
        for (page, text) in after.iter().enumerate() {
            assert!(text.contains("co@northbank.example"), "page {page}: {text}");
            assert!(
                text.contains("2026-03-01T10:15:00.000Z"),
                "page {page}: {text}"
            );
        }
        // The document's own text is still there.
        assert!(after[0].contains("Penetration-test summary 2026"));
        assert!(after[2].contains("Finding 89"));
    }

    #[test]
    fn a_page_with_its_own_font_resources_keeps_them() {
        let pdf = text_pdf("Certificate", &["ISO/IEC 27001:2022"]).expect("pdf");
        let marked = watermark_pdf(&pdf, "downloaded by a@b.example").expect("marked");
        let doc = Document::load_mem(&marked).expect("loads");
        let (_, page) = doc.get_pages().into_iter().next().expect("a page");
        let fonts = doc.get_page_fonts(page).expect("fonts");
        assert!(fonts.contains_key(b"F1".as_slice()));
        assert!(fonts.contains_key(FONT_NAME.as_bytes()));
    }

    #[test]
    fn bytes_that_are_not_a_pdf_are_refused() {
        assert!(matches!(
            watermark_pdf(b"hello", "x"),
            Err(PdfError::Unreadable(_))
        ));
    }
}
