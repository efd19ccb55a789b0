package helmops

import (
	"reflect"
	"testing"
)

func TestObjects(t *testing.T) {
	manifest := `---
# Source: cilium/templates/agent.yaml
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: cilium}
---
# Source: cilium/templates/clusterrole.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cilium}
---
# Source: cilium/templates/config.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: cilium-config, namespace: other}
---
# Source: cilium/templates/empty.yaml
# nothing rendered
`
	got := Objects(manifest, "kube-system", func(kind string) bool { return kind != "ClusterRole" })
	want := []Object{{"DaemonSet", "kube-system", "cilium"}, {"ClusterRole", "", "cilium"}, {"ConfigMap", "other", "cilium-config"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if s := got[0].String() + ", " + got[1].String(); s != "DaemonSet kube-system/cilium, ClusterRole cilium" {
		t.Errorf("String: %s", s)
	}
}
