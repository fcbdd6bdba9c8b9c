package guard

// Each record sits on up to three intrusive lists at once, one per link.
const (
	linkQueue  = iota // its expiry queue (every record)
	linkBucket        // the replay records of its kind and user
	linkAll           // every replay record
	numLinks
)

type link struct{ prev, next *record }

// list is a doubly linked list of records through their links[which]: O(1)
// append and removal, oldest first.
type list struct {
	head, tail *record
	n          int
	which      int
}

func (l *list) pushBack(r *record) {
	lk := &r.links[l.which]
	lk.prev, lk.next = l.tail, nil
	if l.tail != nil {
		l.tail.links[l.which].next = r
	} else {
		l.head = r
	}
	l.tail = r
	l.n++
}

func (l *list) remove(r *record) {
	lk := &r.links[l.which]
	if lk.prev != nil {
		lk.prev.links[l.which].next = lk.next
	} else {
		l.head = lk.next
	}
	if lk.next != nil {
		lk.next.links[l.which].prev = lk.prev
	} else {
		l.tail = lk.prev
	}
	*lk = link{}
	l.n--
}
