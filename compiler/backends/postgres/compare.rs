//! Comparison of two catalogs (filled in next).
