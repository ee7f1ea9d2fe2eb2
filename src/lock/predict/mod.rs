//! Predictions: closed forms derived from the model ([`closed_form`], pure arithmetic on a
//! configuration) and runs compared with them ([`comparison`]).

pub mod closed_form;
pub mod comparison;

pub use closed_form::{Prediction, predict};
pub use comparison::{
    Assumption, Comparison, ContentionComparison, Fit, PREDICTED, check_contention, compare,
    compare_contention, comparisons,
};
