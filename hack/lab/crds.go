package lab

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

//go:embed crds/*.yaml crds/era2/*.yaml
var crdFS embed.FS

// CRDs returns the project's own minimal test CRDs of era 1 embedded from hack/lab/crds, sorted by name.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) { return crdsIn("crds/*.yaml") }

// era2Shared are era 1's CRDs an era-2 cluster serves too (ArgoCD, cert-manager).
var era2Shared = []string{"applications.argoproj.io", "appprojects.argoproj.io", "certificates.cert-manager.io"}

// Era2CRDs returns the CRDs of an era-2 cluster: hack/lab/crds/era2 (Rook, Velero, CloudNativePG,
// vault-secrets-operator, MetalLB, Cilium LB-IPAM, ApplicationSets) and the era-1 CRDs both eras serve —
// never Mayastor's or Kuma's, so a cluster with them reads as era 2.
func Era2CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	out, err := crdsIn("crds/era2/*.yaml")
	if err != nil {
		return nil, err
	}
	one, err := CRDs()
	if err != nil {
		return nil, err
	}
	for _, crd := range one {
		for _, name := range era2Shared {
			if crd.Name == name {
				out = append(out, crd)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func crdsIn(pattern string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := fs.Glob(crdFS, pattern)
	if err != nil {
		return nil, err
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		b, err := crdFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(b, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, crd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// InstallCRDs creates (or updates) the embedded CRDs of era 1 and waits until each is Established.
func InstallCRDs(ctx context.Context, cfg *rest.Config) error {
	crds, err := CRDs()
	if err != nil {
		return err
	}
	return install(ctx, cfg, crds)
}

// InstallEra2CRDs does what InstallCRDs does with Era2CRDs: the API server then serves an era-2 cluster.
func InstallEra2CRDs(ctx context.Context, cfg *rest.Config) error {
	crds, err := Era2CRDs()
	if err != nil {
		return err
	}
	return install(ctx, cfg, crds)
}

func install(ctx context.Context, cfg *rest.Config, crds []*apiextensionsv1.CustomResourceDefinition) error {
	cs, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	api := cs.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range crds {
		_, err := api.Create(ctx, crd, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			var cur *apiextensionsv1.CustomResourceDefinition
			if cur, err = api.Get(ctx, crd.Name, metav1.GetOptions{}); err == nil {
				cur.Labels, cur.Spec = crd.Labels, crd.Spec
				_, err = api.Update(ctx, cur, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			return fmt.Errorf("lab: CRD %s: %w", crd.Name, err)
		}
	}
	for _, crd := range crds {
		if err := waitEstablished(ctx, cs, crd.Name); err != nil {
			return err
		}
	}
	return nil
}

func waitEstablished(ctx context.Context, cs apiextensionsclient.Interface, name string) error {
	for {
		cur, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			for _, c := range cur.Status.Conditions {
				if c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionFalse {
					return fmt.Errorf("lab: CRD %s names not accepted: %s", name, c.Message)
				}
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: CRD %s not Established: %w", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
