package benchratio

import (
	"flag"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// Result is the outcome of Pair.
type Result struct {
	Ratio              float64 // median of a/b over the rounds
	MinRatio, MaxRatio float64 // the rounds' extremes, for the log
	ANs, BNs           float64 // median ns/op
	AAllocs, BAllocs   int64   // allocations per op (the last round's)
}

// Pair runs benchmarks a and b for iters iterations each, once to warm
// up (fixtures, caches) and then in rounds interleaved rounds. It must be
// called from a test of a package whose testing flags are registered.
func Pair(t testing.TB, a, b func(*testing.B), iters, rounds int) Result {
	t.Helper()
	require.Positive(t, rounds, "rounds")
	f := flag.Lookup("test.benchtime")
	require.NotNil(t, f, "testing flags not registered")
	old := f.Value.String()
	require.NoError(t, f.Value.Set(strconv.Itoa(iters)+"x"))
	defer func() { _ = f.Value.Set(old) }()

	run := func(fn func(*testing.B)) (float64, int64) {
		r := testing.Benchmark(fn)
		require.Positive(t, r.N, "benchmark failed")
		return float64(r.T.Nanoseconds()) / float64(r.N), r.AllocsPerOp()
	}
	run(a)
	run(b)
	var res Result
	var ratios, as, bs []float64
	for i := range rounds {
		var an, bn float64
		if i%2 == 0 {
			an, res.AAllocs = run(a)
			bn, res.BAllocs = run(b)
		} else {
			bn, res.BAllocs = run(b)
			an, res.AAllocs = run(a)
		}
		ratios, as, bs = append(ratios, an/bn), append(as, an), append(bs, bn)
	}
	res.Ratio, res.ANs, res.BNs = Median(ratios), Median(as), Median(bs)
	res.MinRatio, res.MaxRatio = slices.Min(ratios), slices.Max(ratios)
	return res
}

// Median is the median of v (v is not changed).
func Median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
