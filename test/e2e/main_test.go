//go:build e2e

// Package e2e tests cedille-tui against real servers: the lab's etcd + kube-apiserver (+ controller
// manager and kwok), a real uninitialized Vault, and the Omni state server reached by the real omni client;
// and the built binary driven under tmux.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	lab "github.com/clubcedille/cedille-tui/hack/lab"
)

// env is what the tests share: the running lab and the built binary.
type env struct {
	lab    *lab.Lab
	binary string
}

// the one lab of this test binary (TestMain owns it; tests only read it).
var shared env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := lab.FindRepoRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "cedille-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "cedille-tui")
	build := exec.Command("go", "build", "-o", bin, "./cmd/cedille-tui")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building cedille-tui:", err)
		return 1
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	l, err := lab.Up(ctx, lab.Options{StateDir: filepath.Join(tmp, "lab"), RepoRoot: root,
		Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "lab: "+f+"\n", a...) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: the lab did not start (run `make lab-build` first):", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: lab up in %s\n", time.Since(start).Round(time.Millisecond))
	defer func() {
		if err := l.Down(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: lab down:", err)
		}
	}()
	shared = env{lab: l, binary: bin}
	return m.Run()
}
