package console

import (
	"cmp"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/components/table"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/watch"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// OpenLayer builds a layer's page, sized and filled, ready to push.
func OpenLayer(t theme.Theme, l health.Layer, s watch.Snapshot, w, h int) common.Page {
	return sized(NewLayerPage(t, l), s, w, h)
}

// LayerPage lists one layer's findings, live; enter opens a finding.
type LayerPage struct {
	tablePage
	layer health.Layer
}

// NewLayerPage builds the page of a layer.
func NewLayerPage(t theme.Theme, l health.Layer) *LayerPage {
	tb := table.New(t, layerColumns(0, 0)...)
	tb.Empty = "This layer has no finding yet."
	return &LayerPage{tablePage: newTablePage(t, tb, "details"), layer: l}
}

func (p *LayerPage) Title() string { return string(p.layer) }

// Target is the selected finding's object.
func (p *LayerPage) Target() (string, bool) { return p.selected() }

// SetSize lays the columns out again: the objects' room depends on the width.
func (p *LayerPage) SetSize(w, h int) {
	p.tablePage.SetSize(w, h)
	p.layout()
}

// layout gives the columns the room the layer's objects need at the page's width.
func (p *LayerPage) layout() {
	l, _ := p.snap.Report.Layer(p.layer)
	widest := 0
	for _, f := range l.Findings {
		widest = max(widest, ansi.StringWidth(f.Object))
	}
	p.table.SetColumns(layerColumns(widest, p.w)...)
}

func (p *LayerPage) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case common.SnapshotMsg:
		p.snap = msg.Snapshot
		l, _ := p.snap.Report.Layer(p.layer)
		rows := make([]table.Row, 0, len(l.Findings))
		for _, f := range l.Findings {
			rows = append(rows, table.Row{Key: f.Object,
				Cells: []string{f.Status.Symbol(), f.Status.String(), f.Object, f.Reason},
				Tones: []theme.Tone{ToneOf(f.Status), ToneOf(f.Status)},
				Sort:  []string{string(rune('9' - int(f.Status)))},
			})
		}
		p.layout()
		p.table.SetRows(rows)
		return p, nil
	}
	return p, p.update(msg, func(r table.Row) common.Page {
		return OpenFinding(p.theme, p.layer, r.Key, p.snap, p.w, p.h)
	})
}

// Widths of a layer table's columns.
const (
	minObjectWidth = 12
	minReasonWidth = 16
)

// layerColumns lays a layer's table out at width w for objects up to objectWidth wide. OBJECT gets the
// room its longest object needs, as far as the width allows beside REASON's minimum (the STATUS word
// goes first; the symbol stays); REASON gets the rest. An object still too long is cut in its middle,
// keeping its kind and the end of its name — where the objects of a layer differ.
func layerColumns(objectWidth, w int) []table.Column {
	room := w - 2 - (minReasonWidth + 1) - 1
	object := max(min(max(objectWidth, len("OBJECT")), room), minObjectWidth)
	return []table.Column{
		{Title: " ", Width: 1},
		{Title: "STATUS", Width: 9, Drop: 3},
		{Title: "OBJECT", Width: object, Middle: true},
		{Title: "REASON", Width: minReasonWidth, Flex: 1},
	}
}

func (p *LayerPage) View() string {
	l, _ := p.snap.Report.Layer(p.layer)
	return tableWithStatus(p.theme, p.table, Status(p.theme, l.Status)+"  "+counts(l), p.w, p.h)
}

// OpenFinding opens what fits a finding: a node's full detail, or the finding with its object's YAML.
func OpenFinding(t theme.Theme, l health.Layer, object string, s watch.Snapshot, w, h int) common.Page {
	if name, ok := strings.CutPrefix(object, "Node/"); ok {
		return sized(NewNodeDetail(t, name), s, w, h)
	}
	return sized(NewFindingDetail(t, l, object), s, w, h)
}

// NewFindingDetail shows one finding live — status, reason, what to do, the object's recent Warning
// events — and the object's YAML.
func NewFindingDetail(t theme.Theme, l health.Layer, object string) *Detail {
	d := newDetail(t, object, func(t theme.Theme, s watch.Snapshot, w int) []string {
		return findingLines(t, l, object, s, w)
	})
	d.object = object
	return d
}

