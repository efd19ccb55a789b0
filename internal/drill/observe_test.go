package drill

import (
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
)

func testRunbook() runbook.Runbook {
	return runbook.Runbook{Name: "node-lost", Steps: []runbook.Step{
		{ID: "lost", Kind: runbook.Precheck}, {ID: "cordon", Kind: runbook.Action}, {ID: "off", Kind: runbook.Manual},
		{ID: "gone", Kind: runbook.Postcheck}, {ID: "detached", Kind: runbook.Postcheck}}}
}

func TestObserver(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	started := audit.Record{Event: audit.RunbookStarted, Action: "node-lost", Run: "r1"}
	step := func(id, why string) audit.Record {
		return audit.Record{Event: audit.RunbookStep, Action: id, Run: "r1", Reason: why}
	}
	cases := []struct {
		name                        string
		records                     []audit.Record
		detection, response, repair time.Duration
		ticked                      []string
		run                         string
	}{
		{name: "nothing yet"},
		{name: "another runbook is not the drill's", records: []audit.Record{{Event: audit.RunbookStarted, Action: "app-sync", Run: "x"}}},
		{name: "started", records: []audit.Record{started}, detection: 10 * time.Second, run: "r1"},
		{name: "the first action responds", records: []audit.Record{started, step("lost", "applies"),
			{Event: audit.ActionDone, Action: "cordon", Run: "r1"}}, detection: 10 * time.Second, response: 30 * time.Second, run: "r1"},
		{name: "a manual step responds and is ticked", records: []audit.Record{started, step("lost", "applies"), step("off", "done by hand")},
			detection: 10 * time.Second, response: 30 * time.Second, ticked: []string{"off"}, run: "r1"},
		{name: "a skipped object is no response", records: []audit.Record{started, step("cordon", "left node/w alone: no")},
			detection: 10 * time.Second, run: "r1"},
		{name: "the last postcheck repairs", records: []audit.Record{started, {Event: audit.ActionDone, Run: "r1"}, step("gone", "ok"), step("detached", "ok")},
			detection: 10 * time.Second, response: 20 * time.Second, repair: 40 * time.Second, run: "r1"},
		{name: "another run's records are not the drill's", records: []audit.Record{started, {Event: audit.ActionDone, Run: "r2"},
			{Event: audit.RunbookStarted, Action: "node-lost", Run: "r2"}}, detection: 10 * time.Second, run: "r1"},
		{name: "another runbook's manual steps are ticked by its name", records: []audit.Record{started,
			{Event: audit.RunbookStarted, Action: "vault-sealed", Run: "v1"}, {Event: audit.RunbookStep, Action: "seal", Run: "v1", Reason: "sealed"},
			{Event: audit.RunbookStep, Action: "unseal", Run: "v1", Reason: "done by hand"}},
			detection: 10 * time.Second, ticked: []string{"vault-sealed/unseal"}, run: "r1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewObserver(testRunbook(), t0)
			var ticked []string
			for i, r := range c.records {
				if id := o.Observe(r, at(10*(i+1))); id != "" {
					ticked = append(ticked, id)
				}
			}
			p := o.Progress()
			if p.Detection() != c.detection || p.Response() != c.response || p.Repair() != c.repair || p.Run != c.run {
				t.Errorf("detection %s response %s repair %s run %q; want %s %s %s %q",
					p.Detection(), p.Response(), p.Repair(), p.Run, c.detection, c.response, c.repair, c.run)
			}
			if strings.Join(ticked, ",") != strings.Join(c.ticked, ",") {
				t.Errorf("ticked %v, want %v", ticked, c.ticked)
			}
		})
	}
}

func TestBanner(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	s := Scenario{Name: "node-lost", Runbook: "node-lost", Look: "worker-2 stopped answering", Next: map[string]string{"off": "wait for it"}}
	cases := []struct {
		name string
		p    Progress
		want []string
	}{
		{"looking", Progress{Injected: t0}, []string{"DRILL node-lost: worker-2 stopped answering", "42s"}},
		{"running", Progress{Injected: t0, Run: "r1", Marks: []Mark{{Step: "cordon"}}}, []string{"step cordon done · 42s"}},
		{"what next", Progress{Injected: t0, Run: "r1", Marks: []Mark{{Step: "off"}}}, []string{"DRILL node-lost: 42s · wait for it"}},
		{"over", Progress{Injected: t0, Run: "r1", Detected: t0.Add(5 * time.Second), Responded: t0.Add(9 * time.Second),
			Repaired: t0.Add(20 * time.Second), Ended: t0.Add(21 * time.Second), Outcome: "done"},
			[]string{"DRILL node-lost: done: detection 5s, response 9s, repair 20s — q: the report"}},
		{"aborted", Progress{Injected: t0, Run: "r1", Ended: t0.Add(21 * time.Second), Outcome: "aborted: wrong node"},
			[]string{"over, aborted: wrong node — q: the report"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Banner(s, c.p, t0.Add(42*time.Second))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
		})
	}
}

func TestEveryDrillNamesARunbookAndHands(t *testing.T) {
	for _, s := range Scenarios() {
		if s.Name == "" || s.Runbook == "" || s.Look == "" || s.Inject == nil {
			t.Errorf("drill %q is incomplete", s.Name)
		}
		start := time.Time{}.Add(time.Second)
		for step := range s.Next {
			p := Progress{Injected: start, Run: "r", Marks: []Mark{{Step: step}}}
			if n := len([]rune(Banner(s, p, start.Add(10*time.Minute)))); n > 80 {
				t.Errorf("drill %s's banner after step %s is %d wide, more than the console's 80", s.Name, step, n)
			}
		}
		if n := len([]rune(Banner(s, Progress{Injected: start}, start.Add(10*time.Minute)))); n > 80 {
			t.Errorf("drill %s's banner is %d wide, more than the console's 80", s.Name, n)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "cold-start") {
		t.Errorf("an unknown drill: %v", err)
	}
	l := List(func(rb string) bool { return rb != "cold-start" })
	if !strings.Contains(l, "cold-start") || !strings.Contains(l, "not in this build yet") {
		t.Errorf("the list:\n%s", l)
	}
}
