package guard

import "hash/maphash"

// table indexes the records by key: open addressing with linear probing
// and backward-shift deletion. It leaves no tombstones, so the constant
// churn of a full guard (a record evicted for each one made) never forces
// a rehash; a Go map under that churn kept rehashing its tables.
type table struct {
	seed  maphash.Seed
	slots []slot // length a power of two, at most 3/4 full
	n     int
}

// slot keeps the hash beside the record, so a probe reads one array and
// dereferences only the record it matches.
type slot struct {
	hash uint64
	r    *record
}

const minTableSize = 64

func newTable() table {
	return table{seed: maphash.MakeSeed(), slots: make([]slot, minTableSize)}
}

// hash hashes k unambiguously: the kind holds no 0xff byte and the user's
// length is written out.
func (t *table) hash(k recKey) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	_ = h.WriteByte(byte(k.typ))
	_, _ = h.WriteString(k.key.Kind)
	_ = h.WriteByte(0xff)
	n := len(k.key.User)
	_ = h.WriteByte(byte(n))
	_ = h.WriteByte(byte(n >> 8))
	_, _ = h.WriteString(k.key.User)
	_, _ = h.WriteString(k.key.ID)
	return h.Sum64()
}

func (t *table) get(k recKey) *record {
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s.r == nil {
			return nil
		}
		if s.hash == h && s.r.key == k {
			return s.r
		}
	}
}

// put adds r, whose key is absent, setting r.hash.
func (t *table) put(r *record) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(len(t.slots) * 2)
	}
	r.hash = t.hash(r.key)
	t.place(r)
	t.n++
}

func (t *table) place(r *record) {
	mask := uint64(len(t.slots) - 1)
	i := r.hash & mask
	for t.slots[i].r != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = slot{r.hash, r}
}

// del removes r, which the table holds.
func (t *table) del(r *record) {
	mask := uint64(len(t.slots) - 1)
	i := r.hash & mask
	for t.slots[i].r != r {
		i = (i + 1) & mask
	}
	// Shift back the records after the hole that may move into it.
	for j := (i + 1) & mask; t.slots[j].r != nil; j = (j + 1) & mask {
		home := t.slots[j].hash & mask
		// The record at j stays when its home lies cyclically in (i, j].
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
		if s.r != nil {
			t.place(s.r)
		}
	}
}
