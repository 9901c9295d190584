//! Shares as the dashboards and reports print them: basis points, rounded to the
//! nearest (half up), so that a page and the spreadsheet a clerk opens beside it agree
//! (1 of 15 is 6.67 %, as Excel shows it, not 6.66 %).

/// `part / whole` in basis points (1 % = 100), rounded half up; 0 for an empty whole.
pub fn basis_points(part: i64, whole: i64) -> i64 {
    if whole <= 0 || part < 0 {
        return 0;
    }
    // i128: a province's counts times 10,000 stay far inside, whatever the input.
    ((i128::from(part) * 20_000 + i128::from(whole)) / (2 * i128::from(whole))) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_to_the_nearest_basis_point() {
        assert_eq!(basis_points(1, 15), 667); // 666.67
        assert_eq!(basis_points(3, 26), 1154); // 1153.85
        assert_eq!(basis_points(20, 105), 1905); // 1904.76
        assert_eq!(basis_points(18, 94), 1915); // 1914.89
        assert_eq!(basis_points(1, 3), 3333); // 3333.33
        assert_eq!(basis_points(1, 20_000), 1); // 0.5 rounds up
        assert_eq!(basis_points(1, 20_001), 0);
        assert_eq!(basis_points(5, 5), 10_000);
        assert_eq!(basis_points(0, 7), 0);
        assert_eq!(basis_points(3, 0), 0);
        assert_eq!(basis_points(i64::MAX, i64::MAX), 10_000);
    }
}
