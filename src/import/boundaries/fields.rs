//! Which attributes hold the code, name and municipality of a feature, and what valid codes
//! look like.

use super::{BoundaryKind, FieldNames};

/// Attribute names tried, in order and case-insensitively, for one kind of boundary file.
pub(super) struct Candidates {
    pub code: Vec<String>,
    pub name: Vec<String>,
    pub kommun: Vec<String>,
    /// Whether a missing name is an error (else the code is used as the name).
    pub name_required: bool,
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_string()).collect()
}

impl Candidates {
    /// The default attribute names of `kind`; an override in `fields` replaces the list.
    pub fn new(kind: BoundaryKind, fields: &FieldNames) -> Self {
        let (code, name, kommun, name_required) = match kind {
            BoundaryKind::Kommuner => (
                owned(&["KnKod", "kommunkod", "kod", "code"]),
                owned(&["KnNamn", "kommunnamn", "namn", "name"]),
                Vec::new(),
                true,
            ),
            BoundaryKind::Regso => (
                owned(&["regsokod", "code"]),
                owned(&["regsonamn", "name"]),
                owned(&["kommunkod", "KnKod"]),
                true,
            ),
            BoundaryKind::Deso => (
                owned(&["desokod", "deso"]),
                owned(&["desonamn", "name"]),
                owned(&["kommunkod", "KnKod"]),
                false,
            ),
        };
        let pick = |over: &Option<String>, default: Vec<String>| match over {
            Some(o) => vec![o.clone()],
            None => default,
        };
        Candidates {
            code: pick(&fields.code, code),
            name: pick(&fields.name, name),
            kommun: pick(&fields.kommun, kommun),
            name_required,
        }
    }
}

/// How the candidates are shown in an error about a missing attribute: `regsokod|code`.
pub(super) fn describe(candidates: &[String]) -> String {
    candidates.join("|")
}

/// The first candidate present among `properties` (case-insensitive): its actual name and
/// value. A present attribute with a null value is returned with `None`.
pub(super) fn lookup<'a>(
    properties: &'a [(String, Option<String>)],
    candidates: &[String],
) -> Option<(&'a str, Option<&'a str>)> {
    candidates.iter().find_map(|c| {
        properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(c))
            .map(|(k, v)| (k.as_str(), v.as_deref()))
    })
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^\d{4}$`
pub(super) fn is_kommun_code(s: &str) -> bool {
    s.len() == 4 && all_digits(s)
}

/// `^\d{4}R\d{3}$`
fn is_regso_code(s: &str) -> bool {
    s.len() == 8 && s.is_ascii() && all_digits(&s[..4]) && &s[4..5] == "R" && all_digits(&s[5..])
}

/// `^\d{4}[ABC]\d{4}$`
fn is_deso_code(s: &str) -> bool {
    s.len() == 9
        && s.is_ascii()
        && all_digits(&s[..4])
        && matches!(&s[4..5], "A" | "B" | "C")
        && all_digits(&s[5..])
}

/// Checks the form of a code; the error says what was expected.
pub(super) fn check_code(kind: BoundaryKind, code: &str) -> Result<(), String> {
    let (ok, expected) = match kind {
        BoundaryKind::Kommuner => (
            is_kommun_code(code),
            "a municipality code of 4 digits, e.g. 0180",
        ),
        BoundaryKind::Regso => (
            is_regso_code(code),
            "a RegSO code of 4 digits, 'R' and 3 digits, e.g. 0180R076",
        ),
        BoundaryKind::Deso => (
            is_deso_code(code),
            "a DeSO code of 4 digits, A, B or C and 4 digits, e.g. 0180C1090",
        ),
    };
    if ok {
        Ok(())
    } else {
        let hint = if all_digits(code) && code.len() < 4 {
            " (a number? codes keep their leading zeros and must be stored as text)"
        } else {
            ""
        };
        Err(format!("invalid code '{code}': expected {expected}{hint}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_forms() {
        assert!(check_code(BoundaryKind::Kommuner, "0180").is_ok());
        assert!(check_code(BoundaryKind::Kommuner, "180").is_err());
        assert!(check_code(BoundaryKind::Kommuner, "01800").is_err());
        assert!(check_code(BoundaryKind::Regso, "0180R076").is_ok());
        assert!(check_code(BoundaryKind::Regso, "0180r076").is_err());
        assert!(check_code(BoundaryKind::Regso, "0180R76").is_err());
        assert!(check_code(BoundaryKind::Regso, "0180Ö076").is_err());
        assert!(check_code(BoundaryKind::Deso, "0180C1090").is_ok());
        assert!(check_code(BoundaryKind::Deso, "0180D1090").is_err());
        assert!(check_code(BoundaryKind::Deso, "0180C109").is_err());
        let msg = check_code(BoundaryKind::Kommuner, "180").unwrap_err();
        assert!(msg.contains("leading zeros"), "{msg}");
    }

    #[test]
    fn lookup_is_case_insensitive_and_ordered() {
        let props = vec![
            ("CODE".to_string(), Some("x".to_string())),
            ("RegSOkod".to_string(), Some("0180R076".to_string())),
        ];
        let c = Candidates::new(BoundaryKind::Regso, &FieldNames::default());
        assert_eq!(
            lookup(&props, &c.code),
            Some(("RegSOkod", Some("0180R076")))
        );
        let over = FieldNames {
            code: Some("code".into()),
            ..FieldNames::default()
        };
        let c = Candidates::new(BoundaryKind::Regso, &over);
        assert_eq!(lookup(&props, &c.code), Some(("CODE", Some("x"))));
        assert_eq!(lookup(&props, &c.kommun), None);
    }
}
