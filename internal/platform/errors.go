// Package platform opens the connections the tool uses — Kubernetes (client-go), Omni (the omni client)
// and Vault (vault/api) — following each ecosystem's own conventions for flags and environment variables.
// A missing or unreachable connection yields a one-line ConnError that names what to set; the others keep
// working.
package platform

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// Source names a connection.
type Source string

const (
	SourceKubernetes Source = "kubernetes"
	SourceOmni       Source = "omni"
	SourceVault      Source = "vault"
)

// Problem classifies why a connection failed.
type Problem int

const (
	// NotConfigured: nothing says where the platform is (no kubeconfig, no OMNI_ENDPOINT, no VAULT_ADDR).
	NotConfigured Problem = iota
	// Invalid: the configuration is there but cannot be used (bad file, bad key, unknown context).
	Invalid
	// Unreachable: the server did not answer.
	Unreachable
	// Refused: the server answered but refused us (authentication or authorization).
	Refused
)

// ConnError is a connection failure said in one line: what failed and what to do.
type ConnError struct {
	Source  Source
	Problem Problem
	// What happened, in plain words.
	What string
	// Fix says what to set or check, naming the variable or flag.
	Fix string
	Err error
}

func (e *ConnError) Error() string {
	s := string(e.Source) + ": " + e.What
	if e.Err != nil {
		s += ": " + firstLine(e.Err.Error())
	}
	if e.Fix != "" {
		s += " (" + e.Fix + ")"
	}
	return s
}

func (e *ConnError) Unwrap() error { return e.Err }

// IsUnreachable tells whether err says a server did not answer.
func IsUnreachable(err error) bool {
	var ce *ConnError
	return errors.As(err, &ce) && ce.Problem == Unreachable
}

// IsNotConfigured tells whether err says nothing points at the server.
func IsNotConfigured(err error) bool {
	var ce *ConnError
	return errors.As(err, &ce) && ce.Problem == NotConfigured
}

// Lookup reads an environment variable; os.LookupEnv in production, a map in tests.
type Lookup func(string) (string, bool)

// OSLookup is the process environment.
func OSLookup(k string) (string, bool) { return os.LookupEnv(k) }

// MapLookup serves variables from a map.
func MapLookup(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func (l Lookup) get(keys ...string) (key, value string) {
	for _, k := range keys {
		if v, ok := l(k); ok && v != "" {
			return k, v
		}
	}
	return "", ""
}

// looksUnreachable tells network failures (refused, timed out, no route, DNS) from everything else.
func looksUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	case errors.As(err, &oe), errors.As(err, &de):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	case errors.As(err, &ue):
		return looksUnreachable(ue.Err)
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no such host") ||
		strings.Contains(s, "i/o timeout") || strings.Contains(s, "connect: ") || strings.Contains(s, "Unavailable")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
