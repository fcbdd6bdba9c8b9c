package store

import "fmt"

// Default names of the SQL store's table and columns.
const (
	DefaultTable              = "users"
	DefaultIDColumn           = "id"
	DefaultEmailColumn        = "email"
	DefaultSecondFactorColumn = "second_factor"
	// DefaultUnloqIDColumn is the usual name of the optional UNLOQ id
	// column (see WithUnloqIDColumn).
	DefaultUnloqIDColumn = "unloq_id"
)

// sqlConfig is the SQL store's configuration, fixed by NewSQL.
type sqlConfig struct {
	dialect  Dialect
	table    string
	idCol    string
	emailCol string
	sfCol    string
	unloqCol string // "" = the store keeps no UNLOQ ids
}

// SQLOption configures NewSQL. Options validate their argument and return
// an error that NewSQL reports.
type SQLOption func(*sqlConfig) error

// WithDialect selects the placeholder style and catalogue queries:
// DialectSQLite (the default) or DialectPostgres.
func WithDialect(d Dialect) SQLOption {
	return func(c *sqlConfig) error {
		if !d.valid() {
			return fmt.Errorf("store: sql: unknown dialect %s", d)
		}
		c.dialect = d
		return nil
	}
}

// WithTable sets the users table (default "users"). The name must match
// ^[A-Za-z_][A-Za-z0-9_]*$; it is quoted in every statement.
func WithTable(name string) SQLOption {
	return identifierOption("table", name, func(c *sqlConfig) *string { return &c.table })
}

// WithIDColumn sets the id column (default "id").
func WithIDColumn(name string) SQLOption {
	return identifierOption("id column", name, func(c *sqlConfig) *string { return &c.idCol })
}

// WithEmailColumn sets the e-mail column (default "email").
func WithEmailColumn(name string) SQLOption {
	return identifierOption("email column", name, func(c *sqlConfig) *string { return &c.emailCol })
}

// WithSecondFactorColumn sets the second factor column (default
// "second_factor"). It must differ from the id and e-mail columns.
func WithSecondFactorColumn(name string) SQLOption {
	return identifierOption("second factor column", name, func(c *sqlConfig) *string { return &c.sfCol })
}

// WithUnloqIDColumn lets the store keep the users' UNLOQ ids (the
// UnloqIDStore capability) in this column, usually DefaultUnloqIDColumn.
// Without it the store keeps none: SetUnloqID returns
// ErrUnloqIDUnsupported and User.UnloqID is always "", so a table without
// the column keeps working. The column must differ from the id, e-mail and
// second factor columns; AddUnloqIDColumn adds it to an existing table.
func WithUnloqIDColumn(name string) SQLOption {
	return identifierOption("unloq id column", name, func(c *sqlConfig) *string { return &c.unloqCol })
}

// identifierOption validates name and stores it in the field field returns.
func identifierOption(what, name string, field func(*sqlConfig) *string) SQLOption {
	return func(c *sqlConfig) error {
		if err := checkIdentifier(what, name); err != nil {
			return err
		}
		*field(c) = name
		return nil
	}
}
