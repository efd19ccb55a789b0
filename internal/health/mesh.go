package health

import (
	"fmt"
	"time"

	"github.com/clubcedille/cedille-tui/internal/units"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The o.Unavailable keys the mesh layer depends on.
const (
	ResourceMeshes            = "meshes.kuma.io"
	ResourceDataplaneInsights = "dataplaneinsights.kuma.io"
	ResourceDeployments       = "deployments.apps"
)

// The Kuma install of the platform (PLATFORM.md §1.1: kuma-cp 2.4.3, standalone, default mesh
// created by the control plane).
const (
	kumaNamespace    = "kuma-system"
	kumaControlPlane = "kuma-control-plane"
	kumaDefaultMesh  = "default"
)

// Mesh builds the mesh layer: one finding per Kuma Mesh, per dataplane (from its DataplaneInsight) and
// one for the kuma-control-plane Deployment in kuma-system.
//
// Mapping:
//   - Mesh: mTLS on (spec.mtls.enabledBackend set) → OK; off → Degraded (MeshTrafficPermissions are only
//     enforced with mTLS). Mesh default absent → Down: the control plane creates it at start, so its
//     absence means Kuma is broken, and the platform's dataplanes all join it.
//   - Dataplane: the latest subscription of the insight's top-level status decides: open → OK, closed →
//     Down, none → Unknown (see Dataplane).
//   - Deployment kuma-control-plane: all desired replicas ready → OK; some → Degraded; none, or scaled
//     to 0 → Down; absent → Down when the Mesh CRD is served, Unknown when it is not (no Kuma on this
//     cluster, as in era 2).
//
// A kind in o.Unavailable adds an Unknown finding (CRD/… or API/…); whatever objects of it the source
// still holds are judged all the same, but its absence proves nothing (no "absent" verdict).
func Mesh(o Objects) LayerReport {
	fs := make([]Finding, 0, len(o.Meshes)+len(o.DataplaneInsights)+3)
	meshesErr := o.Missing(ResourceMeshes)
	if meshesErr != nil {
		fs = append(fs, MissingFinding("CRD/"+ResourceMeshes, meshesErr,
			"Kuma's Mesh CRD is absent or not readable: install Kuma or grant list on meshes.kuma.io"))
	}
	seenDefault := false
	for _, m := range o.Meshes {
		if m == nil {
			continue
		}
		fs = append(fs, KumaMesh(m))
		seenDefault = seenDefault || m.GetName() == kumaDefaultMesh
	}
	if !seenDefault && meshesErr == nil {
		fs = append(fs, Finding{Object: "Mesh/" + kumaDefaultMesh, Status: Down,
			Reason: "absent: dataplanes of the default mesh cannot join",
			Hint:   "kuma-cp creates it at start (KUMA_DEFAULTS_SKIP_MESH_CREATION=false): check the control plane, or apply a Mesh named default with mTLS"})
	}

	if err := o.Missing(ResourceDataplaneInsights); err != nil {
		fs = append(fs, MissingFinding("CRD/"+ResourceDataplaneInsights, err,
			"dataplane health comes from DataplaneInsights: install Kuma or grant list on dataplaneinsights.kuma.io"))
	}
	for _, di := range o.DataplaneInsights {
		if di == nil {
			continue
		}
		fs = append(fs, Dataplane(di, o.Now))
	}

	if err := o.Missing(ResourceDeployments); err != nil {
		fs = append(fs, MissingFinding("API/"+ResourceDeployments, err,
			"grant list on deployments in kuma-system to the console's user"))
	} else {
		fs = append(fs, kumaControlPlaneFinding(o.Deployments, meshesErr != nil))
	}
	return NewLayer(LayerMesh, fs)
}

// KumaMesh judges one kuma.io Mesh: mTLS must be on, since the platform's MeshTrafficPermissions are
// only enforced with mTLS.
func KumaMesh(m *unstructured.Unstructured) Finding {
	f := Finding{Object: ObjectName("Mesh", m)}
	if b := Str(m, "spec", "mtls", "enabledBackend"); b != "" {
		f.Status, f.Reason = OK, "mTLS on (backend "+b+")"
		return f
	}
	f.Status, f.Reason = Degraded, "mTLS off: plaintext traffic, MeshTrafficPermissions not enforced"
	f.Hint = "the platform relies on MeshTrafficPermissions, which Kuma only enforces with mTLS: set spec.mtls.enabledBackend (a builtin CA backend, e.g. ca-1)"
	return f
}

// Dataplane judges one dataplane from its DataplaneInsight (Kuma 2.4 keeps the insight's data in a
// top-level `status`, not in spec). The latest subscription (by connectTime, the last entry on a tie)
// decides: open (connectTime, no disconnectTime) is online, closed is Down; an older subscription left
// open by a control plane that died is stale and does not count. No subscription is Unknown.
func Dataplane(di *unstructured.Unstructured, now time.Time) Finding {
	f := Finding{Object: ObjectName("Dataplane", di)}
	v, _, _ := unstructured.NestedFieldNoCopy(di.Object, "status", "subscriptions")
	raw, _ := v.([]any) // read in place: nothing is modified, and Go-built objects may hold plain ints
	var last map[string]any
	var lastConnect time.Time
	for _, r := range raw {
		s, ok := r.(map[string]any)
		if !ok {
			continue
		}
		t, _ := time.Parse(time.RFC3339, text(s["connectTime"]))
		if last == nil || !t.Before(lastConnect) {
			last, lastConnect = s, t
		}
	}
	mesh := ""
	if m := Str(di, "mesh"); m != "" {
		mesh = " in mesh " + m
	}
	switch {
	case last == nil:
		f.Status, f.Reason = Unknown, "never connected to the control plane (DataplaneInsight has no subscription)"
		f.Hint = "check that the pod's kuma-sidecar container started and can reach kuma-control-plane.kuma-system:5678"
		return f
	case lastConnect.IsZero():
		f.Status, f.Reason = Unknown, "latest subscription has no connect time (DataplaneInsight)"
		f.Hint = "read it with kumactl inspect dataplanes, or in the Kuma GUI"
		return f.inDemo(demoElsewhere)
	}
	cp := text(last["controlPlaneInstanceId"])
	if cp == "" {
		cp = "the control plane"
	}
	if dc := text(last["disconnectTime"]); dc != "" {
		f.Status = Down
		f.Reason = "offline: disconnected from " + cp
		if t, err := time.Parse(time.RFC3339, dc); err == nil {
			f.Reason += " " + units.Duration(now.Sub(t)) + " ago"
		}
		f.Reason += mesh + " (DataplaneInsight)"
		f.Hint = "its pod is gone or its kuma-sidecar lost the control plane: check the pod, then kuma-control-plane in kuma-system"
		return f
	}
	f.Status = OK
	f.Reason = fmt.Sprintf("online: connected to %s for %s%s (DataplaneInsight)", cp, units.Duration(now.Sub(lastConnect)), mesh)
	return f
}

// kumaControlPlaneFinding judges the kuma-control-plane Deployment: ready replicas against desired.
// Absence is Down when Kuma's CRDs are served, Unknown when they are not (Kuma not installed, as on the
// era-2 clusters).
func kumaControlPlaneFinding(ds []*appsv1.Deployment, noKuma bool) Finding {
	f := Finding{Object: "Deployment/" + kumaNamespace + "/" + kumaControlPlane}
	var d *appsv1.Deployment
	for _, x := range ds {
		if x != nil && x.Namespace == kumaNamespace && x.Name == kumaControlPlane {
			d = x
			break
		}
	}
	if d == nil {
		if noKuma {
			f.Status, f.Reason = Unknown, "absent, and no Mesh CRD: Kuma does not seem installed"
			f.Hint = "expected on the era-1 cluster (ArgoCD App kuma); elsewhere ignore the mesh layer"
			return f
		}
		f.Status, f.Reason = Down, "absent: no control plane serves the dataplanes"
		f.Hint = "sync the ArgoCD App kuma (path system/kuma/kuma-resources)"
		return f
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	ready := d.Status.ReadyReplicas
	f.Reason = fmt.Sprintf("%d/%d ready", ready, want)
	switch {
	case want == 0:
		f.Status, f.Reason = Down, "scaled to 0 replicas"
		f.Hint = "scale it back up: without a control plane, dataplanes get no config or certificate updates"
	case ready == 0:
		f.Status = Down
		f.Hint = "read the kuma-control-plane pods' events and logs in kuma-system"
	case ready < want:
		f.Status = Degraded
		f.Hint = "read the not-ready kuma-control-plane pods' events and logs in kuma-system"
	default:
		f.Status = OK
	}
	return f
}
