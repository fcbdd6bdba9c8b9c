package store

import "fmt"

// maxIdentifierLen is PostgreSQL's limit (NAMEDATALEN-1); longer names would
// be truncated silently there, so they are refused everywhere.
const maxIdentifierLen = 63

// validIdentifier reports whether name matches ^[A-Za-z_][A-Za-z0-9_]*$ and
// is at most maxIdentifierLen bytes long.
func validIdentifier(name string) bool {
	if name == "" || len(name) > maxIdentifierLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// checkIdentifier returns an error naming what (e.g. "table") when name is
// not a valid identifier.
func checkIdentifier(what, name string) error {
	if !validIdentifier(name) {
		return fmt.Errorf("store: sql: invalid %s name %q: want ^[A-Za-z_][A-Za-z0-9_]*$, at most %d bytes", what, name, maxIdentifierLen)
	}
	return nil
}

// quoteIdentifier double-quotes a name that validIdentifier accepted. Both
// SQLite and PostgreSQL read "name" as an identifier, so reserved words work
// too; the validation guarantees there is no quote to escape.
func quoteIdentifier(name string) string {
	return `"` + name + `"`
}
