// Package store holds the application's users as unloq2fa sees them: an id,
// an e-mail address and the second_factor column, which is either
// SecondFactorUNLOQ ("UNLOQ") or empty (NULL in SQL).
//
// The UserStore interface is what the handlers need. Two implementations
// ship with the package:
//
//   - Memory, a map guarded by a mutex, for tests and demos;
//   - SQL, over database/sql, for an existing users table. Table and column
//     names are configurable (WithTable, WithIDColumn, WithEmailColumn,
//     WithSecondFactorColumn), validated strictly against
//     ^[A-Za-z_][A-Za-z0-9_]*$ and always quoted, so configuration cannot
//     inject SQL. Placeholders follow the Dialect: DialectSQLite ("?", the
//     default) or DialectPostgres ("$1"). AddSecondFactorColumn adds the
//     column to an existing table, idempotently.
//
// An optional capability, UnloqIDStore, remembers each user's UNLOQ id so
// that the handlers can tie approvals to the UNLOQ account the user paired.
// Memory has it; SQL has it with WithUnloqIDColumn (AddUnloqIDColumn adds
// the column the same way), and without that option keeps working on a
// table that lacks the column.
//
// Every implementation fails closed: a missing user is ErrUserNotFound, and
// nothing else is; a system error (a driver error, a canceled context) is
// wrapped with the "store: " prefix and is never reported as not-found; a
// second_factor value other than "" or "UNLOQ", written or read, is an
// ErrInvalidSecondFactor. Ids are compared exactly: no case folding, no
// trimming, no numeric coercion ("1 " and "01" are not "1").
//
// The conformance suite in package storetest checks all of this for any
// UserStore, including your own.
package store
