//! Finds the line of an ID in a content file, so a problem found after parsing still names its line.

use std::collections::BTreeMap;

use crate::files::ContentFile;

pub struct SourceIndex<'a> {
    files: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> SourceIndex<'a> {
    pub fn new(files: &'a [ContentFile]) -> Self {
        Self {
            files: files
                .iter()
                .map(|f| (f.path.as_str(), f.text.lines().collect()))
                .collect(),
        }
    }

    /// The 1-based line where `id` first appears at or after the line that declares `owner`
    /// (`id: OWNER` or `email: OWNER`); the owner's own line when `id` is the owner.
    pub fn line_of(&self, file: &str, owner: &str, id: &str) -> Option<usize> {
        let lines = self.files.get(file)?;
        let owner_line = lines.iter().position(|l| declares(l, owner));
        let start = owner_line.unwrap_or(0);
        if id == owner {
            // A duplicate is reported at its last declaration: the one to remove.
            let last = lines.iter().rposition(|l| declares(l, owner));
            return last.or(owner_line).map(|i| i + 1);
        }
        lines
            .iter()
            .enumerate()
            .skip(start)
            .find(|(_, l)| contains_token(l, id))
            .map(|(i, _)| i + 1)
            .or(owner_line.map(|i| i + 1))
    }
}

fn declares(line: &str, owner: &str) -> bool {
    let t = line
        .trim_start()
        .trim_start_matches("- ")
        .trim_start_matches('{')
        .trim();
    ["id:", "email:"].iter().any(|key| {
        t.strip_prefix(key).is_some_and(|rest| {
            let value = rest
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches(|c| c == '"' || c == '\'' || c == '}');
            value == owner
        })
    })
}

fn contains_token(line: &str, token: &str) -> bool {
    line.match_indices(token).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + token.len()..].chars().next();
        let boundary = |c: Option<char>| {
            c.is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '.' || c == '_'))
        };
        boundary(before) && boundary(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_id_after_its_owner_and_the_last_duplicate() {
        let files = vec![ContentFile {
            path: "baseline/iam.yaml".into(),
            text: "controls:\n  - id: IAM-01\n    mappings:\n      - {framework: iso, requirement: A.9.9}\n  - id: IAM-01\n".into(),
        }];
        let index = SourceIndex::new(&files);
        assert_eq!(
            index.line_of("baseline/iam.yaml", "IAM-01", "A.9.9"),
            Some(4)
        );
        assert_eq!(
            index.line_of("baseline/iam.yaml", "IAM-01", "IAM-01"),
            Some(5)
        );
        assert_eq!(
            index.line_of("baseline/iam.yaml", "IAM-01", "A.9"),
            Some(2),
            "tokens match whole"
        );
    }
}
