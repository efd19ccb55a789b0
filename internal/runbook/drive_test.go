package runbook

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// script answers the questions in order and keeps the conversation.
type script struct {
	answers []string
	said    []string
}

func (s *script) Say(lines ...string) { s.said = append(s.said, lines...) }
func (s *script) Ask(q string) (string, error) {
	s.said = append(s.said, "? "+q)
	if len(s.answers) == 0 {
		return "", io.EOF
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	s.said = append(s.said, "> "+a)
	return a, nil
}

func TestDrive(t *testing.T) {
	f := newFixture(t)
	f.act.changed["pod/shop/web-1"] = true
	s := must(f.start(t, alice, false))
	p := &script{answers: []string{"done, the node is on", "wrong name", "db-0", "web-1", "skip", "its owner restarts it"}}
	if err := Drive(context.Background(), s, p, func(a string) bool { return a == "delete-pod" }); err != nil {
		t.Fatal(err)
	}
	conv := strings.Join(p.said, "\n")
	for _, want := range []string{"Step 1 of 4 (precheck): Find the stuck pods", "✔ 2 pods wait on their volumes",
		"Step 2 of 4 (manual)", "  look at worker-2", "delete-pod cannot be undone: type db-0 to run it", "> wrong name\nNothing done.",
		"✔ delete-pod pod/shop/db-0: done (as cedille:alice)", "changed since you looked; look again\nLooking at it again:",
		"? Why is it left alone?", "✔ pods Ready", "The run ended: done.", "Incident report: "} {
		if !strings.Contains(conv, want) {
			t.Errorf("the conversation lacks %q:\n%s", want, conv)
		}
	}
	if r := s.Run(); r.Steps[1].Summary != "done by hand: the node is on" || r.Steps[2].Summary != "delete-pod: 1 done, 1 left alone" {
		t.Fatalf("%+v", r.Steps)
	}
}

func TestDriveStopsAndResumes(t *testing.T) {
	f := newFixture(t)
	s := must(f.start(t, alice, false))
	p := &script{} // no answer: stdin closed at the manual step
	if err := Drive(context.Background(), s, p, nil); !errors.Is(err, ErrStopped) {
		t.Fatalf("%v", err)
	}
	again := must(f.start(t, alice, false))
	if st, _ := again.Current(); st.ID != "power" || again.Run().ID != s.Run().ID {
		t.Fatalf("resumed at %s", st.ID)
	}
	p = &script{answers: []string{"abort", "", "wrong pool"}}
	if err := Drive(context.Background(), again, p, nil); err != nil {
		t.Fatal(err)
	}
	if r := again.Run(); r.Outcome != "aborted: wrong pool" {
		t.Fatalf("outcome %q:\n%s", r.Outcome, strings.Join(p.said, "\n"))
	}
}
