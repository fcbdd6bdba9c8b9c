package guard

// Each record sits on up to three intrusive lists at once, one per link.
// Lists name records by their index in Memory.recs; index 0 is no record.
const (
	linkQueue  = iota // its expiry queue (every record)
	linkBucket        // the replay records of its kind and user
	linkAll           // every replay record
	numLinks
)

type link struct{ prev, next uint32 }

// list is a doubly linked list of records through their links[which]: O(1)
// append and removal, oldest first. The head's prev is left stale: removing
// the head, the usual case (expiry and eviction take the oldest), then
// touches no other record.
type list struct {
	head, tail, n uint32
}

func (l *list) pushBack(recs []record, which int, i uint32) {
	lk := &recs[i].links[which]
	lk.prev, lk.next = l.tail, 0
	if l.tail != 0 {
		recs[l.tail].links[which].next = i
	} else {
		l.head = i
	}
	l.tail = i
	l.n++
}

func (l *list) remove(recs []record, which int, i uint32) {
	lk := &recs[i].links[which]
	switch {
	case l.head == i:
		l.head = lk.next
		if lk.next == 0 {
			l.tail = 0
		}
	default:
		recs[lk.prev].links[which].next = lk.next
		if lk.next != 0 {
			recs[lk.next].links[which].prev = lk.prev
		} else {
			l.tail = lk.prev
		}
	}
	*lk = link{}
	l.n--
}
