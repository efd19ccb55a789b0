package demo

import (
	"context"
	"encoding/json"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// The simulated in-cluster controllers (ArgoCD's application controller, Mayastor's operator, the
// vclusters' syncers) and a Blank demo's install simulator run as goroutines on the Platform's
// background context; Close stops them all and waits for them.

// startControllers starts the ArgoCD, Mayastor and vault-config-operator controllers and the kubelets
// and controllers of the workloads (workloads.go); called once the fakes exist.
func (p *Platform) startControllers() {
	p.bgMu.Lock()
	if p.bgCtx == nil && !p.bgClosed {
		p.bgCtx, p.stopBg = context.WithCancel(context.Background())
	}
	p.bgMu.Unlock()
	p.goBackground(func(ctx context.Context) { every(ctx, argoPoll, newArgoController(p).pass) })
	p.goBackground(func(ctx context.Context) { every(ctx, mayastorPoll, newMayastorController(p).pass) })
	p.goBackground(func(ctx context.Context) { every(ctx, vaultConfigPoll, vaultConfigController{p}.pass) })
	p.goBackground(func(ctx context.Context) { every(ctx, workloadsPoll, p.alone(workloadsController{p}.pass)) })
	p.goBackground(func(ctx context.Context) { every(ctx, repairsPoll, p.alone(repairsController{p}.pass)) })
}

// alone runs pass holding simMu, so that no scenario's change is half made while it runs.
func (p *Platform) alone(pass func(context.Context)) func(context.Context) {
	return func(ctx context.Context) {
		p.simMu.Lock()
		defer p.simMu.Unlock()
		pass(ctx)
	}
}

// goBackground runs f on the background context unless the platform is closed (or its controllers were
// never started); it tells whether f runs.
func (p *Platform) goBackground(f func(ctx context.Context)) bool {
	p.bgMu.Lock()
	defer p.bgMu.Unlock()
	if p.bgCtx == nil || p.bgClosed {
		return false
	}
	ctx := p.bgCtx
	p.bgWG.Add(1)
	go func() {
		defer p.bgWG.Done()
		f(ctx)
	}()
	return true
}

// stopControllers cancels the background goroutines and waits for them; later calls do nothing more.
func (p *Platform) stopControllers() {
	p.bgMu.Lock()
	p.bgClosed = true
	stop := p.stopBg
	p.bgMu.Unlock()
	if stop != nil {
		stop()
	}
	p.bgWG.Wait()
}

// every runs pass at each tick of period until ctx ends.
func every(ctx context.Context, period time.Duration, pass func(context.Context)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pass(ctx)
		}
	}
}

// mergeStatus merges status into the object's status with a JSON merge patch, as the simulated
// controllers write what they observe (the fakes serve no status subresource).
func mergeStatus(ctx context.Context, ri dynamic.ResourceInterface, name string, status map[string]any) error {
	b, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	_, err = ri.Patch(ctx, name, types.MergePatchType, b, metav1.PatchOptions{})
	return err
}
