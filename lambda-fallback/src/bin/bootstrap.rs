//! The Lambda (provided.al2023, executable `bootstrap`): `POST /digitise` behind a
//! function URL or an HTTP API.
//!
//! Environment: `MODEL_PATH` (default `/mnt/models/veernet-fp32.onnx`, the EFS mount),
//! `ALLOWED_ORIGINS` (comma-separated origins for CORS; `*` for any).
//! Init does nothing heavy: the model is read and optimised on the first request.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::{service_fn, Request};
use veer_lambda::{App, Cors, FileSource, Server};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let cors = Cors::parse(&std::env::var("ALLOWED_ORIGINS").unwrap_or_default(), false);
    let app = Arc::new(App::new(FileSource::from_env(), cors, Server::Lambda));
    lambda_http::run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle(req).await) }
    }))
    .await
}
