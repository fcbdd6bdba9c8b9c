package guard

// table indexes records (or buckets) by the high 32 bits of their key's
// hash: open addressing with linear probing and backward-shift deletion.
// A slot is 8 bytes, the hash and the index, so a probe reads one array
// and looks at an entry only when its hash matches. It leaves no
// tombstones, so the constant churn of a full guard (a record evicted for
// each one made) never forces a rehash.
type table struct {
	slots []slot // length a power of two, at most 3/4 full
	n     int
}

type slot struct {
	h   uint32
	idx uint32 // 0: empty
}

const minTableSize = 64

func newTable() table { return table{slots: make([]slot, minTableSize)} }

// find returns the index of the entry with hash h that eq accepts, or 0.
func (t *table) find(h uint32, eq func(idx uint32) bool) uint32 {
	mask := uint32(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s.idx == 0 {
			return 0
		}
		if s.h == h && eq(s.idx) {
			return s.idx
		}
	}
}

// home returns the first slot a probe for hash h reads.
func (t *table) home(h uint32) slot { return t.slots[h&uint32(len(t.slots)-1)] }

// insert adds idx, which the table does not hold, under hash h.
func (t *table) insert(h, idx uint32) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(len(t.slots) * 2)
	}
	t.place(slot{h, idx})
	t.n++
}

func (t *table) place(s slot) {
	mask := uint32(len(t.slots) - 1)
	i := s.h & mask
	for t.slots[i].idx != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// remove takes out idx, which the table holds under hash h.
func (t *table) remove(h, idx uint32) {
	mask := uint32(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].idx != idx {
		i = (i + 1) & mask
	}
	// Shift back the entries after the hole that may move into it.
	for j := (i + 1) & mask; t.slots[j].idx != 0; j = (j + 1) & mask {
		home := t.slots[j].h & mask
		// The entry at j stays when its home lies cyclically in (i, j].
		if (i < j && i < home && home <= j) || (j < i && (i < home || home <= j)) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = slot{}
	t.n--
	if len(t.slots) > minTableSize && t.n*8 < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
}

func (t *table) resize(size int) {
	old := t.slots
	t.slots = make([]slot, size)
	for _, s := range old {
		if s.idx != 0 {
			t.place(s)
		}
	}
}
