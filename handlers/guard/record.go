package guard

// recType separates the records of Allow, Begin and MarkUsed.
type recType uint8

const (
	rateRec recType = iota + 1
	flightRec
	usedRec
)

// record is one record of a Memory, kept by value in Memory.recs and named
// by its index there. It holds no pointer: its key bytes (Kind, User and
// ID back to back) and a rate record's events live in arenas, its lists
// link indexes. A million records are then one pointer-free array the
// garbage collector does not trace, and a freed record is reused in place.
type record struct {
	hash   uint64 // of typ and key
	exp    int64  // nanoseconds after Memory.base
	tag    uint32 // in Memory.records
	bucket uint32 // index in Memory.buckets
	q      uint32 // index of its expiry queue
	// links[linkQueue] always; links[linkBucket] and links[linkAll] only
	// for replay records. The other records keep other fields there (see
	// the accessors below), so a record fits one 64-byte cache line.
	links    [numLinks]link
	keyRef   uint32 // run in Memory.keys
	keyClass uint8
	evClass  uint8 // rate records: size class of evRef
	typ      recType
	kindLen  uint8
	userLen  uint16
	idLen    uint16
}

// A rate record's admitted events in the window, oldest first, are a ring
// of evLen times from evHead in run evRef of class evClass of
// Memory.events.
func (r *record) evRef() *uint32  { return &r.links[linkBucket].prev }
func (r *record) evHead() *uint32 { return &r.links[linkBucket].next }
func (r *record) evLen() *uint32  { return &r.links[linkAll].prev }

// seq tells an in-flight marker from a later one.
func (r *record) seq() uint64 {
	return uint64(r.links[linkBucket].prev) | uint64(r.links[linkBucket].next)<<32
}

func (r *record) setSeq(seq uint64) {
	r.links[linkBucket] = link{uint32(seq), uint32(seq >> 32)}
}

// bucket counts the records one user holds of one kind.
type bucket struct {
	hash     uint64 // of kind and user
	n        uint32 // records of any type
	used     list   // its replay records, oldest first
	keyRef   uint32 // run in Memory.keys: Kind and User back to back
	keyClass uint8
	kindLen  uint8
	userLen  uint16
}

// keyIs reports whether the key bytes b, cut at kindLen and userLen, are
// k's Kind, User and ID.
func keyIs(b []byte, kindLen, userLen int, k Key) bool {
	return string(b[:kindLen]) == k.Kind &&
		string(b[kindLen:kindLen+userLen]) == k.User &&
		string(b[kindLen+userLen:kindLen+userLen+len(k.ID)]) == k.ID
}
