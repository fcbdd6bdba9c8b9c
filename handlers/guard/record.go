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
	seq    uint64 // in-flight markers: tells a mark from a later one
	bucket uint32 // index in Memory.buckets
	q      uint32 // index of its expiry queue
	links  [numLinks]link
	keyRef uint32 // run in Memory.keys
	// A rate record's admitted events in the window, oldest first: a ring
	// of evLen times from evHead in run evRef of Memory.events.
	evRef, evHead, evLen uint32
	keyClass, evClass    uint8
	typ                  recType
	kindLen              uint8
	userLen, idLen       uint16
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
