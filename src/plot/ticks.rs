//! Axis extents, tick positions and tick labels.
//!
//! Logarithmic axes are drawn as linear axes over `log10` of the values, with ticks chosen here:
//! plotters' own logarithmic axis labels only whole decades, which leaves a sweep over less than a
//! decade (leases from 2 to 16 ms) with one tick or none.

use super::figure::Scale;

/// A value's position on an axis of `scale`; `None` where it cannot be placed (at or below 0 on a
/// logarithmic axis, or not a number).
pub fn position(scale: Scale, value: f64) -> Option<f64> {
    match scale {
        _ if !value.is_finite() => None,
        Scale::Linear => Some(value),
        Scale::Log if value > 0.0 => Some(value.log10()),
        Scale::Log => None,
    }
}

/// The value at a position of an axis of `scale`.
pub fn value(scale: Scale, position: f64) -> f64 {
    match scale {
        Scale::Linear => position,
        Scale::Log => 10f64.powf(position),
    }
}

/// The extent, in positions, that shows `positions` with some room around them. An `anchored`
/// axis (a rate's) starts at 0 when linear and spans whole decades when logarithmic.
pub fn extent(scale: Scale, positions: &[f64], anchored: bool) -> (f64, f64) {
    let lo = positions.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positions.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return match scale {
            Scale::Linear => (0.0, 1.0),
            Scale::Log => (-3.0, 0.0),
        };
    }
    match scale {
        Scale::Log if anchored => {
            let (lo, hi) = ((lo + 1e-9).floor(), (hi - 1e-9).ceil());
            (lo, if hi > lo { hi } else { lo + 1.0 })
        }
        Scale::Log => {
            let pad = ((hi - lo) * 0.05).max(0.02);
            (lo - pad, hi + pad)
        }
        Scale::Linear => {
            let (lo, hi) = if anchored { (lo.min(0.0), hi.max(0.0)) } else { (lo, hi) };
            if hi == lo {
                let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
                return (lo - pad, hi + pad);
            }
            let pad = (hi - lo) * 0.05;
            let lo = if anchored && lo >= 0.0 { lo } else { lo - pad };
            (lo, hi + pad)
        }
    }
}

/// Tick positions over `(lo, hi)`: round numbers on a linear axis; decades on a logarithmic one,
/// with 2 and 5 (then every digit) in between while the decades alone would be too few.
pub fn ticks(scale: Scale, (lo, hi): (f64, f64)) -> Vec<f64> {
    match scale {
        Scale::Linear => {
            let step = nice_step((hi - lo) / 7.0);
            let first = (lo / step).ceil() as i64;
            let last = (hi / step).floor() as i64;
            (first..=last).map(|i| i as f64 * step).collect()
        }
        Scale::Log => {
            let decades = (lo.floor() as i64)..=(hi.ceil() as i64);
            let inside = |p: &f64| *p >= lo - 1e-9 && *p <= hi + 1e-9;
            for mantissas in [&[1.0f64][..], &[1.0, 2.0, 5.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]]
            {
                let points: Vec<f64> = decades
                    .clone()
                    .flat_map(|d| mantissas.iter().map(move |m| d as f64 + m.log10()))
                    .filter(inside)
                    .collect();
                if points.len() >= 4 || mantissas.len() == 9 {
                    return points;
                }
            }
            unreachable!("the last set of mantissas always returns")
        }
    }
}

/// 1, 2 or 5 times a power of ten, the nearest to `rough` by ratio.
fn nice_step(rough: f64) -> f64 {
    if !(rough > 0.0 && rough.is_finite()) {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    let distance = |s: &f64| (s / rough).ln().abs();
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(power)
}

/// A tick's label: short, without float noise (`0.1`, not `0.10000000000000002`), in powers of
/// ten when very small or large (`1e-4`, `2e-5`).
pub fn label(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-3..5).contains(&magnitude) {
        let mantissa = value / 10f64.powi(magnitude);
        let m = trim(&format!("{mantissa:.2}"));
        return if m == "1" { format!("1e{magnitude}") } else { format!("{m}e{magnitude}") };
    }
    let decimals = (3 - magnitude).clamp(0, 6) as usize;
    trim(&format!("{value:.decimals$}"))
}

