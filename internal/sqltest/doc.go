// Package sqltest opens the databases the SQL-backed packages are tested
// against: SQLite (a file, and a shared-cache in-memory database) and,
// when UNLOQ2FA_POSTGRES_DSN is set, PostgreSQL. It is imported only by
// tests. It is separate from internal/testenv so that tests which need no
// database do not link the database drivers.
package sqltest
