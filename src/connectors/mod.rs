//! One folder per system. Each exports the schemas it gives the checker.
