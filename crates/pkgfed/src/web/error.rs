//! The one place where errors become HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::Error;
use crate::inbound::InboundError;

impl Error {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Gone(_) => StatusCode::GONE,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Store(_) | Error::Internal(_) | Error::Failed(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl Error {
    /// Seconds the client should wait before retrying (`Retry-After`), when known.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::TooManyRequests {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            Error::Unavailable(_) => Some(10),
            _ => None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "internal error");
            "internal error".to_owned()
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "request refused");
            self.to_string()
        };
        let mut res = (status, Json(json!({ "error": message }))).into_response();
        if let Some(seconds) = retry_after {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        res
    }
}

/// The inbound pipeline's refusals keep their status; its failures are internal.
impl From<InboundError> for Error {
    fn from(e: InboundError) -> Self {
        match e {
            InboundError::BadRequest(m) => Error::BadRequest(m),
            InboundError::Unauthorized(m) => Error::Unauthorized(m),
            InboundError::Forbidden(m) => Error::Forbidden(m),
            InboundError::PayloadTooLarge(n) => Error::PayloadTooLarge(n),
            InboundError::UnsupportedMediaType(m) => Error::UnsupportedMediaType(m),
            InboundError::Store(e) => e.into(),
            InboundError::Outbound(e) => e.into(),
            InboundError::Packages(e) => e,
        }
    }
}
