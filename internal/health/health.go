// Package health is the cross-stack health model: statuses, findings and the pure rules that turn
// observed objects into findings. Nothing here does I/O; sources live in package watch.
package health

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Status is the health of an object, a layer or the whole platform.
// The order of the constants is the order of severity used by Worst.
type Status int

const (
	OK Status = iota
	Unknown
	Degraded
	Down
)

var statusNames = [...]string{OK: "OK", Unknown: "Unknown", Degraded: "Degraded", Down: "Down"}

func (s Status) String() string {
	if s < OK || s > Down {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// Symbol is the one-cell sign shown beside the colour, so a monochrome console reads the same.
func (s Status) Symbol() string {
	switch s {
	case OK:
		return "✔"
	case Degraded:
		return "▲"
	case Down:
		return "✖"
	default:
		return "?"
	}
}

// ParseStatus is the inverse of String.
func ParseStatus(s string) (Status, error) {
	for i, n := range statusNames {
		if strings.EqualFold(n, s) {
			return Status(i), nil
		}
	}
	return Unknown, fmt.Errorf("unknown status %q (want OK, Degraded, Down or Unknown)", s)
}

// MarshalText makes statuses read as their names in JSON and YAML.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts the names MarshalText writes.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Worst returns the most severe of the statuses (OK for none).
func Worst(ss ...Status) Status {
	w := OK
	for _, s := range ss {
		if s > w {
			w = s
		}
	}
	return w
}

// ExitCode maps a status to the exit code of `cedille-tui status`: 0 OK, 1 Degraded or Unknown, 2 Down.
func (s Status) ExitCode() int {
	switch s {
	case OK:
		return 0
	case Down:
		return 2
	default:
		return 1
	}
}

// Layer names one slice of the platform.
type Layer string

const (
	LayerCluster      Layer = "cluster"
	LayerStorage      Layer = "storage"
	LayerMesh         Layer = "mesh"
	LayerGitOps       Layer = "gitops"
	LayerSecrets      Layer = "secrets"
	LayerVClusters    Layer = "vclusters"
	LayerCertificates Layer = "certificates"
	LayerIngress      Layer = "ingress"
	LayerWorkloads    Layer = "workloads"
	// Era 2's layers (a cluster shows those whose components it serves, EraOf).
	LayerBackups   Layer = "backups"
	LayerDatabases Layer = "databases"
	LayerNetwork   Layer = "network"
)

// Finding is the verdict on one object.
type Finding struct {
	// Object is "Kind/name" (or "Kind/namespace/name").
	Object string `json:"object"`
	Status Status `json:"status"`
	// Reason says what is wrong (or right) in one line.
	Reason string `json:"reason"`
	// Hint says what to do next, or which runbook applies; empty when nothing is to be done.
	Hint string `json:"hint,omitempty"`
	// demo is what works in the embedded demo instead, when Hint names a tool that cannot reach it or
	// the problem is one of the demo's faults (demo.go); ForDemo shows it.
	demo string
}

// LayerReport is the verdict on one layer: its findings, worst first.
type LayerReport struct {
	Name     Layer     `json:"name"`
	Status   Status    `json:"status"`
	Findings []Finding `json:"findings"`
}

// NewLayer builds a layer report whose status is the worst of its findings, findings sorted worst first
// then by object. A layer with no findings is Unknown: nothing seen is not the same as healthy.
func NewLayer(name Layer, findings []Finding) LayerReport {
	fs := append([]Finding(nil), findings...)
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Status != fs[j].Status {
			return fs[i].Status > fs[j].Status
		}
		return fs[i].Object < fs[j].Object
	})
	st := Unknown
	if len(fs) > 0 {
		st = OK
		for _, f := range fs {
			st = Worst(st, f.Status)
		}
	}
	if fs == nil {
		fs = []Finding{}
	}
	return LayerReport{Name: name, Status: st, Findings: fs}
}

// UnavailableLayer is the report for a layer whose source could not be read: Down when the platform is
// unreachable, Unknown when the data is forbidden, absent or not configured.
func UnavailableLayer(name Layer, object string, status Status, why, hint string) LayerReport {
	return LayerReport{Name: name, Status: status, Findings: []Finding{{
		Object: object, Status: status, Reason: why, Hint: hint,
	}}}
}

// Counts tallies a layer's findings by status.
func (l LayerReport) Counts() map[Status]int {
	c := map[Status]int{}
	for _, f := range l.Findings {
		c[f.Status]++
	}
	return c
}

// Worst is the layer's most severe finding (the zero Finding when there is none).
func (l LayerReport) Worst() Finding {
	if len(l.Findings) == 0 {
		return Finding{}
	}
	return l.Findings[0]
}

// Report is the verdict on the whole platform.
type Report struct {
	Overall Status        `json:"overall"`
	Layers  []LayerReport `json:"layers"`
}

// NewReport combines layer reports; the overall status is the worst layer's.
func NewReport(layers ...LayerReport) Report {
	r := Report{Overall: OK, Layers: append([]LayerReport{}, layers...)}
	if len(layers) == 0 {
		r.Overall = Unknown
	}
	for _, l := range layers {
		r.Overall = Worst(r.Overall, l.Status)
	}
	return r
}

// Layer returns the named layer's report, if present.
func (r Report) Layer(name Layer) (LayerReport, bool) {
	for _, l := range r.Layers {
		if l.Name == name {
			return l, true
		}
	}
	return LayerReport{}, false
}

// JSON renders the report in the documented shape of `status -o json`.
func (r Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }
