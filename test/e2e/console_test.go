//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestNodePageLive: the console's node page, fed by a real informer on the lab's kube-apiserver, shows
// a node as soon as it is created, then Ready once kwok says so, and drops it when it is deleted.
func TestNodePageLive(t *testing.T) {
	drv := kubeConsole(t)
	for _, k := range []string{":", "n", "o", "d", "e", "s", "enter"} {
		drv.Key(k)
	}
	drv.Shows("Overview › Nodes")
	c := kubeClient(t)
	createNode(t, c, "e2e-live-node")
	drv.Shows("e2e-live-node")
	drv.Until("the node Ready (set by kwok)", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "e2e-live-node") && strings.Contains(l, "Ready") && !strings.Contains(l, "NotReady") {
				return true
			}
		}
		return false
	})
	if err := c.CoreV1().Nodes().Delete(context.Background(), "e2e-live-node", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	drv.Until("the deleted node gone", func(s string) bool { return !strings.Contains(s, "e2e-live-node") })
	if !strings.Contains(drv.Screen(), "lab") {
		t.Fatalf("header lacks the platform name:\n%s", drv.Screen())
	}
	if !drv.Key("q") {
		t.Fatal("q must quit")
	}
}
