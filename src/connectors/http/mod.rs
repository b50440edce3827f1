//! The HTTP layer every connector shares: auth, retries, rate limits, paging.
