package benchratio_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/unloq2fa/unloq2fa/internal/benchratio"
)

func TestMedian(t *testing.T) {
	v := []float64{3, 1, 2}
	assert.Equal(t, 2.0, benchratio.Median(v))
	assert.Equal(t, []float64{3, 1, 2}, v, "the input is not reordered")
	assert.Equal(t, 2.5, benchratio.Median([]float64{4, 1, 2, 3}))
}

// TestPair: a benchmark doing four times the work of another measures
// clearly slower (the bound is loose: this runs beside other tests), and
// the allocations are reported per op.
func TestPair(t *testing.T) {
	spin := func(d time.Duration) func(*testing.B) {
		return func(b *testing.B) {
			for range b.N {
				for end := time.Now().Add(d); time.Now().Before(end); {
				}
			}
		}
	}
	alloc := func(b *testing.B) {
		for range b.N {
			_ = make([]byte, 64+b.N%2) // escapes: one allocation per op
		}
	}
	res := benchratio.Pair(t, spin(40*time.Microsecond), spin(10*time.Microsecond), 200, 7)
	assert.Greater(t, res.Ratio, 1.5, "%+v", res)
	assert.Greater(t, res.ANs, res.BNs, "%+v", res)
	assert.LessOrEqual(t, res.MinRatio, res.Ratio)
	assert.GreaterOrEqual(t, res.MaxRatio, res.Ratio)
	res = benchratio.Pair(t, alloc, spin(time.Microsecond), 1000, 3)
	assert.Equal(t, int64(1), res.AAllocs)
	assert.Zero(t, res.BAllocs)
}
