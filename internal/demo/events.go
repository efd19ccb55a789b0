package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// The annotations that place the scenario's events in time, relative to the demo's start.
const (
	annFirstSeenAgo   = "demo.cedille-tui/first-seen-ago"
	annLastSeenAgo    = "demo.cedille-tui/last-seen-ago"
	annUntilInstalled = "demo.cedille-tui/until-installed"
)

// settleEvents dates the scenario's Events from their annotations and leaves out, when the platform
// starts installed, those about what the install fixes. Other objects pass through.
func settleEvents(objs []runtime.Object, now time.Time, installed bool) ([]runtime.Object, error) {
	out := objs[:0]
	for _, o := range objs {
		ev, ok := o.(*corev1.Event)
		if !ok {
			out = append(out, o)
			continue
		}
		ann := ev.Annotations
		if installed && ann[annUntilInstalled] == "true" {
			continue
		}
		ago := func(k string) (time.Time, error) {
			if ann[k] == "" {
				return now, nil
			}
			d, err := time.ParseDuration(ann[k])
			if err != nil {
				return time.Time{}, fmt.Errorf("demo scenario: Event %s: %s %q: %w", ev.Name, k, ann[k], err)
			}
			return now.Add(-d).UTC().Truncate(time.Second), nil
		}
		first, err := ago(annFirstSeenAgo)
		if err != nil {
			return nil, err
		}
		last, err := ago(annLastSeenAgo)
		if err != nil {
			return nil, err
		}
		ev.FirstTimestamp, ev.LastTimestamp, ev.CreationTimestamp = metav1.NewTime(first), metav1.NewTime(last), metav1.NewTime(first)
		for _, k := range []string{annFirstSeenAgo, annLastSeenAgo, annUntilInstalled} {
			delete(ann, k)
		}
		if len(ann) == 0 {
			ev.Annotations = nil
		}
		out = append(out, ev)
	}
	return out, nil
}

// recordWarning records a Warning event through the clientset as the API server's event recorders do:
// the first occurrence creates it, a repeat counts it and moves its last time.
func recordWarning(ctx context.Context, cs kubernetes.Interface, about corev1.ObjectReference, reason, message, component string, now time.Time) error {
	ns := about.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault // events about cluster-scoped objects live in default
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(about.Kind + "/" + reason))
	name := fmt.Sprintf("%s.%016x", about.Name, h.Sum64())
	events := cs.CoreV1().Events(ns)
	t := metav1.NewTime(now.UTC().Truncate(time.Second))
	ev, err := events.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = events.Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: ns, CreationTimestamp: t},
			InvolvedObject: about, Type: corev1.EventTypeWarning, Reason: reason, Message: message, Count: 1,
			FirstTimestamp: t, LastTimestamp: t, Source: corev1.EventSource{Component: component},
		}, metav1.CreateOptions{})
		return err
	case err != nil:
		return err
	}
	ev = ev.DeepCopy()
	ev.Count++
	ev.Message, ev.LastTimestamp = message, t
	_, err = events.Update(ctx, ev, metav1.UpdateOptions{})
	return err
}

// nodeLostEvents are what the cluster records when a node stops posting status: the node controller's
// NodeNotReady on the node, and on the pods it marks not ready (here the node's Mayastor io-engine).
func nodeLostEvents(ctx context.Context, cs kubernetes.Interface, node string, now time.Time) error {
	if err := recordWarning(ctx, cs, corev1.ObjectReference{Kind: "Node", Name: node}, "NodeNotReady",
		"Node "+node+" status is now: NodeNotReady", "node-controller", now); err != nil {
		return err
	}
	pod := corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "mayastor", Name: "mayastor-io-engine-" + podSuffix(node)}
	return recordWarning(ctx, cs, pod, "NodeNotReady", "Node is not ready", "node-controller", now)
}

// sealedEvents are the readiness probe failures of sealed Vault replicas.
func sealedEvents(ctx context.Context, cs kubernetes.Interface, replicas []string, now time.Time) error {
	const msg = "Readiness probe failed: Key                Value\n---                -----\nSeal Type          shamir\n" +
		"Initialized        true\nSealed             true\nTotal Shares       5\nThreshold          3\nUnseal Progress    0/3\n" +
		"Unseal Nonce       n/a\nVersion            1.15.1\nStorage Type       raft\nHA Enabled         true"
	for _, r := range replicas {
		pod := corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "vault", Name: r, FieldPath: "spec.containers{vault}"}
		if err := recordWarning(ctx, cs, pod, "Unhealthy", msg, "kubelet", now); err != nil {
			return err
		}
	}
	return nil
}

// podSuffix is a stable, pod-like suffix for a DaemonSet's pod on a node.
func podSuffix(node string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(node))
	const letters = "bcdfghjklmnpqrstvwxz2456789"
	var b strings.Builder
	for v := h.Sum32(); b.Len() < 5; v /= uint32(len(letters)) {
		b.WriteByte(letters[v%uint32(len(letters))])
	}
	return b.String()
}
