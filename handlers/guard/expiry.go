package guard

import (
	"container/heap"
	"time"
)

// expiry finds the records that expired without a scan. Records with the
// same ttl expire in the order they were made (or re-armed), so each ttl
// keeps a FIFO queue, and a min-heap orders the queues by the expiry of
// their oldest record. Adding or removing a record costs O(1), plus
// O(log q) for q distinct ttls when the head of a queue changes; the
// callers use a handful of ttls.
type expiry struct {
	queues map[time.Duration]*queue
	heap   queueHeap
}

// queue holds the records of one ttl, oldest first.
type queue struct {
	list
	ttl time.Duration
	idx int // position in the heap
}

func newExpiry() expiry {
	return expiry{queues: make(map[time.Duration]*queue)}
}

// add puts r, which expires ttl after now, at the end of its queue.
func (e *expiry) add(r *record, ttl time.Duration) {
	q := e.queues[ttl]
	if q == nil {
		q = &queue{list: list{which: linkQueue}, ttl: ttl}
		e.queues[ttl] = q
		q.pushBack(r)
		r.q = q
		heap.Push(&e.heap, q)
		return
	}
	q.pushBack(r)
	r.q = q
}

// remove takes r off its queue.
func (e *expiry) remove(r *record) {
	q := r.q
	wasHead := q.head == r
	q.remove(r)
	r.q = nil
	switch {
	case q.n == 0:
		heap.Remove(&e.heap, q.idx)
		delete(e.queues, q.ttl)
	case wasHead:
		heap.Fix(&e.heap, q.idx)
	}
}

// next returns a record that expired at now, or nil when none did.
func (e *expiry) next(now int64) *record {
	if len(e.heap) > 0 && e.heap[0].head.exp <= now {
		return e.heap[0].head
	}
	return nil
}

// queueHeap implements heap.Interface, ordered by the expiry of each
// queue's oldest record.
type queueHeap []*queue

func (h queueHeap) Len() int           { return len(h) }
func (h queueHeap) Less(i, j int) bool { return h[i].head.exp < h[j].head.exp }
func (h queueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

func (h *queueHeap) Push(x any) {
	q := x.(*queue)
	q.idx = len(*h)
	*h = append(*h, q)
}

func (h *queueHeap) Pop() any {
	old := *h
	q := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return q
}
