// Package servetest holds what tests of the SSH console share: a client that runs one command and a
// buffer written by one goroutine and read by another.
package servetest

import (
	"bytes"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Run connects to addr as sshUser with the signers, in order, and runs cmd; it returns the combined
// output or the error.
func Run(addr, sshUser, cmd string, signers ...gossh.Signer) (string, error) {
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: sshUser, Auth: []gossh.AuthMethod{gossh.PublicKeys(signers...)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	out, err := s.CombinedOutput(cmd)
	return string(out), err
}

// Buffer is an output written by one goroutine and read by another.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is what was written so far.
func (b *Buffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }
