//! Local emulators of each system's API, for tests, demos and dry runs.
pub mod stripe;
