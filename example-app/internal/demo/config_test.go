package demo

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unloq2fa/unloq2fa/unloq"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	const hash64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	const block32 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{
			name: "defaults use the simulator with development cookies",
			check: func(t *testing.T, c Config) {
				assert.True(t, c.Simulated())
				assert.Equal(t, DefaultAddr, c.Addr)
				assert.Equal(t, DefaultDBPath, c.DBPath)
				assert.Equal(t, DefaultSimAPIKey, c.SimAPIKey)
				assert.Equal(t, DefaultSimApprovalTimeout, c.SimApprovalTimeout)
				assert.True(t, c.DevCookies)
				assert.Equal(t, "http://"+DefaultAddr, c.SelfURL)
				assert.Nil(t, c.SessionHashKey)
				assert.Equal(t, DefaultDemoEmail, c.DemoEmail)
				assert.Equal(t, DefaultDemoPassword, c.DemoPassword)
				assert.Contains(t, c.CookieMode(), "development")
			},
		},
		{
			name: "flags",
			args: []string{"-addr", "127.0.0.1:0", "-db", ":memory:", "-dev-cookies=false", "-approval-timeout", "5s"},
			env:  map[string]string{EnvSimAPIKey: "my-sim-key"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "127.0.0.1:0", c.Addr)
				assert.Equal(t, ":memory:", c.DBPath)
				assert.False(t, c.DevCookies)
				assert.Equal(t, 5*time.Second, c.SimApprovalTimeout)
				assert.Equal(t, "my-sim-key", c.SimAPIKey)
				assert.Contains(t, c.CookieMode(), "secure")
			},
		},
		{
			name: "real UNLOQ is secure by default",
			env:  map[string]string{EnvAPIKey: "live_key", EnvWidgetKey: "widget"},
			check: func(t *testing.T, c Config) {
				assert.False(t, c.Simulated())
				assert.False(t, c.DevCookies)
				assert.Equal(t, unloq.DefaultBaseURL, c.UnloqAPIURL)
				assert.Empty(t, c.SelfURL)
			},
		},
		{
			name: "real UNLOQ with an API URL and explicit dev cookies",
			args: []string{"-dev-cookies"},
			env:  map[string]string{EnvAPIKey: "live_key", EnvWidgetKey: "widget", EnvAPIURL: "https://api-authenticator.iwelcome.com/v1"},
			check: func(t *testing.T, c Config) {
				assert.True(t, c.DevCookies)
				assert.Equal(t, "https://api-authenticator.iwelcome.com/v1", c.UnloqAPIURL)
			},
		},
		{
			name: "session keys from hex",
			env:  map[string]string{EnvSessionHashKey: hash64, EnvSessionBlockKey: block32},
			check: func(t *testing.T, c Config) {
				assert.Len(t, c.SessionHashKey, 32)
				assert.Len(t, c.SessionBlockKey, 32)
			},
		},
		{
			name: "several instances: Redis, PostgreSQL, instance name, webhook secret defaults to the API key",
			args: []string{"-redis", "redis://127.0.0.1:6379/3", "-redis-prefix", "app1:", "-instance", "web-1",
				"-db", "postgres://u:p@127.0.0.1:5432/demo", "-redis-timeout", "2s"},
			env: map[string]string{EnvAPIKey: "live_key", EnvWidgetKey: "widget"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "redis://127.0.0.1:6379/3", c.RedisURL)
				assert.Equal(t, "app1:", c.RedisPrefix)
				assert.Equal(t, 2*time.Second, c.RedisTimeout)
				assert.Equal(t, "web-1", c.Instance)
				assert.Equal(t, "postgres://u:p@127.0.0.1:5432/demo", c.DBPath)
				assert.Equal(t, "live_key", c.WebhookSecret)
			},
		},
		{
			name: "Redis, instance and webhook secret from the environment",
			env:  map[string]string{EnvRedisURL: "redis://10.0.0.5:6379/0", EnvInstance: "B", EnvWebhookSecret: "hook-secret"},
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "redis://10.0.0.5:6379/0", c.RedisURL)
				assert.Equal(t, "B", c.Instance)
				assert.Equal(t, "hook-secret", c.WebhookSecret)
				assert.Equal(t, DefaultRedisPrefix, c.RedisPrefix)
				assert.Equal(t, DefaultRedisTimeout, c.RedisTimeout)
			},
		},
		{
			name: "without Redis nothing is shared; the simulator's key signs webhooks",
			check: func(t *testing.T, c Config) {
				assert.Empty(t, c.RedisURL)
				assert.Empty(t, c.Instance)
				assert.Equal(t, DefaultSimAPIKey, c.WebhookSecret)
			},
		},
		{name: "bad Redis URL", args: []string{"-redis", "http://127.0.0.1:6379"}, wantErr: "-redis"},
		{name: "instance name that cannot be a header value", args: []string{"-instance", "a\r\nSet-Cookie: x"}, wantErr: "-instance"},
		{name: "API key without widget key", env: map[string]string{EnvAPIKey: "k"}, wantErr: "set both"},
		{name: "widget key without API key", env: map[string]string{EnvWidgetKey: "w"}, wantErr: "set both"},
		{name: "hash key without block key", env: map[string]string{EnvSessionHashKey: hash64}, wantErr: EnvSessionBlockKey},
		{name: "bad hex", env: map[string]string{EnvSessionHashKey: "zz-secret", EnvSessionBlockKey: block32}, wantErr: "not valid hex"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "not defined"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := ParseConfig(tt.args, envFrom(tt.env), &out)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "zz-secret", "key material must not reach error text")
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestParseConfigHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseConfig([]string{"-h"}, envFrom(nil), &out)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, want := range []string{"-addr", "-db", "-dev-cookies", EnvAPIKey, EnvSimAPIKey} {
		assert.True(t, strings.Contains(out.String(), want), "usage mentions %s", want)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "simulator needs SelfURL", cfg: Config{}, wantErr: "SelfURL"},
		{name: "SelfURL must be absolute", cfg: Config{SelfURL: "/relative"}, wantErr: "SelfURL"},
		{name: "short demo password", cfg: Config{SelfURL: "http://127.0.0.1:1", DemoEmail: "a@b.example", DemoPassword: "short"}, wantErr: "demo password"},
		{name: "ok", cfg: Config{SelfURL: "http://127.0.0.1:1"}},
		{name: "real mode needs no SelfURL", cfg: Config{UnloqAPIKey: "k", UnloqWidgetKey: "w"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.withDefaults().validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}
