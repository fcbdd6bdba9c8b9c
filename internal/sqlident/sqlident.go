package sqlident

// MaxLen is PostgreSQL's limit (NAMEDATALEN-1); longer names would be
// truncated silently there, so they are refused everywhere.
const MaxLen = 63

// Valid reports whether name matches ^[A-Za-z_][A-Za-z0-9_]*$ and is at
// most MaxLen bytes long.
func Valid(name string) bool {
	if name == "" || len(name) > MaxLen {
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

// Quote double-quotes a name that Valid accepted. Both SQLite and
// PostgreSQL read "name" as an identifier, so reserved words work too; the
// validation guarantees there is no quote to escape.
func Quote(name string) string {
	return `"` + name + `"`
}
