//! The Lambda (provided.al2023, executable `bootstrap`): `POST /digitise` behind a
//! function URL or an HTTP API, and the S3 batch path (an upload under `scans/`
//! digitised into `results/`; see `veer_lambda::batch`).
//!
//! Environment: `MODEL_PATH` (default `/mnt/models/veernet-fp32.onnx`, the EFS mount),
//! `ALLOWED_ORIGINS` (comma-separated origins for CORS; `*` for any); for S3 events
//! `BATCH_INPUT_PREFIX` (`scans/`), `BATCH_OUTPUT_PREFIX` (`results/`),
//! `BATCH_DEFAULT_PROJECT` (`scans/project.veer.json`), `S3_ENDPOINT` (another S3 than
//! AWS's, path-style) and the credentials Lambda sets (`AWS_ACCESS_KEY_ID`, ...).
//! Init does nothing heavy: the model is read and optimised on the first request.

use std::sync::Arc;

use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use serde_json::Value;
use veer_lambda::{App, Batch, Cors, FileSource, Server};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let cors = Cors::parse(&std::env::var("ALLOWED_ORIGINS").unwrap_or_default(), false);
    let app = Arc::new(App::new(FileSource::from_env(), cors, Server::Lambda));
    let batch = Arc::new(Batch::from_env());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (app, batch) = (app.clone(), batch.clone());
        async move { app.handle_event(event, &batch).await }
    }))
    .await
}
