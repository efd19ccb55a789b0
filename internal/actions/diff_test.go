package actions

import (
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after map[string]any
		want          []Change
	}{
		{"nothing", map[string]any{"a": 1.0}, map[string]any{"a": 1.0}, nil},
		{"added leaf", map[string]any{"spec": map[string]any{}}, map[string]any{"spec": map[string]any{"unschedulable": true}},
			[]Change{{"spec.unschedulable", Unset, "true"}}},
		{"removed leaf", map[string]any{"spec": map[string]any{"unschedulable": true}}, map[string]any{"spec": map[string]any{}},
			[]Change{{"spec.unschedulable", "true", Unset}}},
		{"write noise ignored", map[string]any{"metadata": map[string]any{"resourceVersion": "1", "generation": 1.0, "managedFields": []any{1}}},
			map[string]any{"metadata": map[string]any{"resourceVersion": "2", "generation": 2.0, "managedFields": []any{2}}}, nil},
		{"a new map shown whole, sorted", map[string]any{"z": "same"},
			map[string]any{"z": "same", "operation": map[string]any{"sync": map[string]any{}}, "b": []any{"x"}},
			[]Change{{"b", Unset, `["x"]`}, {"operation", Unset, `{"sync":{}}`}}},
		{"annotation with dots", map[string]any{"metadata": map[string]any{"annotations": map[string]any{"k": "v"}}},
			map[string]any{"metadata": map[string]any{"annotations": map[string]any{"k": "v", "argocd.argoproj.io/refresh": "normal"}}},
			[]Change{{"metadata.annotations.argocd.argoproj.io/refresh", Unset, `"normal"`}}},
	} {
		if got := diff(tc.before, tc.after); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestPreviewString(t *testing.T) {
	p := Preview{Action: "cordon", Target: Target{Kind: KindNode, Name: "w"}, Blast: "node/w: no new pod",
		Changes: []Change{{"spec.unschedulable", Unset, "true"}}, Notes: []string{"taint now: a=b:NoSchedule"},
		Expect: Precondition{UID: "u", ResourceVersion: "9"}}
	want := "cordon node/w — node/w: no new pod\n  spec.unschedulable: (unset) → true\n  taint now: a=b:NoSchedule\n  as seen: uid u, resourceVersion 9\n"
	if got := p.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	p.Changes = nil
	if !strings.Contains(p.String(), "nothing to change") {
		t.Error("an empty preview must say there is nothing to change")
	}
}
