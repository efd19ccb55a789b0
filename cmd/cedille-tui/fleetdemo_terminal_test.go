//go:build linux

package main

import (
	"os/exec"
	"testing"
)

// TestFleetDemoGatewayAPIFault runs `demo --era 2` on an 80×24 terminal: the fleet opens, and `:find
// gateway` finds the sandbox's Gateway API fault (PLATFORM.md §6, the KF case) — its CRDs v1.6.0, newer
// than its Cilium supports, and GatewayClass cilium never accepted; q quits.
func TestFleetDemoGatewayAPIFault(t *testing.T) {
	bin := buildBinary(t)
	term := openPTY(t)
	cmd := exec.Command(bin, "demo", "--era", "2")
	cmd.Env = binaryEnv(t)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = term.tty, term.tty, term.tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term.waitFor(t, "k8s-cedille-sandbox")
	term.press(t, ":find gateway\r")
	term.waitFor(t, "find “gateway”: 2")
	term.waitFor(t, "GatewayClass/cilium")
	term.waitFor(t, "Gateway API CRDs v1.6.0")
	term.press(t, "q")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo --era 2: %v\n%s", err, term.screen())
	}
}
