//! Domain types shared by the importers and the read side.

use serde::{Deserialize, Serialize};

/// The geographic level a region code belongs to. Indicator values are keyed by
/// (level, code), so the same code can never mean two regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Sweden as a whole (SCB code `00`).
    Country,
    /// One of the 290 municipalities (`0180`).
    Kommun,
    /// A regional statistical area, RegSO (`0180R076`).
    Regso,
    /// A demographic statistical area, DeSO (`0180C1010`).
    Deso,
    /// A programme district (`rinkeby`), computed from its member areas.
    District,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Country => "country",
            Level::Kommun => "kommun",
            Level::Regso => "regso",
            Level::Deso => "deso",
            Level::District => "district",
        }
    }

    /// Recognises an SCB region code by its shape. SCB writes some RegSO codes with a
    /// version suffix (`0180R001_RegSO2025`); the suffix is removed here, once.
    pub fn classify_scb_code(raw: &str) -> Option<(Level, String)> {
        let code = raw.trim();
        let code = code.split_once('_').map_or(code, |(c, _)| c);
        let b = code.as_bytes();
        let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        let level = match b.len() {
            2 if code == "00" => Level::Country,
            4 if digits(b) => Level::Kommun,
            8 if digits(&b[..4]) && b[4] == b'R' && digits(&b[5..]) => Level::Regso,
            9 if digits(&b[..4]) && matches!(b[4], b'A' | b'B' | b'C') && digits(&b[5..]) => {
                Level::Deso
            }
            _ => return None,
        };
        Some((level, code.to_string()))
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_scb_codes() {
        assert_eq!(
            Level::classify_scb_code("0180R001_RegSO2025"),
            Some((Level::Regso, "0180R001".into()))
        );
        assert_eq!(
            Level::classify_scb_code("0180R076"),
            Some((Level::Regso, "0180R076".into()))
        );
        assert_eq!(
            Level::classify_scb_code("0180"),
            Some((Level::Kommun, "0180".into()))
        );
        assert_eq!(
            Level::classify_scb_code("0180C1010"),
            Some((Level::Deso, "0180C1010".into()))
        );
        assert_eq!(
            Level::classify_scb_code("00"),
            Some((Level::Country, "00".into()))
        );
        assert_eq!(Level::classify_scb_code("Stockholm"), None);
        assert_eq!(Level::classify_scb_code("0180X076"), None);
    }
}
