package guard

import "math/bits"

// arena hands out fixed-size runs of T (1<<c elements for a size class c)
// from large chunks, named by (class, ref) pairs instead of pointers. The
// records keep their key bytes and rate events here: a million records
// then hold no pointer for the garbage collector to trace, and a freed run
// is reused by the next one of its class.
type arena[T any] struct {
	minClass uint8
	classes  []arenaClass[T]
}

type arenaClass[T any] struct {
	chunks [][]T
	free   []uint32 // refs handed back, reused first
	made   uint32   // refs ever made
}

// arenaChunkShift sets the chunk length: 1<<arenaChunkShift elements, or
// one run when a run is longer.
const arenaChunkShift = 13

// class returns the smallest size class that holds n elements.
func (a *arena[T]) class(n int) uint8 {
	c := uint8(0)
	if n > 1 {
		c = uint8(bits.Len(uint(n - 1)))
	}
	return max(c, a.minClass)
}

// perShift is log2 of the runs of class c in one chunk.
func perShift(c uint8) uint {
	if c >= arenaChunkShift {
		return 0
	}
	return uint(arenaChunkShift - c)
}

// alloc returns a free run of class c; its elements hold whatever the
// previous user left.
func (a *arena[T]) alloc(c uint8) uint32 {
	for int(c) >= len(a.classes) {
		a.classes = append(a.classes, arenaClass[T]{})
	}
	ac := &a.classes[c]
	if n := len(ac.free); n > 0 {
		ref := ac.free[n-1]
		ac.free = ac.free[:n-1]
		return ref
	}
	ref := ac.made
	ac.made++
	if int(ref>>perShift(c)) == len(ac.chunks) {
		ac.chunks = append(ac.chunks, make([]T, 1<<(uint(c)+perShift(c))))
	}
	return ref
}

// run returns the elements of run ref of class c.
func (a *arena[T]) run(c uint8, ref uint32) []T {
	ps := perShift(c)
	chunk := a.classes[c].chunks[ref>>ps]
	off := uint(ref&(1<<ps-1)) << c
	return chunk[off : off+1<<c : off+1<<c]
}

// release hands run ref of class c back for reuse.
func (a *arena[T]) release(c uint8, ref uint32) {
	a.classes[c].free = append(a.classes[c].free, ref)
}
