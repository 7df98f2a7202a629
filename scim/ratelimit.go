package scim

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per SCIM token, in this process: with
// several replicas each enforces the rate on its own share of requests.
type limiter struct {
	rate    rate.Limit
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newLimiter(perSecond float64) *limiter {
	return &limiter{rate: rate.Limit(perSecond), buckets: map[string]*rate.Limiter{}}
}

// wait is how long token must wait before this request may run; 0 lets it
// run now (and spends one request of its bucket).
func (l *limiter) wait(token string) time.Duration {
	if l.rate <= 0 {
		return 0
	}
	l.mu.Lock()
	b, ok := l.buckets[token]
	if !ok {
		b = rate.NewLimiter(l.rate, max(int(2*l.rate), 1))
		l.buckets[token] = b
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel() // a refused request does not use up the bucket
		return d
	}
	return 0
}
