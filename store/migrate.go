package store

import (
	"context"
	"fmt"

	"github.com/unloq2fa/unloq2fa/internal/sqlident"
)

// AddSecondFactorColumn adds the second factor column, as TEXT NULL, to the
// configured table unless it already has it; running it again is a no-op.
// It first asks the catalogue (pragma_table_info for SQLite,
// information_schema.columns in current_schema() for PostgreSQL), then runs
// ALTER TABLE … ADD COLUMN. Should the ALTER fail because another process
// added the column meanwhile, that counts as success.
func (s *SQL) AddSecondFactorColumn(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: sql: add second factor column: %w", err)
	}
	return s.addColumn(ctx, "add second factor column", s.cfg.sfCol)
}

// AddUnloqIDColumn adds the UNLOQ id column set with WithUnloqIDColumn, as
// TEXT NULL, to the configured table unless it already has it, exactly
// like AddSecondFactorColumn; running it again is a no-op. Without
// WithUnloqIDColumn it is an error and changes nothing.
func (s *SQL) AddUnloqIDColumn(ctx context.Context) error {
	const op = "add unloq id column"
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: sql: %s: %w", op, err)
	}
	if s.cfg.unloqCol == "" {
		return fmt.Errorf("store: sql: %s: no column configured (use WithUnloqIDColumn)", op)
	}
	return s.addColumn(ctx, op, s.cfg.unloqCol)
}

// addColumn adds column (TEXT NULL) to the table unless it exists.
func (s *SQL) addColumn(ctx context.Context, op, column string) error {
	exists, err := s.columnExists(ctx, op, column)
	if err != nil {
		return err
	}
	if exists {
		return nil
	}
	stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s TEXT NULL",
		sqlident.Quote(s.cfg.table), sqlident.Quote(column))
	if _, alterErr := s.db.ExecContext(ctx, stmt); alterErr != nil {
		if again, err := s.columnExists(ctx, op, column); err == nil && again {
			return nil
		}
		return fmt.Errorf("store: sql: %s: %w", op, alterErr)
	}
	return nil
}

// columnExists reports whether the table has column.
func (s *SQL) columnExists(ctx context.Context, op, column string) (bool, error) {
	q, args := s.cfg.dialect.columnExistsQuery(s.cfg.table, column)
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("store: sql: %s: look up column: %w", op, err)
	}
	return n > 0, nil
}
