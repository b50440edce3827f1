//! The HTTP layer every connector shares: auth, retries, rate limits, paging.
//!
//! A connector builds one [`HttpClient`] per connection from an [`HttpConfig`] and describes
//! each call as a [`RequestSpec`]; the client paces, authenticates, retries and reports
//! failures as [`HttpError`]s that name the endpoint and never a secret.

pub mod auth;
pub mod client;
pub mod error;
pub mod paging;
pub mod rate_limit;
pub mod request;
pub mod retry;

pub use auth::{Auth, ClientCredentials, Secret};
pub use client::{HttpClient, HttpConfig, HttpStats};
pub use error::{BuildError, Endpoint, HttpError};
pub use rate_limit::{Pace, RateLimit, SharedBudget, SharedPacing};
pub use request::{RequestBody, RequestSpec, Response};
pub use retry::RetryPolicy;
