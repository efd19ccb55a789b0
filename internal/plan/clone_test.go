package plan

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Value types the walkers below treat as opaque values: copying them copies them (time.Time's location
// pointer is shared by design, and never written).
var opaque = map[reflect.Type]bool{reflect.TypeFor[time.Time](): true}

// fill sets every field reachable from v (addressable) to a non-zero value derived from seed: slices get
// two elements, maps two entries, pointers a filled target. A kind it does not know fails the test, so
// a new field of a new kind is noticed here rather than shared by Clone unseen.
func fill(t *testing.T, path string, v reflect.Value, seed int) {
	t.Helper()
	if opaque[v.Type()] {
		v.Set(reflect.ValueOf(time.Unix(int64(seed)*3600, 0).UTC()).Convert(v.Type()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("v" + string(rune('a'+seed%26)))
	case reflect.Bool:
		v.SetBool(seed%2 == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed))
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s is unexported: Clone and this test cannot see it", path, f.Name)
			}
			fill(t, path+"."+f.Name, v.Field(i), seed+i+1)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, path+"[]", s.Index(i), seed+i+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			fill(t, path+"[]", v.Index(i), seed+i+1)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, path+"{key}", k, seed+i+1)
			fill(t, path+"{}", e, seed+i+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, path+"*", p.Elem(), seed+1)
		v.Set(p)
	default:
		t.Fatalf("%s is a %s: teach Clone and this test how to copy it", path, v.Kind())
	}
}

// mutate changes every value reachable from v through a slice, a map or a pointer; a value of v itself
// (reached without one) is left alone, since a copy of the struct already owns it.
func mutate(v reflect.Value, shared bool) {
	if opaque[v.Type()] {
		if shared {
			v.Set(reflect.ValueOf(time.Unix(1, 0).UTC()).Convert(v.Type()))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		if shared {
			v.SetString("mutated")
		}
	case reflect.Bool:
		if shared {
			v.SetBool(!v.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if shared {
			v.SetInt(-1)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if shared {
			v.SetUint(0)
		}
	case reflect.Float32, reflect.Float64:
		if shared {
			v.SetFloat(-1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			mutate(v.Field(i), shared)
		}
	case reflect.Array:
		for i := range v.Len() {
			mutate(v.Index(i), shared)
		}
	case reflect.Slice:
		for i := range v.Len() {
			mutate(v.Index(i), true)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			mutate(e, true)
			v.SetMapIndex(k, e)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			mutate(v.Elem(), true)
		}
	}
}

// firstDiff is the path of the first value that differs between a and b (of the same type).
func firstDiff(a, b reflect.Value, path string) string {
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return ""
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if d := firstDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); d != "" {
				return d
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range min(a.Len(), b.Len()) {
			if d := firstDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case reflect.Map:
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); bv.IsValid() {
				if d := firstDiff(a.MapIndex(k), bv, fmt.Sprintf("%s[%v]", path, k)); d != "" {
					return d
				}
			}
		}
	case reflect.Pointer:
		if !a.IsNil() && !b.IsNil() {
			return firstDiff(a.Elem(), b.Elem(), "(*"+path+")")
		}
	}
	return path
}

func filledPlan(t *testing.T) Plan {
	t.Helper()
	var p Plan
	fill(t, "Plan", reflect.ValueOf(&p).Elem(), 0)
	return p
}

// TestCloneSharesNothing fills every field of a plan (found by reflection, so a new field is covered
// without editing the test), clones it, changes everything the clone reaches through a reference, and
// checks the original did not move.
func TestCloneSharesNothing(t *testing.T) {
	orig, want := filledPlan(t), filledPlan(t)
	c := orig.Clone()
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Clone is not equal to the plan:\n got %+v\nwant %+v", c, want)
	}
	mutate(reflect.ValueOf(&c).Elem(), false)
	if reflect.DeepEqual(c, want) {
		t.Fatal("mutate changed nothing: the test checks nothing")
	}
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("changing the clone changed the plan at %s: Clone shares that reference",
			firstDiff(reflect.ValueOf(orig), reflect.ValueOf(want), "Plan"))
	}
}

// TestCloneKeepsUnsetLists: an unset list stays nil (its default applies), a set empty one stays set.
func TestCloneKeepsUnsetLists(t *testing.T) {
	if c := (Plan{}).Clone(); !reflect.DeepEqual(c, Plan{}) {
		t.Errorf("Clone of the zero plan = %+v", c)
	}
	p := Plan{GitOps: GitOps{Deferred: []string{}}, Machines: []Machine{{ID: "m"}}}
	c := p.Clone()
	if c.GitOps.Deferred == nil || c.Machines[0].PoolDisks != nil {
		t.Errorf("Clone changed which lists are set: %+v", c)
	}
}

// TestPlanTypeHasKnownKinds walks the Plan type itself: every type reachable from it is of a kind the
// walkers above copy and compare, so a field of a new kind (interface, func, chan) fails here by name.
func TestPlanTypeHasKnownKinds(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(path string, ty reflect.Type)
	walk = func(path string, ty reflect.Type) {
		if seen[ty] || opaque[ty] {
			return
		}
		seen[ty] = true
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if !f.IsExported() {
					t.Errorf("%s.%s is unexported", path, f.Name)
				}
				walk(path+"."+f.Name, f.Type)
			}
		case reflect.Slice, reflect.Array, reflect.Pointer:
			walk(path+"[]", ty.Elem())
		case reflect.Map:
			walk(path+"{key}", ty.Key())
			walk(path+"{}", ty.Elem())
		case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Uintptr, reflect.Complex64,
			reflect.Complex128:
			t.Errorf("%s is a %s: Clone cannot copy it deeply", path, ty.Kind())
		}
	}
	walk("Plan", reflect.TypeFor[Plan]())
	if len(seen) < 10 {
		t.Errorf("walked only %d types: the walk misses the plan's sections", len(seen))
	}
}
