package guardtest

import (
	"fmt"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

func testAllowLimit(e *env) {
	for _, limit := range []int{1, 3} {
		for _, lk := range lookalikes {
			lk.Kind = fmt.Sprintf("%s-limit%d", lk.Kind, limit)
			w := e.window(lk, limit, e.ttl)
			for i := range limit {
				w.allow(fmt.Sprintf("event %d of %d", i+1, limit))
			}
			w.allow("over the limit")
			w.allow("over the limit again")
		}
	}
}

func testAllowSlidingWindow(e *env) {
	// Limit 3 per window of ten steps: events at 0, 3 and 6 steps.
	w := e.window(k("slide"), 3, e.ttl)
	w.allow("first event")
	e.wait(3 * e.step)
	w.allow("second event")
	e.wait(3 * e.step)
	w.allow("third event")
	w.allow("fourth event in the window")
	// At 11 steps only the first event has left the window: one more fits.
	// A fixed window that restarted at 10 steps would take three.
	e.wait(5 * e.step)
	w.allow("after the first event left the window")
	w.allow("window full again")
	// At 14 steps the second has left too.
	e.wait(3 * e.step)
	w.allow("after the second event left the window")
	w.allow("window full again")
	// Once a whole window has passed, all three fit again.
	e.expire()
	for i := range 3 {
		w.allow(fmt.Sprintf("event %d after the window passed", i+1))
	}
	w.allow("over the limit after the window passed")
}

func testAllowRefusedNotRecorded(e *env) {
	// Limit 2: two events at 0, refused ones at 4 and 8 steps.
	w := e.window(k("refused"), 2, e.ttl)
	w.allow("first event")
	w.allow("second event")
	e.wait(4 * e.step)
	w.allow("refused at 4 steps")
	e.wait(4 * e.step)
	w.allow("refused at 8 steps")
	// At 11 steps both admitted events have left; the refused ones, had
	// they been recorded, would still fill the window.
	e.wait(3 * e.step)
	w.allow("after the admitted events left the window")
	w.allow("second event of the new window")
	w.allow("over the limit")
}

func testAllowWindowExpiry(e *env) {
	var ws []*window
	for _, lk := range lookalikes {
		w := e.window(lk, 2, e.ttl)
		w.allow("first event")
		w.allow("second event")
		w.allow("over the limit")
		ws = append(ws, w)
	}
	// A longer window on another key keeps its events.
	long := e.window(guard.Key{Kind: "long", User: "u", ID: "i"}, 1, 4*e.ttl)
	long.allow("first event")
	e.expire()
	for _, w := range ws {
		w.allow("after the window passed")
		w.allow("second event after the window passed")
		w.allow("over the limit after the window passed")
	}
	long.allow("within a window of four ttls")
}
