package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestObjectTarget(t *testing.T) {
	for _, tc := range []struct {
		kind, want, wantErr string
	}{
		{"ConfigMap", "object/shop/configmap/settings", ""},
		{"configmap", "object/shop/configmap/settings", ""},
		{"PersistentVolumeClaim", "object/shop/persistentvolumeclaim/settings", ""},
		{"Secret", "", "remove-finalizers does not act on a Secret (only ConfigMap, PersistentVolumeClaim)"},
	} {
		got, err := ObjectTarget(tc.kind, "shop", "settings")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ObjectTarget(%s): %v, want %q", tc.kind, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("ObjectTarget(%s) = %s, %v; want %s", tc.kind, got, err, tc.want)
		}
		f, name, err := splitObject(got)
		if err != nil || !strings.EqualFold(f.kind, tc.kind) || name != "settings" {
			t.Errorf("splitObject(%s) = %s %s %v", got, f.kind, name, err)
		}
	}
	for _, bad := range []Target{
		{Kind: KindObject, Namespace: "shop", Name: "settings"},
		{Kind: KindObject, Namespace: "shop", Name: "configmap/"},
		{Kind: KindObject, Namespace: "shop", Name: "configmap/a/b"},
		{Kind: KindObject, Namespace: "shop", Name: "secret/db"},
		{Kind: KindObject, Name: "configmap/settings"},
		{Kind: KindPod, Namespace: "shop", Name: "configmap/settings"},
	} {
		if _, _, err := splitObject(bad); err == nil {
			t.Errorf("splitObject(%+v) accepted", bad)
		}
	}
}

// pod is a pod in namespace shop, in phase, with spec.
func pod(name string, phase corev1.PodPhase, spec corev1.PodSpec) corev1.Pod {
	return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Spec: spec, Status: corev1.PodStatus{Phase: phase}}
}

func TestPodConsumers(t *testing.T) {
	cm, _ := lookupFinalizable("ConfigMap")
	pvc, _ := lookupFinalizable("PersistentVolumeClaim")
	cmVolume := corev1.PodSpec{Volumes: []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}}}
	projected := corev1.PodSpec{Volumes: []corev1.Volume{{Name: "all", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}}}}}}
	envValue := corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init", Env: []corev1.EnvVar{{Name: "MODE", ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}, Key: "mode"}}}}}}}
	envFrom := corev1.PodSpec{EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug",
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}}}}}
	other := corev1.PodSpec{Volumes: []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "other"}}}}}}
	claim := corev1.PodSpec{Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "settings"}}}}}
	ephemeral := corev1.PodSpec{Volumes: []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}}}}
	deleting := pod("web", corev1.PodRunning, cmVolume)
	deleting.DeletionTimestamp = &metav1.Time{}
	deleting.Spec.NodeName = "worker-2"
	for _, tc := range []struct {
		name       string
		kind       finalizable
		pods       []corev1.Pod
		nsDeleting bool
		want       string // consumers joined by "; "
	}{
		{"a volume", cm, []corev1.Pod{pod("web", corev1.PodRunning, cmVolume)}, false, "pod shop/web (Running) mounts it as volume cfg"},
		{"a projected volume", cm, []corev1.Pod{pod("web", corev1.PodRunning, projected)}, false, "pod shop/web (Running) mounts it in projected volume all"},
		{"an init container's env, pending", cm, []corev1.Pod{pod("web", "", envValue)}, false, "pod shop/web (Pending) reads it in env MODE"},
		{"an ephemeral container's envFrom", cm, []corev1.Pod{pod("web", corev1.PodRunning, envFrom)}, false, "pod shop/web (Running) reads it as envFrom"},
		{"being deleted still uses it", cm, []corev1.Pod{deleting}, false, "pod shop/web (Running, being deleted, on worker-2) mounts it as volume cfg"},
		{"ended pods use nothing", cm, []corev1.Pod{pod("a", corev1.PodSucceeded, cmVolume), pod("b", corev1.PodFailed, cmVolume)}, false, ""},
		{"another ConfigMap", cm, []corev1.Pod{pod("web", corev1.PodRunning, other)}, false, ""},
		{"another ConfigMap, namespace being deleted", cm, []corev1.Pod{pod("web", corev1.PodRunning, other), pod("done", corev1.PodSucceeded, other)}, true,
			"pod shop/web (Running) is left in namespace shop, being deleted"},
		{"a claim", pvc, []corev1.Pod{pod("db", corev1.PodRunning, claim), pod("web", corev1.PodRunning, cmVolume)}, false, "pod shop/db (Running) mounts it as volume data"},
		{"a generic ephemeral volume's claim", pvc, []corev1.Pod{pod("settings", corev1.PodRunning, corev1.PodSpec{}), pod("web", corev1.PodRunning, ephemeral)}, false, ""},
	} {
		got := strings.Join(podConsumers(tc.kind, "settings", tc.pods, tc.nsDeleting), "; ")
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// A generic ephemeral volume's claim is named <pod>-<volume>.
	if got := podUsesClaim(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: ephemeral}, "web-scratch"); got != "owns it as ephemeral volume scratch" {
		t.Errorf("ephemeral claim: %q", got)
	}
	if got := strings.Join(namespaceConsumers([]corev1.Pod{pod("a", corev1.PodRunning, other), pod("b", corev1.PodSucceeded, other)}), "; "); got != "pod shop/a (Running)" {
		t.Errorf("namespaceConsumers: %q", got)
	}
}

