package guardtest

import (
	"fmt"
	"sync"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

const (
	racers = 32
	rounds = 10
)

// race runs fn in racers goroutines released at once and returns how many
// reported true. Errors fail the test.
func (e *env) race(fn func() (bool, error)) int {
	e.t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  int
		errs  []error
		start = make(chan struct{})
	)
	for range racers {
		wg.Go(func() {
			<-start
			ok, err := fn()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if ok {
				wins++
			}
		})
	}
	close(start)
	wg.Wait()
	require.Empty(e.t, errs)
	return wins
}

// The racing calls use a long ttl: every racer must run while the winner's
// record lasts, even on a slow machine.

func testConcurrentBegin(e *env) {
	for r := range rounds {
		rk := k(fmt.Sprint("race-begin-", r))
		var (
			mu       sync.Mutex
			releases []func()
		)
		wins := e.race(func() (bool, error) {
			rel, ok, err := e.g.Begin(e.ctx, e.key(rk), 100*e.ttl)
			if err != nil {
				return false, fmt.Errorf("guardtest: Begin: %w", err)
			}
			if ok != (rel != nil) {
				return false, fmt.Errorf("guardtest: Begin: ok %v with release set %v", ok, rel != nil)
			}
			if ok {
				mu.Lock()
				releases = append(releases, rel)
				mu.Unlock()
			}
			return ok, nil
		})
		assert.Equal(e.t, 1, wins, "round %d: racing Begin calls on one key must have one winner", r)
		for _, rel := range releases {
			e.release("winner", rel)
		}
		rel, ok := e.begin(rk, e.ttl)
		if assert.True(e.t, ok, "round %d: Begin after the winner's release", r) {
			e.release("after the race", rel)
		}
	}
}

func testConcurrentMarkUsed(e *env) {
	for r := range rounds {
		rk := k(fmt.Sprint("race-used-", r))
		wins := e.race(func() (bool, error) {
			first, err := e.g.MarkUsed(e.ctx, e.key(rk), 100*e.ttl)
			if err != nil {
				return false, fmt.Errorf("MarkUsed: %w", err)
			}
			return first, nil
		})
		assert.Equal(e.t, 1, wins, "round %d: racing MarkUsed calls on one key must have one first use", r)
		assert.True(e.t, e.used(rk), "round %d: Used after the race", r)
	}
}

func testConcurrentAllow(e *env) {
	const limit = 5
	for r := range rounds {
		rk := k(fmt.Sprint("race-allow-", r))
		wins := e.race(func() (bool, error) {
			ok, err := e.g.Allow(e.ctx, e.key(rk), limit, 100*e.ttl)
			if err != nil {
				return false, fmt.Errorf("guardtest: Allow: %w", err)
			}
			return ok, nil
		})
		assert.Equal(e.t, limit, wins, "round %d: racing Allow calls with limit %d", r, limit)
	}
}

// testConcurrentUsers: users racing on the same kind and id at once each
// get their own budget and their own winner.
func testConcurrentUsers(e *env) {
	const (
		users = 8
		limit = 3
	)
	var (
		mu     sync.Mutex
		allows = map[string]int{}
		begins = map[string]int{}
		wg     sync.WaitGroup
		errs   []error
		start  = make(chan struct{})
	)
	for u := range users {
		user := fmt.Sprint("user-", u)
		rk := e.key(guard.Key{Kind: "push", User: user, ID: "same"})
		for range racers / 2 {
			wg.Go(func() {
				<-start
				ok, err := e.g.Allow(e.ctx, rk, limit, 100*e.ttl)
				_, began, err2 := e.g.Begin(e.ctx, rk, 100*e.ttl)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || err2 != nil {
					errs = append(errs, fmt.Errorf("%s: %v, %v", user, err, err2))
				}
				if ok {
					allows[user]++
				}
				if began {
					begins[user]++
				}
			})
		}
	}
	close(start)
	wg.Wait()
	require.Empty(e.t, errs)
	for u := range users {
		user := fmt.Sprint("user-", u)
		assert.Equal(e.t, limit, allows[user], "%s: events admitted", user)
		assert.Equal(e.t, 1, begins[user], "%s: Begin winners", user)
	}
}
