// Package benchratio measures a performance target the way the project
// states them: as the ratio of two benchmarks timed in the same run. It is
// imported only by tests.
//
// Each round runs both benchmarks back to back for a fixed number of
// iterations, alternating which goes first, and the median of the
// per-round ratios counts: a load spike hits both halves of a round or
// shows up as an outlier.
package benchratio
