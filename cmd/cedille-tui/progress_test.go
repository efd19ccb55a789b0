package main

import (
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
)

// TestProgressPrinterSaysTheSummary: after a step that ran, the printer says its summary's lines that the
// step's messages did not already say, once; a rerun's messages are judged afresh.
func TestProgressPrinterSaysTheSummary(t *testing.T) {
	res := steps.StorageResult(plan.New(), 6, 3<<40)
	run := func(print func(steps.Update), messages ...string) {
		print(steps.Update{Step: steps.Storage, State: steps.Running})
		for _, m := range messages {
			print(steps.Update{Step: steps.Storage, State: steps.Running, Event: &steps.Event{Message: m}})
		}
		print(steps.Update{Step: steps.Storage, State: steps.Done, Result: &res})
	}
	for _, c := range []struct {
		name     string
		messages [][]string // each run's
		want     string
	}{
		{"nothing said", [][]string{nil},
			"[storage] running\n[storage] done\n[storage] 6 pools Online: 3.0 TiB\n" +
				"[storage] StorageClass mayastor (2 replicas per volume), the cluster's default\n"},
		{"the pools said", [][]string{{"6 pools Online: 3.0 TiB"}},
			"[storage] running\n[storage] 6 pools Online: 3.0 TiB\n[storage] done\n" +
				"[storage] StorageClass mayastor (2 replicas per volume), the cluster's default\n"},
		{"said by an earlier run only", [][]string{{"6 pools Online: 3.0 TiB"}, nil},
			"[storage] running\n[storage] 6 pools Online: 3.0 TiB\n[storage] done\n" +
				"[storage] StorageClass mayastor (2 replicas per volume), the cluster's default\n" +
				"[storage] running\n[storage] done\n[storage] 6 pools Online: 3.0 TiB\n" +
				"[storage] StorageClass mayastor (2 replicas per volume), the cluster's default\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			printer := progressPrinter(&out)
			for _, ms := range c.messages {
				run(printer, ms...)
			}
			if out.String() != c.want {
				t.Errorf("printed:\n%s\nwant:\n%s", out.String(), c.want)
			}
		})
	}
}
