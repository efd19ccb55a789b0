package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/clubcedille/cedille-tui/internal/access"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/vcluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KindVCluster is a vcluster, named as its StatefulSet: its namespace and its release name.
const KindVCluster Kind = "vcluster"

// ArgoNamespace is where register-vcluster writes the cluster Secrets: the install's default ArgoCD
// namespace.
const ArgoNamespace = plan.DefaultArgoNamespace

// ErrNoCredentials is register-vcluster refused because the vcluster's own Secret is missing or lacks
// its credentials: there is nothing to register it with.
var ErrNoCredentials = errors.New("nothing to register it with")

// RegisterVCluster writes the ArgoCD cluster Secret cluster-<name> of a vcluster from the vcluster's own
// Secret vc-<name> (its CA, client certificate and key; the server its kubeconfig names, or its
// in-cluster service), exactly as the install's vclusters step does (gitops.Wanted): created when there
// is none, its labels, type and data replaced when there is one — that write bound to the UID and
// resourceVersion its preview saw. The preview is the server's dry run; it names each changed field of
// the Secret's data without its value.
func RegisterVCluster() Action {
	return Action{Name: "register-vcluster", Kind: KindVCluster, Role: access.Operator,
		Blast: func(t Target) string {
			return fmt.Sprintf("%s: ArgoCD's cluster Secret %s/%s is written from Secret %s/%s; ArgoCD reconnects to the vcluster with those credentials, nothing in the vcluster changes",
				t, ArgoNamespace, argocd.ClusterSecretName(t.Name), t.Namespace, vcluster.KubeconfigSecret(t.Name))
		},
		Preview: previewRegister,
		Run: func(ctx context.Context, c Client, t Target, expect Precondition) error {
			_, _, _, err := registerVCluster(ctx, c, t, expect, nil)
			return err
		},
	}
}

// previewRegister dry-runs the write and lists what changes, secret values left out.
func previewRegister(ctx context.Context, c Client, t Target) (Preview, error) {
	cur, after, want, err := registerVCluster(ctx, c, t, Precondition{}, dryRunAll())
	if err != nil {
		return Preview{}, err
	}
	notes := []string{fmt.Sprintf("server %s; credentials from Secret %s/%s", want.Data["server"], t.Namespace, vcluster.KubeconfigSecret(t.Name))}
	var expect Precondition
	if cur == nil {
		notes = append(notes, fmt.Sprintf("no cluster Secret %s/%s yet: it is created", want.Namespace, want.Name))
	} else {
		expect = Precondition{UID: cur.UID, ResourceVersion: cur.ResourceVersion}
	}
	return Preview{Changes: secretChanges(cur, after), Notes: notes, Expect: expect}, nil
}

// registerVCluster reads the vcluster's Secret and the cluster Secret, refuses a cluster Secret that is
// not the one expected, and writes (dryRun: dry-runs) the registration. It returns the cluster Secret as
// read (nil: none), as written, and as wanted.
func registerVCluster(ctx context.Context, c Client, t Target, expect Precondition, dryRun []string) (cur, after, want *corev1.Secret, err error) {
	if err := t.check(KindVCluster); err != nil {
		return nil, nil, nil, err
	}
	want, problem, err := gitops.Wanted(ctx, c.Kube, ArgoNamespace, t.Name, t.Namespace, "")
	if err != nil {
		return nil, nil, nil, err
	}
	if want == nil {
		return nil, nil, nil, fmt.Errorf("%s: %s: %w", t, problem, ErrNoCredentials)
	}
	cur, err = c.Kube.CoreV1().Secrets(ArgoNamespace).Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
		if !expect.IsZero() {
			return nil, nil, nil, &ChangedError{Target: t, Why: "deregistered (its cluster Secret deleted)"}
		}
	case err != nil:
		return nil, nil, nil, err
	case expect.UID != "" && expect.UID != cur.UID:
		return nil, nil, nil, &ChangedError{Target: t, Why: "registered anew (its cluster Secret deleted and made again)"}
	case expect.ResourceVersion != "" && expect.ResourceVersion != cur.ResourceVersion:
		return nil, nil, nil, &ChangedError{Target: t, Why: "re-registered (its cluster Secret modified)"}
	}
	after, err = gitops.WriteClusterSecret(ctx, c.Kube, want, cur, dryRun)
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return nil, nil, nil, &ChangedError{Target: t, Why: "re-registered (its cluster Secret written meanwhile)"}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return cur, after, want, nil
}