/// The labels of a logarithmic axis's ticks (given as positions), all in one style, so that a
/// reader never compares `0.001` with `1e-4`. An axis ticked at whole decades only (a rate over
/// orders of magnitude) reads in powers of ten, `10⁻³`, on every figure alike; one ticked between
/// decades too (a lease from 1 to 200 ms) in plain numbers while [`label`] writes every tick
/// without an exponent, otherwise in powers of ten throughout, `2×10⁻⁵`.
pub fn log_labels(positions: &[f64]) -> Vec<String> {
    let values: Vec<f64> = positions.iter().map(|p| value(Scale::Log, *p)).collect();
    let plain = values.iter().all(|v| {
        let magnitude = v.log10().floor() as i32;
        (-3..5).contains(&magnitude)
    });
    let decades = positions.len() > 1 && positions.iter().all(|p| (p - p.round()).abs() < 1e-9);
    if plain && !decades {
        return values.into_iter().map(label).collect();
    }
    positions.iter().map(|p| power_of_ten(*p)).collect()
}

/// `10^position` as `10⁻³`, or `2×10⁻⁵` between decades.
fn power_of_ten(position: f64) -> String {
    let exponent = (position + 1e-9).floor();
    let mantissa = 10f64.powf(position - exponent);
    let power = format!("10{}", superscript(exponent as i32));
    match trim(&format!("{mantissa:.1}")).as_str() {
        "1" => power,
        "10" => format!("10{}", superscript(exponent as i32 + 1)),
        m => format!("{m}×{power}"),
    }
}

fn superscript(n: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let digits = n.unsigned_abs().to_string();
    let digits = digits.chars().map(|d| DIGITS[d as usize - '0' as usize]);
    (if n < 0 { Some('⁻') } else { None }).into_iter().chain(digits).collect()
}

fn trim(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_fill_in_short_ranges_and_keep_to_decades_on_long_ones() {
        let values = |scale, range| -> Vec<String> {
            let ticks = ticks(scale, range);
            match scale {
                Scale::Log => log_labels(&ticks),
                Scale::Linear => ticks.into_iter().map(|p| label(value(scale, p))).collect(),
            }
        };
        assert_eq!(values(Scale::Log, (-5.0, 0.0)), ["10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"]);
        assert_eq!(values(Scale::Log, (-3.0, 0.0)), ["10⁻³", "10⁻²", "10⁻¹", "10⁰"]);
        assert_eq!(values(Scale::Log, (-5.0, -4.0)), ["10⁻⁵", "2×10⁻⁵", "5×10⁻⁵", "10⁻⁴"]);
        assert_eq!(values(Scale::Log, (-2.0, 0.0)), ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]);
        assert_eq!(
            values(Scale::Log, (2f64.log10(), 16f64.log10())),
            ["2", "3", "4", "5", "6", "7", "8", "9", "10"]
        );
        assert_eq!(values(Scale::Linear, (0.0, 0.62)), ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"]);
        assert_eq!(values(Scale::Linear, (1.0, 64.0)), ["10", "20", "30", "40", "50", "60"]);
        assert_eq!(values(Scale::Linear, (1.3, 16.7)), ["2", "4", "6", "8", "10", "12", "14", "16"]);
    }

    #[test]
    fn extents_round_log_axes_to_decades_and_start_rates_at_zero() {
        assert_eq!(extent(Scale::Log, &[-3.2, -0.3], true), (-4.0, 0.0));
        assert_eq!(extent(Scale::Log, &[-2.0, -2.0], true), (-2.0, -1.0));
        let (lo, hi) = extent(Scale::Log, &[0.3, 1.2], false);
        assert!(lo < 0.3 && lo > 0.2 && hi > 1.2 && hi < 1.3, "an unanchored log axis keeps close");
        let (lo, hi) = extent(Scale::Linear, &[0.2, 0.4], true);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.4);
        assert_eq!(extent(Scale::Linear, &[], true), (0.0, 1.0));
        assert_eq!(position(Scale::Log, 0.0), None);
        assert_eq!(position(Scale::Log, 0.01), Some(-2.0));
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(label(0.1 + 0.2), "0.3");
        assert_eq!(label(2e-5), "2e-5");
        assert_eq!(label(1e-4), "1e-4");
        assert_eq!(label(12.5), "12.5");
        assert_eq!(label(0.005), "0.005");
        assert_eq!(label(250000.0), "2.5e5");
    }
}