// held is a ConfigMap (or a claim) shop/settings being deleted, held by finalizers.
func held(kind string, finalizers []string, deleting bool, extra map[string]any) *unstructured.Unstructured {
	md := map[string]any{"name": "settings", "namespace": "shop", "uid": "uid-settings", "resourceVersion": "7"}
	if len(finalizers) > 0 {
		var fs []any
		for _, f := range finalizers {
			fs = append(fs, f)
		}
		md["finalizers"] = fs
	}
	if deleting {
		md["deletionTimestamp"] = "2026-12-07T03:12:00Z"
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind, "metadata": md}}
	for k, v := range extra {
		u.Object[k] = v
	}
	return u
}

// finalizerClients are fake clients holding obj, namespace shop (being deleted when nsDeleting) and the
// other objects given.
func finalizerClients(obj *unstructured.Unstructured, nsDeleting bool, objs ...runtime.Object) (Client, *dynamicfake.FakeDynamicClient) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	if nsDeleting {
		ns.DeletionTimestamp = &metav1.Time{}
	}
	kc := fake.NewClientset(append(objs, ns)...)
	dc := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		corev1.SchemeGroupVersion.WithResource("configmaps"):             "ConfigMapList",
		corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"): "PersistentVolumeClaimList",
	}, obj)
	return Client{Kube: kc, Dynamic: dc, User: "cedille:olive"}, dc
}

func patches(dc *dynamicfake.FakeDynamicClient) []string {
	var out []string
	for _, a := range dc.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			out = append(out, string(p.GetPatch()))
		}
	}
	return out
}

