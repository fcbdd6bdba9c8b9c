package testenv

import (
	"context"
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// RedisURLEnv names the environment variable that points the tests at a
// Redis server, for example redis://127.0.0.1:6379/0. .ci/run starts
// Debian's redis-server and sets it.
const RedisURLEnv = "UNLOQ2FA_REDIS_URL"

// RedisURL returns the URL of a reachable Redis server for tests. Without
// UNLOQ2FA_REDIS_URL, or when nothing answers there, the test is skipped
// with the reason (and fails under CI=true, see Require).
func RedisURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(RedisURLEnv)
	Require(t, raw != "", RedisURLEnv+" is not set: start redis-server and set it (redis://127.0.0.1:6379/0) to run the Redis tests")
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	Require(t, err == nil && u.Host != "", RedisURLEnv+" is not a redis:// URL")
	if err != nil || u.Host == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	Require(t, err == nil, "no Redis answers at "+u.Host+" ("+RedisURLEnv+")")
	if err != nil {
		return ""
	}
	_ = c.Close()
	return raw
}
