package spatial

import (
	"context"
	"fmt"
	"time"
)

// pace stops a parcel's overlay before a step that would end after the
// request's deadline. GEOS calls cannot be interrupted, so checking the
// context between them would answer a step late; pace keeps the longest
// step so far and gives up before the next one when that much time is no
// longer left, so that a refusal comes at the deadline, not after it.
type pace struct {
	ctx      context.Context
	deadline time.Time
	has      bool
	last     time.Time
	longest  time.Duration
}

// newPace starts pacing with first as the longest step so far: the time
// the parcel's preparation took, which grows with its size as the overlay's
// steps do, so that even the first step is not begun too late.
func newPace(ctx context.Context, first time.Duration) *pace {
	dl, ok := ctx.Deadline()
	return &pace{ctx: ctx, deadline: dl, has: ok, last: time.Now(), longest: first}
}

// step is called between steps: it fails when ctx is done or the longest
// step so far would no longer fit before the deadline.
func (p *pace) step() error {
	now := time.Now()
	p.longest = max(p.longest, now.Sub(p.last))
	p.last = now
	if err := p.ctx.Err(); err != nil {
		return fmt.Errorf("spatial: %w", err)
	}
	if p.has && now.Add(p.longest).After(p.deadline) {
		return fmt.Errorf("spatial: %w: the next step (up to %v) would end after the request's deadline", context.DeadlineExceeded, p.longest.Round(time.Millisecond))
	}
	return nil
}
