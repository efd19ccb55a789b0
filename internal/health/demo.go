package health

// The embedded demo (`cedille-tui demo`) runs inside the console's own process: none of the tools a real
// platform's hints name (cedille-tui install, kubectl, talosctl, omnictl, argocd, kumactl, vault, vcluster)
// can reach it. So a finding whose hint names one, or whose problem one of the demo's faults makes, also
// carries what works in the demo: the demo console's fault keys (N, P, V, A toggle a fault, H heals them
// all: demo.Platform.Faults) or the demo command. The rules set both; the caller that knows it reads the
// demo (watch.Evaluate, from Snapshot.Demo) picks with ForDemo, which puts the demo's way first and keeps
// the real platform's after it, so the demo still teaches it.

// What works in the demo, by the fault or the install step that makes the problem.
const (
	demoNodeBack = "press N again (or H) to bring the machine back"
	demoPoolBack = "press P again (or H) to bring the pool back Online"
	demoUnseal   = "press V again (or H) to unseal the demo's Vault"
	demoResync   = "press A again (or H) to sync it back"
	// demoSealed: the demo's Vault sealed by V, or never set up (--skip-install, an install not done).
	demoSealed = "H unseals the demo's Vault after V; one never set up: `cedille-tui demo` resumes its install (`--reset` starts it over)"
	// demoVaultSetup: a demo opened with --skip-install has a Vault its install never set up.
	demoVaultSetup = "quit and run `cedille-tui demo --reset`: its install wizard sets Vault up"
	// demoRegister: a demo opened with --skip-install has vclusters its install never registered.
	demoRegister = "quit and run `cedille-tui demo --reset`: its install wizard registers the vclusters"
	// demoElsewhere: the tool the real fix names cannot reach the demo, and none of its faults makes the
	// problem but through another (Vault's Applications wait for the Vault that V seals).
	demoElsewhere = "in the demo: H heals its injected faults, `cedille-tui demo --reset` starts it over"
)

// inDemo returns f with what works in the demo instead of its hint (one of the demo* phrases).
func (f Finding) inDemo(demo string) Finding {
	f.demo = demo
	return f
}

// ForDemo returns the finding as the embedded demo shows it: when its hint names a tool that cannot reach
// the demo, or its problem is one of the demo's faults, the hint says first what works there, then the
// real platform's way in brackets. Other findings are returned as they are.
func (f Finding) ForDemo() Finding {
	if f.demo == "" || f.Hint == "" {
		return f
	}
	f.Hint = f.demo + " (a real platform: " + f.Hint + ")"
	f.demo = ""
	return f
}

// ForDemo returns the report as the embedded demo shows it (Finding.ForDemo on every finding).
func (r Report) ForDemo() Report {
	out := Report{Overall: r.Overall, Layers: make([]LayerReport, len(r.Layers))}
	for i, l := range r.Layers {
		fs := make([]Finding, len(l.Findings))
		for j, f := range l.Findings {
			fs[j] = f.ForDemo()
		}
		l.Findings = fs
		out.Layers[i] = l
	}
	return out
}
