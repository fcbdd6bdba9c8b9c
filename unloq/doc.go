// Package unloq is a client for the UNLOQ authentication API (Gen 2 wire
// format: "Authorization: Bearer <API key>", JSON request bodies and the
// {"type","result"} / {"error":{...}} response envelopes).
//
// It covers enrollment (POST /enroll, GET /enrolled, POST /deactivate),
// server-to-server approvals (POST /authenticate with the UNLOQ, OTP and
// EMAIL methods, POST /authorize/:code, POST /encryption/user), the token
// endpoints (POST /token, /token/session, /token/device, /token/generate)
// and the verification of UNLOQ webhook and app-link signatures.
//
// # Security properties
//
//   - The base URL must be https unless [WithAllowHTTP] is given.
//   - Redirects are never followed, so the API key is only ever sent to the
//     configured host; a 3xx reply is a typed error.
//   - Every call has a deadline on top of the caller's context: approval calls
//     (authenticate, authorize, encryption, enroll) default to 45 s, all other
//     calls to 10 s.
//   - Response bodies are capped (1 MiB by default); an oversized, non-JSON or
//     malformed body is an [ErrInvalidResponse] error, never a success.
//   - A success is only ever a 2xx reply whose body carries a non-null
//     "result" and no "error" object.
//   - Approval calls are never retried (each one pushes a new notification);
//     GET /enrolled is retried once after a connection failure.
//   - The API key, access tokens, OTPs and device tokens never appear in
//     error text or log records.
//
// # Errors
//
// Every failure of an API call is an [*Error]. Match it with [errors.Is]
// against the code sentinels ([ErrDenied], [ErrTokenRequired],
// [ErrApprovalTimeout], ...) or inspect it with [errors.As]. [IsTimeout]
// reports both UNLOQ's APPROVAL.TIMEOUT and local deadlines.
//
// # Tolerant decoding
//
// Where UNLOQ's public sources disagree the decoder accepts every variant:
// IDs as JSON strings or numbers ([ID]), "unloq_id" or the legacy "id",
// "enrolled" or "has_device", error "status" as a string or number, and
// whitespace keep-alive pings before the JSON body.
//
// The client is silent unless given a [*slog.Logger] with [WithLogger]; log
// records carry the operation, HTTP status, error code and duration only.
package unloq
