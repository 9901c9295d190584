//! liancha-web
