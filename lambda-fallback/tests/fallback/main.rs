//! lambda-fallback's tests, in one binary (each test binary links tract, and links are
//! the slow part of a build on this machine).
//!
//! | module | what it checks |
//! |---|---|
//! | `handler` | the handler in-process on real scans: cold/warm meta, every 4xx kind, 413, 503 retry, single load under concurrency, CORS |
//! | `bootstrap` | the real `bootstrap` binary against a stand-in Runtime API, with its JSON log lines |
//! | `local` | `veer-local` over loopback: a scan, the 413 paths, a preflight, its argument errors |
//! | `cors` | origin matching |
//! | `s3_batch` | the S3 batch path against a fake S3 that checks SigV4: 3 scans and a broken one, faults retried, redelivery does nothing, refusals and outages fail the invocation |
//! | `batch_cloud` | `veer batch --cloud` against `veer-local --faults 0.1`: 200 scans each done once, the local run's curves, resume |

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::panic)]

mod batch_cloud;
mod bootstrap;
mod cors;
mod handler;
mod local;
mod s3_batch;
mod support;
