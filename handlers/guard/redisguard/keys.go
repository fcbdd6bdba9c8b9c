package redisguard

import (
	"strconv"

	"github.com/unloq2fa/unloq2fa/handlers/guard"
)

// Record types: Allow, Begin and MarkUsed keep separate keys.
const (
	typeRate   = "rate:"
	typeFlight = "flight:"
	typeUsed   = "used:"
)

// redisKey names the record k of type typ:
// prefix typ kind ":" len(user) ":" user ":" id. A kind holds no ':' and
// the user's length is written out, so two keys never share a name
// ("u:" + "i" and "u" + ":i" differ).
func (g *Guard) redisKey(typ string, k guard.Key) string {
	b := make([]byte, 0, len(g.prefix)+len(typ)+len(k.Kind)+len(k.User)+len(k.ID)+8)
	b = append(b, g.prefix...)
	b = append(b, typ...)
	b = append(b, k.Kind...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(len(k.User)), 10)
	b = append(b, ':')
	b = append(b, k.User...)
	b = append(b, ':')
	b = append(b, k.ID...)
	return string(b)
}
