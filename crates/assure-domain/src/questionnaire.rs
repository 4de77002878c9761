//! The questionnaire of an engagement: one question per in-scope customer or shared control, answered yes
//! / no / partial / not applicable with an explanation and evidence references.
//!
//! Offline answering goes through a [`Sheet`] (rows of text, what CSV and XLSX files hold; the bytes are
//! `assure-reports`' business). [`read_sheet`] checks every row and returns every problem at once, so a
//! file is either taken whole or not at all.
//!
//! The CAIQ v4 export keys answers by CSA CCM v4 control IDs through the programme's own mappings to
//! `csa-ccm-4`; it carries IDs and our own words only, never CSA's copyrighted question text.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::engagement::ScopedControl;
use crate::evidence::EvidenceId;
use crate::mapping::Mapping;
use crate::responsibility::Responsibility;
use crate::{ControlId, FrameworkId};

/// The framework the CAIQ export is keyed by.
pub const CCM_FRAMEWORK: &str = "csa-ccm-4";

/// An answer to one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Yes,
    No,
    Partial,
    NotApplicable,
}

impl Answer {
    pub const ALL: [Answer; 4] = [Self::Yes, Self::No, Self::Partial, Self::NotApplicable];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
            Self::NotApplicable => "not-applicable",
        }
    }

    /// Reads an answer as people type it: case-insensitive, `n/a` and `na` for not applicable.
    pub fn parse(value: &str) -> Option<Self> {
        let v = value.trim().to_ascii_lowercase();
        match v.as_str() {
            "n/a" | "na" | "not applicable" => Some(Self::NotApplicable),
            _ => Self::ALL.into_iter().find(|a| a.as_str() == v),
        }
    }

    /// The CAIQ answer column's vocabulary: `Yes`, `No`, `NA` (a partial answer is not a yes).
    pub fn caiq(self) -> &'static str {
        match self {
            Self::Yes => "Yes",
            Self::No | Self::Partial => "No",
            Self::NotApplicable => "NA",
        }
    }

    /// Order from weakest to strongest, to combine several controls behind one CCM control.
    fn strength(self) -> u8 {
        match self {
            Self::No => 0,
            Self::Partial => 1,
            Self::Yes => 2,
            Self::NotApplicable => 3,
        }
    }
}

/// One question: a control the customer answers for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    pub control: ControlId,
    pub responsibility: Responsibility,
    /// The question in our words: the control's title and what the customer's part is.
    pub text: String,
}

/// The questions of an engagement: one per in-scope control the customer answers for, in scope order.
pub fn questions(in_scope: &[ScopedControl]) -> Vec<Question> {
    in_scope
        .iter()
        .filter(|c| c.answered_by_customer())
        .map(|c| Question {
            control: c.control.clone(),
            responsibility: c.responsibility,
            text: if c.customer_part.is_empty() {
                format!("{}: is this in place on your side?", c.title)
            } else {
                format!("{}: {}", c.title, c.customer_part)
            },
        })
        .collect()
}

/// An answer with its explanation and evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Response {
    pub control: ControlId,
    pub answer: Answer,
    pub explanation: String,
    pub evidence: Vec<EvidenceId>,
}

/// A table of text as a CSV or XLSX file holds it: the header row, then data rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The columns of the offline questionnaire, in order. `question` is for the reader and ignored on import.
pub const COLUMNS: [&str; 6] = [
    "control",
    "responsibility",
    "question",
    "answer",
    "explanation",
    "evidence",
];

/// The columns an import needs.
pub const REQUIRED_COLUMNS: [&str; 4] = ["control", "answer", "explanation", "evidence"];

