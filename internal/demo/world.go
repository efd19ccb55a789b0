package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
	"github.com/clubcedille/cedille-tui/internal/helmops"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// The demo's world: a Blank demo started with Options.WorldDir keeps its simulated platform there, so
// that quitting `cedille-tui demo` and running it again finds the platform as it was left — the cluster
// still installed, ArgoCD's releases, the pools, Vault initialized (and unsealed, if it was) — as a real
// platform outlives the tool that installs it. Omni's state is a BoltDB file, written as Omni writes
// (omnisim.Options.StateFile); the rest — the Kubernetes objects, the simulated Vault's storage, the
// Helm releases, the faults — is one JSON file, written at each SaveWorld (after every step and form:
// the caller's saves) and at Close.
//
// It never holds a secret: the simulated Vault keeps only digests of its shares and tokens (vault.go),
// the kubernetes auth method's reviewer token is not written, and of a KV secret only its identifiers
// (fields named …ID) are: its other values come back as worldNotKept, which is enough for every check
// the install makes (a secret is there, with this client ID).
const (
	worldOmniFile = "omni.db"
	worldFile     = "world.json"
	worldFormat   = 1
	worldNotKept  = "(not kept across runs of the demo)"
)

// world is what worldFile holds.
type world struct {
	Format int `json:"format"`
	// Cluster is the Omni cluster the console shows; Ready whether the install's cluster is ready (the
	// Kubernetes API and Vault answer), Kubernetes its version.
	Cluster    string `json:"cluster"`
	Ready      bool   `json:"ready"`
	Kubernetes string `json:"kubernetes,omitempty"`
	// Faults are the faults injected (faults.go), by name.
	Faults   map[string]bool         `json:"faults,omitempty"`
	Releases map[string]worldRelease `json:"releases,omitempty"`
	Objects  []worldObject           `json:"objects"`
	Vault    worldVault              `json:"vault"`
}

type worldRelease struct {
	Revision  int                `json:"revision"`
	Workloads []helmops.Workload `json:"workloads"`
}

// worldObject is one Kubernetes object with the resource it is stored under, in the typed fake or
// (Dynamic) the dynamic one.
type worldObject struct {
	Group    string          `json:"group,omitempty"`
	Version  string          `json:"version"`
	Resource string          `json:"resource"`
	Dynamic  bool            `json:"dynamic,omitempty"`
	Object   json.RawMessage `json:"object"`
}

type worldVault struct {
	Initialized bool                  `json:"initialized"`
	Shares      int                   `json:"shares,omitempty"`
	Threshold   int                   `json:"threshold,omitempty"`
	KeyDigests  []string              `json:"keyDigests,omitempty"`
	Sealed      map[string]bool       `json:"sealed"`
	Auths       map[string]worldMount `json:"auths,omitempty"`
	Mounts      map[string]worldMount `json:"mounts,omitempty"`
	Policies    map[string]string     `json:"policies,omitempty"`
	// Tokens by digest.
	Tokens map[string]worldToken `json:"tokens,omitempty"`
}

type worldMount struct {
	Type        string                    `json:"type"`
	Description string                    `json:"description,omitempty"`
	Accessor    string                    `json:"accessor"`
	UUID        string                    `json:"uuid"`
	Options     map[string]string         `json:"options,omitempty"`
	Local       bool                      `json:"local,omitempty"`
	K8sConfig   map[string]any            `json:"kubernetesConfig,omitempty"`
	Roles       map[string]map[string]any `json:"roles,omitempty"`
	KV          map[string]worldKV        `json:"kv,omitempty"`
}

type worldKV struct {
	Data    map[string]any `json:"data"`
	Version int            `json:"version,omitempty"`
	Created time.Time      `json:"created"`
	Updated time.Time      `json:"updated"`
}

