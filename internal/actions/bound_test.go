package actions

import (
	"context"
	"errors"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/access"
)

// TestBoundReadsTheActorAtEachCall: a role lowered between two calls applies to the second; a gone
// actor is refused everything.
func TestBoundReadsTheActorAtEachCall(t *testing.T) {
	var ran []Precondition
	tr := &trail{}
	d, err := NewDispatcher(fakeClients{}, tr.sink, fakeAction("cordon", access.Operator, false, nil, &ran))
	if err != nil {
		t.Fatal(err)
	}
	who := Actor{Name: "olive", Role: access.Operator, Session: "s1"}
	var gone error
	b := d.Bind(func() (Actor, error) { return who, gone })
	node := Target{Kind: KindNode, Name: "worker-2"}
	ctx := context.Background()

	steps := []struct {
		name        string
		role        access.Role
		gone        error
		allowed     int
		wantErr     string
		wantRan     int
		wantActions int
	}{
		{"operator", access.Operator, nil, 1, "", 1, 1},
		{"lowered to viewer", access.Viewer, nil, 0, "cordon needs operator; you are viewer", 1, 1},
		{"session ended", access.Operator, errors.New("the session has ended"), 0, "cordon node/worker-2: the session has ended", 1, 1},
	}
	for _, st := range steps {
		who.Role, gone = st.role, st.gone
		if got := len(b.Allowed(KindNode)); got != st.allowed {
			t.Errorf("%s: %d allowed, want %d", st.name, got, st.allowed)
		}
		if got := len(b.Actions(KindNode)); got != st.wantActions || len(b.Actions(KindPod)) != 0 {
			t.Errorf("%s: %d actions on nodes, want %d (and none on pods)", st.name, got, st.wantActions)
		}
		_, err := b.Do(ctx, "cordon", node, Confirmation{})
		if (err == nil) != (st.wantErr == "") || (err != nil && err.Error() != st.wantErr) {
			t.Errorf("%s: Do: %v, want %q", st.name, err, st.wantErr)
		}
		if _, err := b.Preview(ctx, "cordon", node); (err == nil) != (st.wantErr == "") {
			t.Errorf("%s: Preview: %v, want %q", st.name, err, st.wantErr)
		}
		if len(ran) != st.wantRan {
			t.Errorf("%s: ran %d times, want %d", st.name, len(ran), st.wantRan)
		}
	}
	if a, _ := As(LocalActor("me", "local"))(); !a.Local || a.Role != access.Admin {
		t.Errorf("As(LocalActor) = %+v", a)
	}
}
