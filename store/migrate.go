package store

import (
	"context"
	"fmt"
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
	exists, err := s.columnExists(ctx)
	if err != nil {
		return err
	}
	if exists {
		return nil
	}
	stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s TEXT NULL",
		quoteIdentifier(s.cfg.table), quoteIdentifier(s.cfg.sfCol))
	if _, alterErr := s.db.ExecContext(ctx, stmt); alterErr != nil {
		if again, err := s.columnExists(ctx); err == nil && again {
			return nil
		}
		return fmt.Errorf("store: sql: add second factor column: %w", alterErr)
	}
	return nil
}

// columnExists reports whether the table has the second factor column.
func (s *SQL) columnExists(ctx context.Context) (bool, error) {
	q, args := s.cfg.dialect.columnExistsQuery(s.cfg.table, s.cfg.sfCol)
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return false, fmt.Errorf("store: sql: add second factor column: look up column: %w", err)
	}
	return n > 0, nil
}