// findingLines is a finding's detail at width w: its reason and hint wrapped to it, the YAML as it is.
func findingLines(t theme.Theme, layer health.Layer, object string, s watch.Snapshot, w int) []string {
	l, _ := s.Report.Layer(layer)
	var f *health.Finding
	for i := range l.Findings {
		if l.Findings[i].Object == object {
			f = &l.Findings[i]
		}
	}
	if f == nil {
		return []string{t.Subtle.Render(object + " is no longer part of the " + string(layer) + " layer (gone, or healthy and removed)."),
			t.Subtle.Render("esc goes back.")}
	}
	lines := append([]string{t.Title.Render(common.Inert(f.Object)) + "  " + Status(t, f.Status), ""},
		common.Labelled(t.Label.Render("Why"), common.Inert(f.Reason), fieldLabel, w)...)
	if f.Hint != "" {
		lines = append(lines, common.Labelled(t.Label.Render("Do"), f.Hint, fieldLabel, w)...)
	}
	if refs := EventRefs(f.Object); len(refs) > 0 {
		lines = append(lines, eventsSection(t, s, refs...)...)
	}
	var shown any
	title := "YAML"
	if obj := FindObject(s.Objects, f.Object); obj != nil {
		shown = obj
	} else if p := FindPod(s.Objects, f.Object); p != nil {
		shown, title = p, "Pod (the summary the console keeps)"
	}
	if shown != nil {
		if b, err := yaml.Marshal(shown); err == nil {
			lines = append(lines, "", t.Label.Render(title))
			for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
				lines = append(lines, "  "+line)
			}
		}
	}
	return lines
}

// FindPod finds the pod a finding names ("Pod/namespace/name") among the snapshot's pod summaries; nil
// when it is not one or is gone.
func FindPod(o health.Objects, object string) *health.Pod {
	rest, ok := strings.CutPrefix(object, "Pod/")
	if !ok {
		return nil
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		return nil
	}
	i, found := sort.Find(len(o.Pods), func(i int) int {
		return cmp.Or(strings.Compare(ns, o.Pods[i].Namespace), strings.Compare(name, o.Pods[i].Name))
	})
	if found {
		return o.Pods[i]
	}
	for _, p := range o.Pods { // not sorted (a snapshot built by hand)
		if p.Namespace == ns && p.Name == name {
			return p
		}
	}
	return nil
}

// fieldLabel is the width of a finding's field labels (Why, Do).
const fieldLabel = 6

// FindObject finds the Kubernetes object a finding names ("Kind/ns/name" or "Kind/name") among the
// snapshot's objects; nil when it is not one (a Vault server, an API) or is gone.
func FindObject(o health.Objects, object string) runtime.Object {
	parts := strings.Split(object, "/")
	if len(parts) < 2 {
		return nil
	}
	kind, ns, name := parts[0], "", parts[len(parts)-1]
	if len(parts) == 3 {
		ns = parts[1]
	}
	match := func(gotNS, gotName string) bool { return gotNS == ns && gotName == name }
	for _, list := range [][]*unstructured.Unstructured{o.DiskPools, o.Meshes, o.DataplaneInsights, o.Applications,
		o.Certificates, o.HTTPProxies, o.GatewayClasses, o.Gateways, o.HTTPRoutes, o.VaultConfigCRs} {
		for _, u := range list {
			k := u.GetKind()
			if k == "DataplaneInsight" {
				k = "Dataplane"
			}
			if k == kind && match(u.GetNamespace(), u.GetName()) {
				return u
			}
		}
	}
	switch kind {
	case "PVC", "PersistentVolumeClaim":
		for _, c := range o.PVCs {
			if match(c.Namespace, c.Name) {
				return c
			}
		}
	case "StorageClass":
		for _, c := range o.StorageClasses {
			if match(c.Namespace, c.Name) {
				return c
			}
		}
	case "Deployment":
		for _, d := range o.Deployments {
			if match(d.Namespace, d.Name) {
				return d
			}
		}
	case "DaemonSet":
		for _, d := range o.DaemonSets {
			if match(d.Namespace, d.Name) {
				return d
			}
		}
	case "Pod":
		for _, p := range o.ControlPlanePods {
			if match(p.Namespace, p.Name) {
				return p
			}
		}
	case "StatefulSet", "VCluster":
		for _, s := range o.StatefulSets {
			if match(s.Namespace, s.Name) {
				return s
			}
		}
	}
	return nil
}
