package watch

import "sync"

// Fanout hands the newest value to any number of subscribers: each has a one-slot channel that always
// holds the newest value not yet read (older ones are dropped, never queued), primed with the latest at
// subscription, closed on unsubscribe. A slow reader never holds a publisher back.
type Fanout[T any] struct {
	mu     sync.Mutex
	subs   map[int]chan T
	next   int
	latest T
}

// NewFanout starts with first as the latest value.
func NewFanout[T any](first T) *Fanout[T] {
	return &Fanout[T]{subs: map[int]chan T{}, latest: first}
}

// Subscribe returns the channel and the function that unsubscribes (closing it, which wakes a reader).
func (f *Fanout[T]) Subscribe() (<-chan T, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan T, 1)
	ch <- f.latest
	id := f.next
	f.next++
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[id]; ok {
			delete(f.subs, id)
			close(ch)
		}
	}
}

// Publish makes v the latest and gives it to every subscriber, replacing what each has not read.
func (f *Fanout[T]) Publish(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latest = v
	for _, ch := range f.subs {
		select {
		case ch <- v:
		default:
			select {
			case <-ch:
			default:
			}
			ch <- v
		}
	}
}

// Latest is the last value published.
func (f *Fanout[T]) Latest() T {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.latest
}

// Subscribers counts the live subscriptions.
func (f *Fanout[T]) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}
