package main

import (
	"context"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/omni/client/pkg/client"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

func TestParseFlagsRefusesNonLoopback(t *testing.T) {
	t.Parallel()

	for _, addr := range []string{"0.0.0.0:0", ":8080", "10.0.0.1:0"} {
		if _, err := parseFlags([]string{"--listen", addr}); err == nil {
			t.Errorf("--listen %s accepted", addr)
		}
	}

	if _, err := parseFlags([]string{"--listen", "127.0.0.1:0", "extra"}); err == nil {
		t.Error("extra argument accepted")
	}
}

func TestRunServesKubeconfigAndWritesAddr(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	kc := filepath.Join(dir, "admin.kubeconfig")

	if err := os.WriteFile(kc, []byte("kind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg, err := parseFlags([]string{"--addr-file", filepath.Join(dir, "omni.addr"), "--kubeconfig", kc})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)

	go func() { done <- run(runCtx, cfg, log.New(io.Discard, "", 0)) }()

	var addr string

	for addr == "" {
		b, _ := os.ReadFile(cfg.addrFile)
		addr = strings.TrimSpace(string(b))

		select {
		case <-ctx.Done():
			t.Fatal("no address file")
		case <-time.After(10 * time.Millisecond):
		}
	}

	c, err := client.New("grpc://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() //nolint:errcheck

	if err = c.Omni().State().Create(ctx, omni.NewCluster("cedille-cluster")); err != nil {
		t.Fatalf("create cluster: %v", err)
	}

	got, err := c.Management().WithCluster("cedille-cluster").Kubeconfig(ctx)
	if err != nil || string(got) != "kind: Config\n" {
		t.Fatalf("kubeconfig = %q, %v", got, err)
	}

	stop()

	if err = <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