// secretChanges lists what changes from the cluster Secret before (nil: none) to after, by field, as
// diff does for metadata and type; of its data, name and server are shown, and config (ArgoCD's JSON)
// is walked with every credential named, never shown: "(set)", "(changed)". Any other data key is named
// only.
func secretChanges(before, after *corev1.Secret) []Change {
	if before == nil {
		before = &corev1.Secret{}
	}
	meta := func(s *corev1.Secret) map[string]any {
		m := map[string]any{"metadata": map[string]any{"labels": toAny(s.Labels)}}
		if s.Type != "" {
			m["type"] = string(s.Type)
		}
		return m
	}
	out := diff(meta(before), meta(after))
	keys := map[string]bool{}
	for k := range before.Data {
		keys[k] = true
	}
	for k := range after.Data {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		bv, inB := before.Data[k]
		av, inA := after.Data[k]
		switch {
		case k == "name" || k == "server":
			if !inB || !inA || string(bv) != string(av) {
				out = append(out, Change{Path: "data." + k, Before: show(string(bv), inB), After: show(string(av), inA)})
			}
		case k == "config":
			out = append(out, configChanges(bv, inB, av, inA)...)
		case !inA || !inB || string(bv) != string(av):
			out = append(out, Change{Path: "data." + k, Before: hidden(inB), After: hidden(inA)})
		}
	}
	return out
}

// configChanges lists what changes in ArgoCD's cluster config: insecure and serverName shown, the
// bearer token and the TLS data named only. A config that is not ArgoCD's JSON is named as replaced.
func configChanges(before []byte, inB bool, after []byte, inA bool) []Change {
	var b, a gitops.ClusterConfig
	bOK := !inB || json.Unmarshal(before, &b) == nil
	aOK := !inA || json.Unmarshal(after, &a) == nil
	if !bOK || !aOK {
		if inB && inA && string(before) == string(after) {
			return nil
		}
		was := hidden(inB)
		if !bOK {
			was = "(set, not ArgoCD's JSON)"
		}
		return []Change{{Path: "data.config", Before: was, After: hidden(inA)}}
	}
	var out []Change
	secret := func(path string, x, y []byte) {
		if string(x) != string(y) {
			out = append(out, Change{Path: "data.config." + path, Before: hidden(len(x) > 0), After: changedTo(len(x) > 0, len(y) > 0)})
		}
	}
	bt, at := b.TLSClientConfig, a.TLSClientConfig
	if bt.Insecure != at.Insecure {
		out = append(out, Change{Path: "data.config.tlsClientConfig.insecure", Before: show(bt.Insecure, true), After: show(at.Insecure, true)})
	}
	if bt.ServerName != at.ServerName {
		out = append(out, Change{Path: "data.config.tlsClientConfig.serverName", Before: show(bt.ServerName, bt.ServerName != ""),
			After: show(at.ServerName, at.ServerName != "")})
	}
	secret("bearerToken", []byte(b.BearerToken), []byte(a.BearerToken))
	secret("tlsClientConfig.caData", bt.CAData, at.CAData)
	secret("tlsClientConfig.certData", bt.CertData, at.CertData)
	secret("tlsClientConfig.keyData", bt.KeyData, at.KeyData)
	return out
}

// hidden is a secret field's side of a Change: "(set)" or Unset.
func hidden(present bool) string {
	if present {
		return "(set)"
	}
	return Unset
}

// changedTo is a secret field's new side: Unset, "(set)" when it was not, "(changed)" when it was.
func changedTo(was, is bool) string {
	switch {
	case !is:
		return Unset
	case was:
		return "(changed)"
	}
	return "(set)"
}

// toAny is a string map as diff walks it (nil stays absent).
func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
