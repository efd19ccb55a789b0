package actions

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// ignored tells whether path is a field every write changes by itself: not what an action changes.
func ignored(path string) bool {
	switch path {
	case "metadata.resourceVersion", "metadata.managedFields", "metadata.generation":
		return true
	}
	return false
}

// diff lists the fields that differ between before and after (objects as unstructured maps), by
// dotted path, sorted; maps are walked into, any other value (a list too) compared whole.
func diff(before, after map[string]any) []Change {
	var out []Change
	walk("", before, after, &out)
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func walk(path string, before, after map[string]any, out *[]Change) {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for k := range keys {
		p := k
		if path != "" {
			p = path + "." + k
		}
		if ignored(p) {
			continue
		}
		b, inB := before[k]
		a, inA := after[k]
		bm, bIsMap := b.(map[string]any)
		am, aIsMap := a.(map[string]any)
		switch {
		case bIsMap && aIsMap:
			walk(p, bm, am, out)
		case inB && inA && reflect.DeepEqual(b, a):
		default:
			*out = append(*out, Change{Path: p, Before: show(b, inB), After: show(a, inA)})
		}
	}
}

// show is a value as JSON, or Unset when absent.
func show(v any, present bool) string {
	if !present {
		return Unset
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}
