package guard

import "time"

// expiry finds the records that expired without a scan. Records with the
// same ttl expire in the order they were made (or re-armed), so each ttl
// keeps a FIFO queue, and a min-heap orders the queues by the expiry of
// their oldest record, which each queue keeps at hand. Adding or removing
// a record costs O(1), plus O(log q) for q distinct ttls when the head of
// a queue changes; the callers use a handful of ttls.
type expiry struct {
	byTTL  map[time.Duration]uint32 // index in queues
	queues []queue                  // index 0 unused
	free   []uint32                 // unused indexes in queues
	heap   []uint32                 // indexes in queues
}

// queue holds the records of one ttl, oldest first.
type queue struct {
	list
	headExp int64 // exp of its head
	ttl     time.Duration
	pos     int // in the heap
}

func newExpiry() expiry {
	return expiry{byTTL: make(map[time.Duration]uint32), queues: make([]queue, 1)}
}

// add puts record i, which expires ttl after now, at the end of its queue.
func (e *expiry) add(recs []record, i uint32, ttl time.Duration) {
	qi, ok := e.byTTL[ttl]
	if !ok {
		if n := len(e.free); n > 0 {
			qi = e.free[n-1]
			e.free = e.free[:n-1]
		} else {
			qi = uint32(len(e.queues))
			e.queues = append(e.queues, queue{})
		}
		e.byTTL[ttl] = qi
		q := &e.queues[qi]
		*q = queue{ttl: ttl, headExp: recs[i].exp, pos: len(e.heap)}
		q.pushBack(recs, linkQueue, i)
		recs[i].q = qi
		e.heap = append(e.heap, qi)
		e.up(q.pos)
		return
	}
	e.queues[qi].pushBack(recs, linkQueue, i)
	recs[i].q = qi
}

// remove takes record i off its queue.
func (e *expiry) remove(recs []record, i uint32) {
	qi := recs[i].q
	q := &e.queues[qi]
	wasHead := q.head == i
	q.remove(recs, linkQueue, i)
	recs[i].q = 0
	switch {
	case q.n == 0:
		pos := q.pos
		delete(e.byTTL, q.ttl)
		*q = queue{}
		e.free = append(e.free, qi)
		last := len(e.heap) - 1
		if pos != last {
			e.swap(pos, last)
		}
		e.heap = e.heap[:last]
		if pos != last {
			e.fix(pos)
		}
	case wasHead:
		q.headExp = recs[q.head].exp
		e.fix(q.pos)
	}
}

// next returns a record that expired at now, or 0 when none did.
func (e *expiry) next(now int64) uint32 {
	if len(e.heap) > 0 {
		if q := &e.queues[e.heap[0]]; q.headExp <= now {
			return q.head
		}
	}
	return 0
}

func (e *expiry) less(a, b int) bool {
	return e.queues[e.heap[a]].headExp < e.queues[e.heap[b]].headExp
}

func (e *expiry) swap(a, b int) {
	e.heap[a], e.heap[b] = e.heap[b], e.heap[a]
	e.queues[e.heap[a]].pos, e.queues[e.heap[b]].pos = a, b
}

func (e *expiry) fix(i int) {
	if !e.down(i) {
		e.up(i)
	}
}

func (e *expiry) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !e.less(i, p) {
			return
		}
		e.swap(i, p)
		i = p
	}
}

// down sifts i down and reports whether it moved.
func (e *expiry) down(i int) bool {
	start, n := i, len(e.heap)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && e.less(r, c) {
			c = r
		}
		if !e.less(c, i) {
			break
		}
		e.swap(i, c)
		i = c
	}
	return i > start
}
