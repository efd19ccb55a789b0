package deploy

import (
	"os"
	"strings"
	"testing"

	"github.com/clubcedille/cedille-tui/internal/fleet"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// TestFleetBinding: the binding each fleet cluster applies gives the group the fleet's kubeconfigs
// name exactly the console's read role, which reads no Secret's data; on the hub, argocd's Secrets only.
func TestFleetBinding(t *testing.T) {
	b, err := os.ReadFile("fleet/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents, want the ClusterRoleBinding and the hub's RoleBinding", len(docs))
	}
	var crb rbacv1.ClusterRoleBinding
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &crb); err != nil {
		t.Fatal(err)
	}
	var rb rbacv1.RoleBinding
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &rb); err != nil {
		t.Fatal(err)
	}
	if rb.Namespace != fleet.ArgoNamespace || rb.RoleRef.Name != "cedille-console-secret-names" || len(rb.Subjects) != 1 ||
		rb.Subjects[0].Name != fleet.DefaultGroup {
		t.Errorf("the hub's binding: %+v", rb)
	}
	if crb.RoleRef.Kind != "ClusterRole" || crb.RoleRef.Name != "cedille-console-read" {
		t.Errorf("binds %s %s, want the read role", crb.RoleRef.Kind, crb.RoleRef.Name)
	}
	if len(crb.Subjects) != 1 || crb.Subjects[0].Kind != rbacv1.GroupKind || crb.Subjects[0].Name != fleet.DefaultGroup {
		t.Errorf("subjects %+v, want the group %s only", crb.Subjects, fleet.DefaultGroup)
	}
	var role rbacv1.ClusterRole
	rr, err := os.ReadFile("clusterrole-read.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(rr, &role); err != nil {
		t.Fatal(err)
	}
	for _, r := range role.Rules {
		for _, res := range r.Resources {
			if res == "secrets" {
				t.Errorf("the read role reads secrets (%v): the fleet group would read their data", r.Verbs)
			}
		}
	}
}