/// The questionnaire as a sheet to answer offline: every question with its current answer, if any.
/// Evidence references are separated by `;`.
pub fn to_sheet(questions: &[Question], responses: &[Response]) -> Sheet {
    let by_control: BTreeMap<&ControlId, &Response> =
        responses.iter().map(|r| (&r.control, r)).collect();
    Sheet {
        header: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: questions
            .iter()
            .map(|q| {
                let r = by_control.get(&q.control);
                vec![
                    q.control.to_string(),
                    q.responsibility.as_str().to_owned(),
                    q.text.clone(),
                    r.map(|r| r.answer.as_str().to_owned()).unwrap_or_default(),
                    r.map(|r| r.explanation.clone()).unwrap_or_default(),
                    r.map(|r| {
                        r.evidence
                            .iter()
                            .map(EvidenceId::as_str)
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default(),
                ]
            })
            .collect(),
    }
}

/// What is wrong with one cell or row of an imported sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// The spreadsheet row, 1 being the header.
    pub row: usize,
    pub column: String,
    pub problem: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.column, self.problem
        )
    }
}

/// Reads answers from a sheet, checking every row: known controls of this questionnaire, each at most
/// once, valid answers, an explanation for every answer but `yes`, evidence the tenant holds (`evidence`
/// is the set of its evidence IDs). Rows without an answer are skipped (not answered yet). Returns every
/// problem, in row order, or the answers when there is none.
pub fn read_sheet(
    sheet: &Sheet,
    questions: &[Question],
    evidence: &BTreeSet<EvidenceId>,
) -> Result<Vec<Response>, Vec<RowError>> {
    let mut errors = Vec::new();
    let position = |name: &str| {
        sheet
            .header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    for name in REQUIRED_COLUMNS {
        if position(name).is_none() {
            errors.push(RowError {
                row: 1,
                column: name.to_owned(),
                problem: "missing column".to_owned(),
            });
        }
    }
    let known: BTreeSet<&ControlId> = questions.iter().map(|q| &q.control).collect();
    let cell = |row: &[String], name: &str| -> String {
        position(name)
            .and_then(|i| row.get(i))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut seen: BTreeMap<ControlId, usize> = BTreeMap::new();
    let mut responses = Vec::new();
    for (index, row) in sheet.rows.iter().enumerate() {
        let number = index + 2;
        if row.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let mut error = |column: &str, problem: String| {
            errors.push(RowError {
                row: number,
                column: column.to_owned(),
                problem,
            })
        };
        let control = ControlId::from(cell(row, "control"));
        if control.as_str().is_empty() {
            error("control", "no control ID".to_owned());
        } else if !known.contains(&control) {
            error(
                "control",
                format!("unknown control {control}: not a question of this questionnaire"),
            );
        } else if let Some(first) = seen.insert(control.clone(), number) {
            error(
                "control",
                format!("control {control} is answered again (first on row {first})"),
            );
        }
        let answer_text = cell(row, "answer");
        if answer_text.is_empty() {
            continue;
        }
        let answer = Answer::parse(&answer_text);
        if answer.is_none() {
            error(
                "answer",
                format!("invalid answer {answer_text:?}: use yes, no, partial or not-applicable"),
            );
        }
        let explanation = cell(row, "explanation");
        if explanation.is_empty() && answer.is_some_and(|a| a != Answer::Yes) {
            error(
                "explanation",
                "an answer other than yes needs an explanation".to_owned(),
            );
        }
        let mut refs = Vec::new();
        for part in cell(row, "evidence").split([';', ',']) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let id = EvidenceId::new(part);
            if evidence.contains(&id) {
                refs.push(id);
            } else {
                error("evidence", format!("unknown evidence {part}"));
            }
        }
        if let Some(answer) = answer {
            responses.push(Response {
                control,
                answer,
                explanation,
                evidence: refs,
            });
        }
    }
    if errors.is_empty() {
        Ok(responses)
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

/// One row of the CAIQ v4 export: a CCM v4 control with the answer our controls mapped to it give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaiqRow {
    /// The CCM v4 control ID, e.g. `IAM-14`; CAIQ v4 questions are numbered under it.
    pub ccm_control: String,
    /// `Yes`, `No` or `NA`.
    pub answer: String,
    /// SSRM control ownership in CAIQ's vocabulary: `CSP-owned`, `CSC-owned`, `Shared CSP and CSC`.
    pub ownership: String,
    /// The customer's explanations, each prefixed by our control ID.
    pub description: String,
    /// Our controls behind the row.
    pub controls: Vec<ControlId>,
}

/// The CAIQ v4 column headings we write (no question text: IDs and our own words only).
pub const CAIQ_COLUMNS: [&str; 5] = [
    "Question ID",
    "CSC CAIQ Answer",
    "SSRM Control Ownership",
    "CSC Implementation Description",
    "Assure Controls",
];

/// Answers keyed by CCM v4 control: every mapping from an answered control to `csa-ccm-4` gives the CCM
/// control that answer speaks to; several controls behind one CCM control combine to the weakest answer
/// (no < partial < yes; not applicable only when all are). Sorted by CCM ID.
pub fn caiq(questions: &[Question], responses: &[Response], mappings: &[Mapping]) -> Vec<CaiqRow> {
    let ccm = FrameworkId::from(CCM_FRAMEWORK);
    let ownership: BTreeMap<&ControlId, Responsibility> = questions
        .iter()
        .map(|q| (&q.control, q.responsibility))
        .collect();
    let mut rows: BTreeMap<String, Vec<&Response>> = BTreeMap::new();
    for r in responses {
        for m in mappings
            .iter()
            .filter(|m| m.framework == ccm && m.control == r.control)
        {
            rows.entry(m.requirement.to_string()).or_default().push(r);
        }
    }
    rows.into_iter()
        .map(|(ccm_control, behind)| {
            let answer = behind
                .iter()
                .map(|r| r.answer)
                .min_by_key(|a| a.strength())
                .unwrap_or(Answer::NotApplicable);
            let shared = behind
                .iter()
                .any(|r| ownership.get(&r.control) == Some(&Responsibility::Shared));
            CaiqRow {
                ccm_control,
                answer: answer.caiq().to_owned(),
                ownership: if shared {
                    "Shared CSP and CSC".to_owned()
                } else {
                    "CSC-owned".to_owned()
                },
                description: behind
                    .iter()
                    .filter(|r| !r.explanation.is_empty())
                    .map(|r| format!("{}: {}", r.control, r.explanation))
                    .collect::<Vec<_>>()
                    .join(" "),
                controls: behind.iter().map(|r| r.control.clone()).collect(),
            }
        })
        .collect()
}

/// The CAIQ rows as a sheet with [`CAIQ_COLUMNS`].
pub fn caiq_sheet(rows: &[CaiqRow]) -> Sheet {
    Sheet {
        header: CAIQ_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.ccm_control.clone(),
                    r.answer.clone(),
                    r.ownership.clone(),
                    r.description.clone(),
                    r.controls
                        .iter()
                        .map(ControlId::as_str)
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Relationship;

    fn scoped(control: &str, responsibility: Responsibility) -> ScopedControl {
        ScopedControl {
            control: control.into(),
            title: format!("Title {control}"),
            responsibility,
            customer_part: "Customer does its part".into(),
        }
    }

    fn qs() -> Vec<Question> {
        questions(&[
            scoped("IAM-01", Responsibility::Customer),
            scoped("PHY-01", Responsibility::Provider),
            scoped("CRY-01", Responsibility::Shared),
        ])
    }

    fn sheet(header: &[&str], rows: &[&[&str]]) -> Sheet {
        Sheet {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
                .collect(),
        }
    }

    #[test]
    fn one_question_per_customer_or_shared_control() {
        let q = qs();
        let ids: Vec<&str> = q.iter().map(|q| q.control.as_str()).collect();
        assert_eq!(ids, ["IAM-01", "CRY-01"]);
        assert_eq!(q[0].text, "Title IAM-01: Customer does its part");
    }

    #[test]
    fn an_exported_sheet_reads_back_to_the_same_answers() {
        let evidence: BTreeSet<EvidenceId> = [EvidenceId::new("ev-1")].into();
        let responses = vec![Response {
            control: "CRY-01".into(),
            answer: Answer::Partial,
            explanation: "keys rotate yearly".into(),
            evidence: vec![EvidenceId::new("ev-1")],
        }];
        let s = to_sheet(&qs(), &responses);
        assert_eq!(s.header, COLUMNS);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(read_sheet(&s, &qs(), &evidence), Ok(responses));
    }

    #[test]
    fn a_bad_sheet_reports_every_row_error() {
        let s = sheet(
            &["control", "answer", "explanation"],
            &[
                &["IAM-01", "yes", ""],
                &["NOPE-99", "maybe", "x"],
                &["CRY-01", "no", ""],
                &["IAM-01", "n/a", "again"],
            ],
        );
        let errors = read_sheet(&s, &qs(), &BTreeSet::new())
            .err()
            .unwrap_or_default();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "row 1, column evidence: missing column",
                "row 3, column control: unknown control NOPE-99: not a question of this questionnaire",
                "row 3, column answer: invalid answer \"maybe\": use yes, no, partial or not-applicable",
                "row 4, column explanation: an answer other than yes needs an explanation",
                "row 5, column control: control IAM-01 is answered again (first on row 2)",
            ]
        );
    }

    #[test]
    fn unknown_evidence_is_a_row_error_and_blank_answers_are_skipped() {
        let s = sheet(
            &REQUIRED_COLUMNS,
            &[
                &["IAM-01", "yes", "", "ev-404"],
                &["CRY-01", "", "", ""],
                &["", "", "", ""],
            ],
        );
        let errors = read_sheet(&s, &qs(), &BTreeSet::new())
            .err()
            .unwrap_or_default();
        assert_eq!(
            errors,
            vec![RowError {
                row: 2,
                column: "evidence".into(),
                problem: "unknown evidence ev-404".into()
            }]
        );
        let s = sheet(&REQUIRED_COLUMNS, &[&["CRY-01", "", "", ""]]);
        assert_eq!(read_sheet(&s, &qs(), &BTreeSet::new()), Ok(vec![]));
    }

    #[test]
    fn caiq_rows_are_keyed_by_ccm_ids_and_combine_to_the_weakest_answer() {
        let mapping = |control: &str, requirement: &str| Mapping {
            control: control.into(),
            framework: CCM_FRAMEWORK.into(),
            requirement: requirement.into(),
            relationship: Relationship::IntersectsWith,
            rationale: String::new(),
            provenance: None,
        };
        let mappings = vec![
            mapping("IAM-01", "IAM-14"),
            mapping("CRY-01", "IAM-14"),
            mapping("CRY-01", "CEK-03"),
        ];
        let responses = vec![
            Response {
                control: "IAM-01".into(),
                answer: Answer::Yes,
                explanation: String::new(),
                evidence: vec![],
            },
            Response {
                control: "CRY-01".into(),
                answer: Answer::Partial,
                explanation: "in progress".into(),
                evidence: vec![],
            },
        ];
        let rows = caiq(&qs(), &responses, &mappings);
        let summary: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.ccm_control.as_str(),
                    r.answer.as_str(),
                    r.ownership.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("CEK-03", "No", "Shared CSP and CSC"),
                ("IAM-14", "No", "Shared CSP and CSC"),
            ]
        );
        assert_eq!(
            rows[1].controls,
            vec![ControlId::from("IAM-01"), "CRY-01".into()]
        );
        assert_eq!(caiq_sheet(&rows).header, CAIQ_COLUMNS);
    }

    #[test]
    fn answers_parse_as_people_type_them() {
        assert_eq!(Answer::parse(" Yes "), Some(Answer::Yes));
        assert_eq!(Answer::parse("N/A"), Some(Answer::NotApplicable));
        assert_eq!(Answer::parse("not-applicable"), Some(Answer::NotApplicable));
        assert_eq!(Answer::parse("maybe"), None);
    }
}