func TestRemoveFinalizers(t *testing.T) {
	cm, _ := ObjectTarget("ConfigMap", "shop", "settings")
	claim, _ := ObjectTarget("PersistentVolumeClaim", "shop", "settings")
	reader := pod("web", corev1.PodRunning, corev1.PodSpec{Volumes: []corev1.Volume{{Name: "cfg",
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}}}})
	pv := "pv-1"
	attached := &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-1"},
		Spec:   storagev1.VolumeAttachmentSpec{NodeName: "worker-2", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
		Status: storagev1.VolumeAttachmentStatus{Attached: true}}
	for _, tc := range []struct {
		name       string
		target     Target
		obj        *unstructured.Unstructured
		nsDeleting bool
		others     []runtime.Object
		wantErr    string
		consumer   bool
	}{
		{name: "released", target: cm, obj: held("ConfigMap", []string{"example.com/a", "example.com/b"}, true, nil)},
		{name: "a pod of another namespace does not count", target: cm, obj: held("ConfigMap", []string{"example.com/a"}, true, nil),
			others: []runtime.Object{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "web"}, Spec: reader.Spec}}},
		{name: "not being deleted", target: cm, obj: held("ConfigMap", []string{"example.com/a"}, false, nil),
			wantErr: "it is not being deleted: its finalizers protect it"},
		{name: "no finalizer", target: cm, obj: held("ConfigMap", nil, true, nil), wantErr: "has no finalizer left"},
		{name: "a pod reads it", target: cm, obj: held("ConfigMap", []string{"example.com/a"}, true, nil), others: []runtime.Object{&reader},
			wantErr: "its finalizers stay while a live consumer uses it — pod shop/web (Running) mounts it as volume cfg", consumer: true},
		{name: "any pod left in a namespace being deleted", target: cm, obj: held("ConfigMap", []string{"example.com/a"}, true, nil), nsDeleting: true,
			others:  []runtime.Object{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cron"}}},
			wantErr: "pod shop/cron (Pending) is left in namespace shop, being deleted", consumer: true},
		{name: "a claim whose volume is attached", target: claim,
			obj:    held("PersistentVolumeClaim", []string{"kubernetes.io/pvc-protection"}, true, map[string]any{"spec": map[string]any{"volumeName": "pv-1"}}),
			others: []runtime.Object{attached}, wantErr: "its volume pv-1 is attached to node worker-2 (VolumeAttachment csi-1)", consumer: true},
		{name: "a claim whose volume is detached", target: claim,
			obj:    held("PersistentVolumeClaim", []string{"kubernetes.io/pvc-protection"}, true, map[string]any{"spec": map[string]any{"volumeName": "pv-2"}}),
			others: []runtime.Object{attached}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c, dc := finalizerClients(tc.obj, tc.nsDeleting, tc.others...)
			p, err := previewRemoveFinalizers(ctx, c, tc.target)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.Is(err, ErrLiveConsumer) != tc.consumer {
					t.Fatalf("preview: %v; want %q (a live consumer: %v)", err, tc.wantErr, tc.consumer)
				}
				// The write checks again, whatever the preview said: refused the same, nothing sent.
				err = RemoveFinalizers().Run(ctx, c, tc.target, Precondition{UID: "uid-settings", ResourceVersion: "7"})
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("run: %v; want %q", err, tc.wantErr)
				}
				if got := patches(dc); len(got) != 0 {
					t.Fatalf("refused, yet patched: %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fs := tc.obj.GetFinalizers()
			if len(p.Changes) != 1 || p.Changes[0].Path != "metadata.finalizers" || p.Changes[0].After != Unset ||
				p.Changes[0].Before != `["`+strings.Join(fs, `","`)+`"]` {
				t.Fatalf("changes %+v: only the finalizers %v go", p.Changes, fs)
			}
			if !strings.Contains(strings.Join(p.Notes, "\n"), "finalizers that go: "+strings.Join(fs, ", ")) {
				t.Errorf("notes %q", p.Notes)
			}
			if p.Expect != (Precondition{UID: "uid-settings", ResourceVersion: "7"}) {
				t.Errorf("expect %+v", p.Expect)
			}
			c, dc = finalizerClients(tc.obj, tc.nsDeleting, tc.others...)
			if err := RemoveFinalizers().Run(ctx, c, tc.target, p.Expect); err != nil {
				t.Fatal(err)
			}
			if got := patches(dc); len(got) != 1 || got[0] != `{"metadata":{"finalizers":null,"resourceVersion":"7","uid":"uid-settings"}}` {
				t.Fatalf("patches %v", got)
			}
		})
	}
}
