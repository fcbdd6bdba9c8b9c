package testenv_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOnlyTestsImport checks that the test-only packages (testenv, sqltest,
// browsertest and benchratio) are imported by _test.go files alone, and by
// each other.
func TestOnlyTestsImport(t *testing.T) {
	const mod = "github.com/unloq2fa/unloq2fa/"
	testOnly := map[string]bool{mod + "internal/testenv": true, mod + "internal/browsertest": true, mod + "internal/sqltest": true, mod + "internal/benchratio": true}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		if testOnly[mod+filepath.ToSlash(rel)] {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			assert.False(t, testOnly[p], "%s imports the test-only package %s", path, p)
		}
		return nil
	})
	require.NoError(t, err)
}
