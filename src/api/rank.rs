//! Ranks of districts on one indicator and year.
//!
//! Rank 1 is the best value: the highest where higher is better, the lowest where lower is
//! better. Neutral indicators (population) are ranked by value, highest first, and say so
//! (`order: "descending"`). Only districts with a value take part (`of` counts them); equal
//! values share the better rank (1, 2, 2, 4).

use serde::Serialize;
use utoipa::ToSchema;

/// Which values rank first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RankOrder {
    /// Highest value = rank 1 (higher is better, or neutral).
    Descending,
    /// Lowest value = rank 1 (lower is better).
    Ascending,
}

impl RankOrder {
    pub fn for_direction(higher_is_better: Option<bool>) -> RankOrder {
        match higher_is_better {
            Some(false) => RankOrder::Ascending,
            Some(true) | None => RankOrder::Descending,
        }
    }
}

/// A rank among `of` regions with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rank {
    pub rank: u32,
    pub of: u32,
}

/// The rank of `value` among `values` (which include it), or `None` when `value` is
/// missing or not a number.
pub fn rank_of(value: Option<f64>, values: &[f64], order: RankOrder) -> Option<Rank> {
    let v = value.filter(|v| v.is_finite())?;
    let valid = values.iter().filter(|x| x.is_finite());
    let better = valid
        .clone()
        .filter(|&&x| match order {
            RankOrder::Descending => x > v,
            RankOrder::Ascending => x < v,
        })
        .count();
    let of = valid.count();
    Some(Rank {
        rank: u32::try_from(better + 1).unwrap_or(u32::MAX),
        of: u32::try_from(of).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_best_first_and_ties_share_the_better_rank() {
        let values = [50.0, 70.0, 70.0, 40.0];
        let d = RankOrder::Descending;
        assert_eq!(
            rank_of(Some(70.0), &values, d),
            Some(Rank { rank: 1, of: 4 })
        );
        assert_eq!(
            rank_of(Some(50.0), &values, d),
            Some(Rank { rank: 3, of: 4 })
        );
        let a = RankOrder::Ascending;
        assert_eq!(
            rank_of(Some(40.0), &values, a),
            Some(Rank { rank: 1, of: 4 })
        );
        assert_eq!(
            rank_of(Some(70.0), &values, a),
            Some(Rank { rank: 3, of: 4 })
        );
        assert_eq!(rank_of(None, &values, a), None);
        assert_eq!(
            RankOrder::for_direction(None),
            RankOrder::Descending,
            "neutral indicators rank highest first"
        );
    }
}
