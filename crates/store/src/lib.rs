//! liancha-store
