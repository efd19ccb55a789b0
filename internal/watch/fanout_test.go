package watch

import "testing"

// TestFanout: a subscriber is primed with the latest; a reader that falls behind gets the newest, never
// a queue; unsubscribing closes its channel and only its own.
func TestFanout(t *testing.T) {
	f := NewFanout(0)
	a, unsubA := f.Subscribe()
	b, unsubB := f.Subscribe()
	defer unsubB()
	if v := <-a; v != 0 {
		t.Fatalf("primed with %d, want 0", v)
	}
	f.Publish(1)
	f.Publish(2)
	if v := <-a; v != 2 {
		t.Errorf("a reader behind got %d, want the newest, 2", v)
	}
	if v := <-b; v != 2 {
		t.Errorf("b got %d, want 2", v)
	}
	if f.Subscribers() != 2 || f.Latest() != 2 {
		t.Errorf("subscribers %d, latest %d", f.Subscribers(), f.Latest())
	}
	unsubA()
	unsubA() // twice is harmless
	if _, ok := <-a; ok {
		t.Error("a's channel is still open after unsubscribing")
	}
	f.Publish(3)
	if v := <-b; v != 3 || f.Subscribers() != 1 {
		t.Errorf("b got %d with %d subscribers", v, f.Subscribers())
	}
	c, unsubC := f.Subscribe()
	defer unsubC()
	if v := <-c; v != 3 {
		t.Errorf("a new subscriber is primed with %d, want 3", v)
	}
}
