package guard

// table indexes records (or buckets) by a 32-bit tag of their key: open
// addressing with linear probing and backward-shift deletion. An entry's
// home slot is given by the top bits of its tag, so entries whose tags
// share those bits probe the same cache line (Memory files the records of
// one User and ID, whatever their kind, that way). A slot is 8 bytes, the
// tag and the index, so a probe reads one array and looks at an entry only
// when its tag matches. It leaves no tombstones, so the constant churn of
// a full guard (a record evicted for each one made) never forces a rehash.
type table struct {
	slots []slot // length a power of two, at most 3/4 full
	shift uint8  // 32 - log2(len(slots)): a tag's home is tag>>shift
	n     int
}

type slot struct {
	tag uint32
	idx uint32 // 0: empty
}

const minTableShift = 6

func newTable() table {
	return table{slots: make([]slot, 1<<minTableShift), shift: 32 - minTableShift}
}

// find returns the index of the entry with tag that eq accepts, or 0.
func (t *table) find(tag uint32, eq func(idx uint32) bool) uint32 {
	mask := uint32(len(t.slots) - 1)
	for i := t.home(tag); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s.idx == 0 {
			return 0
		}
		if s.tag == tag && eq(s.idx) {
			return s.idx
		}
	}
}

// home returns the first slot a probe for tag reads.
func (t *table) home(tag uint32) uint32 { return uint32(uint64(tag) >> t.shift) }

// insert adds idx, which the table does not hold, under tag.
func (t *table) insert(tag, idx uint32) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(t.shift - 1)
	}
	t.place(slot{tag, idx})
	t.n++
}

func (t *table) place(s slot) {
	mask := uint32(len(t.slots) - 1)
	i := t.home(s.tag)
	for t.slots[i].idx != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// remove takes out idx, which the table holds under tag.
func (t *table) remove(tag, idx uint32) {
	mask := uint32(len(t.slots) - 1)
	i := t.home(tag)
	for t.slots[i].idx != idx {
		i = (i + 1) & mask
	}
	// Shift back the entries after the hole that may move into it.
	for j := (i + 1) & mask; t.slots[j].idx != 0; j = (j + 1) & mask {
		home := t.home(t.slots[j].tag)
		// The entry at j stays when its home lies cyclically in (i, j].
		if (i < j && i < home && home <= j) || (j < i && (i < home || home <= j)) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = slot{}
	t.n--
	if t.shift < 32-minTableShift && t.n*8 < len(t.slots) {
		t.resize(t.shift + 1)
	}
}

// resize rebuilds the table with 1<<(32-shift) slots.
func (t *table) resize(shift uint8) {
	old := t.slots
	t.slots, t.shift = make([]slot, 1<<(32-shift)), shift
	for _, s := range old {
		if s.idx != 0 {
			t.place(s)
		}
	}
}
