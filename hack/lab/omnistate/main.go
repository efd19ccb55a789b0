// Command omnistate is the lab's Omni: the simulated Omni API server of internal/omnisim (COSI state
// plus the management calls the tool uses) on a loopback port, for the real omni client to reach at
// grpc://HOST:PORT. It runs no Omni controllers; tests write the statuses.
//
//	omnistate --listen 127.0.0.1:0 --addr-file STATE/omni.addr --kubeconfig STATE/admin.kubeconfig
//
// SIGHUP re-reads the kubeconfig and talosconfig files; SIGTERM or SIGINT stops it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
	"github.com/clubcedille/cedille-tui/internal/omnisim"
)

type config struct {
	listen         string
	addrFile       string
	kubeconfig     string
	talosconfig    string
	requireAuth    bool
	authorizedKeys []string
}

func parseFlags(args []string) (config, error) {
	var cfg config

	fs := flag.NewFlagSet("omnistate", flag.ContinueOnError)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:0", "loopback `host:port` to serve on (port 0 picks a free one)")
	fs.StringVar(&cfg.addrFile, "addr-file", "", "write the bound host:port to `PATH` once listening (atomically)")
	fs.StringVar(&cfg.kubeconfig, "kubeconfig", "", "kubeconfig `PATH` served by management Kubeconfig")
	fs.StringVar(&cfg.talosconfig, "talosconfig", "", "talosconfig `PATH` served by management Talosconfig (optional)")
	fs.BoolVar(&cfg.requireAuth, "require-auth", false, "refuse calls that are not signed with a service account key")
	fs.Func("authorized-key", "armored PGP public key `PATH` of an accepted service account (repeatable; implies --require-auth and verifies signatures)", func(p string) error {
		cfg.authorizedKeys = append(cfg.authorizedKeys, p)

		return nil
	})

	if err := fs.Parse(args); err != nil {
		return config{}, err
	}

	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	if err := omnisim.CheckLoopback(cfg.listen); err != nil {
		return config{}, err
	}

	return cfg, nil
}

func readOptional(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}

	return os.ReadFile(path)
}

// writeAtomic writes data to path through a temporary file in the same directory and a rename, so a
// reader never sees a partial address.
func writeAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o644)
}

func run(ctx context.Context, cfg config, logger *log.Logger) error {
	kube, err := readOptional(cfg.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}

	talos, err := readOptional(cfg.talosconfig)
	if err != nil {
		return fmt.Errorf("talosconfig: %w", err)
	}

	keys := make([]string, 0, len(cfg.authorizedKeys))

	for _, p := range cfg.authorizedKeys {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("authorized key: %w", err)
		}

		keys = append(keys, string(b))
	}

	srv, err := omnisim.New(omnisim.Options{
		Kubeconfig:     kube,
		Talosconfig:    talos,
		RequireAuth:    cfg.requireAuth,
		AuthorizedKeys: keys,
	})
	if err != nil {
		return err
	}
	defer srv.Stop()

	addr, err := srv.Listen(cfg.listen)
	if err != nil {
		return err
	}

	if cfg.addrFile != "" {
		if err = writeAtomic(cfg.addrFile, []byte(addr.String()+"\n")); err != nil {
			return fmt.Errorf("addr file: %w", err)
		}
	}

	auth := "off"

	switch {
	case len(keys) > 0:
		auth = fmt.Sprintf("%d authorized key(s)", len(keys))
	case cfg.requireAuth:
		auth = "signature required"
	}

	logger.Printf("serving simulated Omni on grpc://%s (pid %d, auth %s, kubeconfig %t)", addr, os.Getpid(), auth, len(kube) > 0)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	for {
		select {
		case <-ctx.Done():
			return srv.Err()
		case <-hup:
			if b, err := readOptional(cfg.kubeconfig); err == nil {
				srv.SetKubeconfig(b)
			} else {
				logger.Printf("reload kubeconfig: %v", err)
			}

			if b, err := readOptional(cfg.talosconfig); err == nil {
				srv.SetTalosconfig(b)
			} else {
				logger.Printf("reload talosconfig: %v", err)
			}
		}
	}
}

func main() {
	logger := log.New(os.Stderr, "omnistate: ", log.LstdFlags)

	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}

	if err != nil {
		logger.Print(err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	if err := run(ctx, cfg, logger); err != nil {
		logger.Print(err)
		stop()
		os.Exit(1) //nolint:gocritic // stop already called
	}
}
