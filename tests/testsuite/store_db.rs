//! The record database (issue 15). Filled in by its own change.
