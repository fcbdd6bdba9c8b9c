package unloq

import "time"

// ApprovalTimeout reports the per-call timeout of the blocking approval
// calls (Authenticate, Authorize, GenerateToken): how long such a call may
// wait for the phone. Callers size records that must outlive an approval
// (an in-flight marker, say) from it.
func (c *Client) ApprovalTimeout() time.Duration { return c.approvalTimeout }

// CallTimeout reports the per-call timeout of the other calls.
func (c *Client) CallTimeout() time.Duration { return c.callTimeout }
