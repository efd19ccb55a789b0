package platform

import "k8s.io/apimachinery/pkg/runtime/schema"

// Kind is a custom resource the console reads: where it is served and what its list is called.
type Kind struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// ListKind is the kind of the resource's list.
func (k Kind) ListKind() string { return k.Kind + "List" }

// The platform's custom resources (PLATFORM.md §1).
var (
	DiskPool        = Kind{schema.GroupVersionResource{Group: "openebs.io", Version: "v1beta1", Resource: "diskpools"}, "DiskPool", true}
	KumaMesh        = Kind{schema.GroupVersionResource{Group: "kuma.io", Version: "v1alpha1", Resource: "meshes"}, "Mesh", false}
	KumaDataplane   = Kind{schema.GroupVersionResource{Group: "kuma.io", Version: "v1alpha1", Resource: "dataplanes"}, "Dataplane", true}
	KumaDPInsight   = Kind{schema.GroupVersionResource{Group: "kuma.io", Version: "v1alpha1", Resource: "dataplaneinsights"}, "DataplaneInsight", true}
	ArgoApplication = Kind{schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}, "Application", true}
	ArgoAppProject  = Kind{schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "appprojects"}, "AppProject", true}
	CertManagerCert = Kind{schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}, "Certificate", true}
)

// CRDKinds lists every custom resource the console reads.
func CRDKinds() []Kind {
	return []Kind{DiskPool, KumaMesh, KumaDataplane, KumaDPInsight, ArgoApplication, ArgoAppProject, CertManagerCert}
}