type worldToken struct {
	Policies    []string          `json:"policies"`
	Path        string            `json:"path"`
	DisplayName string            `json:"displayName"`
	TTL         int               `json:"ttl,omitempty"`
	Issued      time.Time         `json:"issued"`
	Accessor    string            `json:"accessor"`
	Meta        map[string]string `json:"meta,omitempty"`
}

// readWorld reads the world kept in dir; found is false when there is none yet. A world whose JSON half
// is missing (a first run stopped before its first save) is none: its Omni file is removed with it, so
// the two never disagree.
func readWorld(dir string) (w world, found bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, worldFile))
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Remove(filepath.Join(dir, worldOmniFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return w, false, err
		}
		return w, false, nil
	}
	if err != nil {
		return w, false, err
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return w, false, fmt.Errorf("the demo's saved platform %s is damaged (%v): run `cedille-tui demo --reset` to start over",
			filepath.Join(dir, worldFile), err)
	}
	if w.Format != worldFormat {
		return w, false, fmt.Errorf("the demo's saved platform %s is of another version of cedille-tui: run `cedille-tui demo --reset` to start over",
			filepath.Join(dir, worldFile))
	}
	return w, true, nil
}

// SaveWorld writes the simulated platform to Options.WorldDir (nothing without one). It is safe to call
// while the platform runs: each part is read under its own lock.
func (p *Platform) SaveWorld() error {
	dir := p.opts.WorldDir
	if dir == "" {
		return nil
	}
	w := world{Format: worldFormat, Cluster: p.clusterName(), Ready: p.kube.up.Load()}
	if v := p.kube.version.Load(); v != nil {
		var ver struct{ GitVersion string }
		_ = json.Unmarshal([]byte(*v), &ver)
		w.Kubernetes = ver.GitVersion
	}
	p.mu.Lock()
	w.Faults = map[string]bool{}
	for k, v := range p.faults {
		w.Faults[k] = v
	}
	p.mu.Unlock()
	p.relMu.Lock()
	w.Releases = map[string]worldRelease{}
	for k, r := range p.releases {
		w.Releases[k] = worldRelease{Revision: r.revision, Workloads: slices.Clone(r.workloads)}
	}
	p.relMu.Unlock()
	var err error
	if w.Objects, err = p.kube.snapshot(context.Background()); err != nil {
		return fmt.Errorf("save the demo's platform: %w", err)
	}
	w.Vault = p.vault.snapshot()
	b, err := json.MarshalIndent(w, "", " ")
	if err != nil {
		return fmt.Errorf("save the demo's platform: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, worldFile), b, 0o600)
}

// restore puts a saved world back into a just-built Blank platform (before its controllers start).
func (p *Platform) restore(ctx context.Context, w world) error {
	if err := p.kube.restore(ctx, w.Objects); err != nil {
		return fmt.Errorf("the demo's saved platform: %w", err)
	}
	p.vault.restore(w.Vault)
	for k, r := range w.Releases {
		p.releases[k] = &demoRelease{revision: r.Revision, workloads: r.Workloads}
	}
	for k, v := range w.Faults {
		p.faults[k] = v
	}
	if w.Cluster != "" {
		p.cluster = w.Cluster
	}
	if w.Ready {
		if w.Kubernetes != "" {
			p.kube.setVersion(w.Kubernetes)
		}
		p.kube.up.Store(true)
		p.vault.down.Store(false)
		p.omni.SetKubeconfig(demoKubeconfig(p.cluster))
		p.readyOnce.Do(func() { close(p.installed) })
	}
	return nil
}

// --- Kubernetes

// snapshot lists every object of the fakes: each kind the typed fake knows, each custom resource kind
// of the dynamic one. The metadata fake only mirrors the typed fake's Secrets, and is rebuilt from them.
func (f *kubeFakes) snapshot(ctx context.Context) ([]worldObject, error) {
	var out []worldObject
	tracker := f.typed.Tracker()
	for _, gvk := range typedKinds() {
		gvr, _ := meta.UnsafeGuessKindToResource(gvk)
		list, err := tracker.List(gvr, gvk, metav1.NamespaceAll)
		if err != nil {
			continue // a kind without a list (options, events of the watch protocol…)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		for _, obj := range items {
			obj = obj.DeepCopyObject()
			obj.GetObjectKind().SetGroupVersionKind(gvk)
			b, err := json.Marshal(obj)
			if err != nil {
				return nil, err
			}
			out = append(out, worldObject{Group: gvr.Group, Version: gvr.Version, Resource: gvr.Resource, Object: b})
		}
	}
	for _, k := range dynamicKinds() {
		l, err := f.dyn.Resource(k.GVR).Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			b, err := json.Marshal(l.Items[i].Object)
			if err != nil {
				return nil, err
			}
			out = append(out, worldObject{Group: k.GVR.Group, Version: k.GVR.Version, Resource: k.GVR.Resource,
				Dynamic: true, Object: b})
		}
	}
	return out, nil
}

// typedKinds are the kinds of client-go's scheme that have a list kind, in a stable order.
func typedKinds() []schema.GroupVersionKind {
	all := scheme.Scheme.AllKnownTypes()
	var out []schema.GroupVersionKind
	for gvk := range all {
		if strings.HasSuffix(gvk.Kind, "List") || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		if _, ok := all[gvk.GroupVersion().WithKind(gvk.Kind+"List")]; ok {
			out = append(out, gvk)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// restore adds the saved objects to the fakes (and the Secrets' metadata to the metadata fake).
func (f *kubeFakes) restore(ctx context.Context, objs []worldObject) error {
	decoder := scheme.Codecs.UniversalDeserializer()
	secrets := corev1.SchemeGroupVersion.WithResource("secrets")
	for _, o := range objs {
		gvr := schema.GroupVersionResource{Group: o.Group, Version: o.Version, Resource: o.Resource}
		if o.Dynamic {
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(o.Object); err != nil {
				return fmt.Errorf("%s: %w", gvr, err)
			}
			u.SetResourceVersion("")
			if _, err := f.dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("%s %s: %w", gvr, u.GetName(), err)
			}
			continue
		}
		obj, _, err := decoder.Decode(o.Object, nil, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", gvr, err)
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return err
		}
		f.rv.stamp(m)
		m.SetManagedFields(nil)
		if err := f.typed.Tracker().Create(gvr, obj, m.GetNamespace()); err != nil {
			return fmt.Errorf("%s %s: %w", gvr, m.GetName(), err)
		}
		if sec, ok := obj.(*corev1.Secret); ok && gvr == secrets {
			pom := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: *sec.ObjectMeta.DeepCopy()}
			if err := f.md.Tracker().Create(gvr, pom, sec.Namespace); err != nil {
				return fmt.Errorf("secret %s metadata: %w", sec.Name, err)
			}
		}
	}
	return nil
}

// --- Vault

// snapshot is the simulated Vault's storage as the world keeps it (see world: no secret in it).
func (c *vaultCluster) snapshot() worldVault {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := worldVault{Initialized: c.initialized, Shares: c.shares, Threshold: c.threshold,
		KeyDigests: slices.Clone(c.keys), Sealed: map[string]bool{}}
	for _, r := range c.replicas {
		w.Sealed[r.name] = r.sealed
	}
	s := c.store
	if s == nil {
		return w
	}
	w.Auths, w.Mounts = saveMounts(s.auths), saveMounts(s.mounts)
	w.Policies = map[string]string{}
	for name, pol := range s.policies {
		w.Policies[name] = pol.text
	}
	w.Tokens = map[string]worldToken{}
	for d, t := range s.tokens {
		w.Tokens[d] = worldToken{Policies: t.policies, Path: t.path, DisplayName: t.displayName, TTL: t.ttl,
			Issued: t.issued, Accessor: t.accessor, Meta: t.meta}
	}
	return w
}

func saveMounts(table map[string]*vaultMount) map[string]worldMount {
	out := map[string]worldMount{}
	for path, m := range table {
		wm := worldMount{Type: m.Type, Description: m.Description, Accessor: m.Accessor, UUID: m.UUID,
			Options: m.Options, Local: m.Local, Roles: m.roles}
		if m.k8sConfig != nil {
			wm.K8sConfig = map[string]any{}
			for k, v := range m.k8sConfig {
				if k == "token_reviewer_jwt" {
					v = worldNotKept
				}
				wm.K8sConfig[k] = v
			}
		}
		if m.kv != nil {
			wm.KV = map[string]worldKV{}
			for p, e := range m.kv {
				wm.KV[p] = worldKV{Data: keptKV(e.data), Version: e.version, Created: e.created, Updated: e.updated}
			}
		}
		out[path] = wm
	}
	return out
}

// keptKV is what the world keeps of a KV secret: its identifiers (fields named …ID or …Id), nothing else.
func keptKV(data map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range data {
		if strings.HasSuffix(k, "ID") || strings.HasSuffix(k, "Id") {
			out[k] = v
			continue
		}
		out[k] = worldNotKept
	}
	return out
}

// restore puts a saved storage back; replicas restart with no unseal in progress.
func (c *vaultCluster) restore(w worldVault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initialized, c.shares, c.threshold, c.keys = w.Initialized, w.Shares, w.Threshold, slices.Clone(w.KeyDigests)
	for _, r := range c.replicas {
		r.sealed, r.progress, r.nonce = true, nil, ""
		if sealed, ok := w.Sealed[r.name]; ok {
			r.sealed = sealed
		}
	}
	if !w.Initialized {
		return
	}
	s := &vaultStore{auths: restoreMounts(w.Auths), mounts: restoreMounts(w.Mounts),
		policies: map[string]*vaultPolicy{}, tokens: map[string]*vaultToken{}}
	for name, text := range w.Policies {
		rules, _ := parsePolicy(text)
		s.policies[name] = &vaultPolicy{text: text, rules: rules}
	}
	for d, t := range w.Tokens {
		s.tokens[d] = &vaultToken{policies: t.Policies, path: t.Path, displayName: t.DisplayName, ttl: t.TTL,
			issued: t.Issued, accessor: t.Accessor, meta: t.Meta}
	}
	c.store = s
}

func restoreMounts(saved map[string]worldMount) map[string]*vaultMount {
	out := map[string]*vaultMount{}
	for path, wm := range saved {
		m := &vaultMount{Type: wm.Type, Description: wm.Description, Accessor: wm.Accessor, UUID: wm.UUID,
			Options: wm.Options, Local: wm.Local, k8sConfig: wm.K8sConfig}
		if wm.Roles != nil {
			m.roles = map[string]map[string]any{}
			for name, r := range wm.Roles {
				m.roles[name] = restoreRole(r)
			}
		}
		if wm.KV != nil {
			m.kv = map[string]*kvEntry{}
			for p, e := range wm.KV {
				m.kv[p] = &kvEntry{data: e.Data, version: e.Version, created: e.Created, updated: e.Updated}
			}
		}
		switch {
		case m.Type == "kubernetes" && m.roles == nil:
			m.roles = map[string]map[string]any{}
		case m.Type == "kv" && m.kv == nil:
			m.kv = map[string]*kvEntry{}
		}
		out[path] = m
	}
	return out
}

// restoreRole gives a role read back from JSON the types the API handlers keep: lists of strings and
// whole seconds.
func restoreRole(r map[string]any) map[string]any {
	for _, f := range roleListFields() {
		if v, ok := r[f]; ok {
			r[f] = stringList(v)
		}
	}
	for _, f := range []string{"ttl", "token_ttl", "max_ttl", "token_max_ttl"} {
		if n, ok := r[f].(float64); ok {
			r[f] = int(n)
		}
	}
	return r
}

// HasWorld tells whether dir holds a demo's saved platform (Options.WorldDir).
func HasWorld(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, worldFile))
	return err == nil
}
