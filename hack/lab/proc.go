package lab

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procStat is what /proc/PID/stat says about a process.
type procStat struct {
	State     byte   // R, S, D, Z, T, ...
	Pgrp      int    // process group id
	StartTime uint64 // clock ticks after boot: with the PID it identifies one process
}

// parseStat parses the content of /proc/PID/stat. The command name (field 2) is in parentheses and
// may itself contain spaces and parentheses, so the fields are counted from the last ')'.
func parseStat(data string) (procStat, error) {
	i := strings.LastIndexByte(data, ')')
	if i < 0 || i+2 > len(data) {
		return procStat{}, errors.New("malformed stat: no command name")
	}
	f := strings.Fields(data[i+1:])
	// f[0] is field 3 (state); field N is f[N-3].
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed stat: %d fields after the command name", len(f))
	}
	pgrp, err := strconv.Atoi(f[5-3])
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat pgrp: %w", err)
	}
	start, err := strconv.ParseUint(f[22-3], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat starttime: %w", err)
	}
	return procStat{State: f[0][0], Pgrp: pgrp, StartTime: start}, nil
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

// running reports whether pid is still the process that was recorded with startTime, and not a
// zombie. PID 1 on these machines reaps orphans late, so state Z counts as stopped; a different
// start time means the PID was reused by an unrelated process.
func running(pid int, startTime uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readStat(pid)
	if err != nil {
		return false
	}
	return isLive(st, startTime)
}

func isLive(st procStat, startTime uint64) bool {
	if st.State == 'Z' || st.State == 'X' {
		return false
	}
	return startTime == 0 || st.StartTime == startTime
}

// child is a process this Go process started; done closes once it is reaped.
type child struct {
	pid       int
	startTime uint64
	done      chan struct{}
}

// spawn starts bin in its own session (so it is its own process-group leader, and outlives a CLI
// that started it) with stdout and stderr appended to logPath.
func spawn(bin string, args, env []string, dir, logPath string) (*child, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== lab %s: %s %s\n", time.Now().Format(time.RFC3339), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{pid: cmd.Process.Pid, done: make(chan struct{})}
	if st, err := readStat(c.pid); err == nil {
		c.startTime = st.StartTime
	}
	go func() {
		_ = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// stopProcess sends SIGTERM to the process group led by pid, waits up to grace, then SIGKILLs the
// group. done, when not nil, is closed when this process has reaped it. It only ever signals pid's
// own group, and only while pid is still the recorded process (startTime).
func stopProcess(pid int, startTime uint64, done <-chan struct{}, grace time.Duration) error {
	gone := func() bool {
		if done != nil {
			select {
			case <-done:
				return true
			default:
			}
		}
		return !running(pid, startTime)
	}
	wait := func(d time.Duration) bool {
		deadline := time.Now().Add(d)
		for {
			if gone() {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	if gone() {
		return nil
	}
	signalGroup(pid, syscall.SIGTERM)
	if wait(grace) {
		sweepGroup(pid)
		return nil
	}
	signalGroup(pid, syscall.SIGKILL)
	if wait(10 * time.Second) {
		return nil
	}
	return fmt.Errorf("pid %d did not stop after SIGKILL", pid)
}

// signalGroup signals the process group pid leads (spawn used Setsid, so pgid == pid), or pid
// alone when it no longer leads a group.
func signalGroup(pid int, sig syscall.Signal) {
	if err := syscall.Kill(-pid, sig); err != nil {
		_ = syscall.Kill(pid, sig)
	}
}

// sweepGroup kills what is left in the group after its leader exited (helpers it started). A
// process group id cannot be reused while any member is alive, so this reaches only our group.
func sweepGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// allocPorts returns n distinct TCP ports free on 127.0.0.1. prefer[i], when non-zero and still
// free, is kept for slot i, so a restarted lab keeps its addresses when it can.
func allocPorts(n int, prefer []int) ([]int, error) {
	ports := make([]int, n)
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	taken := map[int]bool{}
	for i := range n {
		if i < len(prefer) && prefer[i] > 0 && !taken[prefer[i]] {
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(prefer[i]))); err == nil {
				held = append(held, l)
				ports[i] = prefer[i]
				taken[prefer[i]] = true
				continue
			}
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		held = append(held, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
		taken[ports[i]] = true
	}
	return ports, nil
}

// portFree reports whether 127.0.0.1:port can be bound right now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// rssKiB returns the resident set size of pid in KiB (0 when unknown).
func rssKiB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(v))
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// childEnv is the environment for the servers: the caller's, without variables the servers would
// read as configuration (etcd and kwok take ETCD_*/KWOK_* as flags) or that point elsewhere.
func childEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "KUBECONFIG", strings.HasPrefix(k, "ETCD_"), strings.HasPrefix(k, "ETCDCTL_"),
			strings.HasPrefix(k, "KWOK_"), strings.HasPrefix(k, "VAULT_"):
			continue
		}
		out = append(out, kv)
	}
	return out
}

// tailFile returns the last n lines of path, for error messages.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
