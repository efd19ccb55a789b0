package main

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clubcedille/cedille-tui/internal/platform"
	"k8s.io/client-go/rest"
)

// RequestKey is one apiserver_request_total series, less the response code.
type RequestKey struct {
	Verb, Group, Resource, Subresource string
}

func (k RequestKey) String() string {
	r := k.Resource
	if k.Group != "" {
		r += "." + k.Group
	}
	if k.Subresource != "" {
		if r != "" {
			r += "/"
		}
		r += k.Subresource
	}
	return k.Verb + " " + r
}

// RequestCounts are request counters by series.
type RequestCounts map[RequestKey]float64

// ParseRequestTotals reads apiserver_request_total out of a Prometheus text exposition, summed over
// the labels RequestKey leaves out (code, component, scope, version, dry_run).
func ParseRequestTotals(text string) (RequestCounts, error) {
	out := RequestCounts{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	const name = "apiserver_request_total{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			return nil, fmt.Errorf("metrics: no closing brace in %q", line)
		}
		labels, err := parseLabels(line[len(name):end])
		if err != nil {
			return nil, err
		}
		fields := strings.Fields(line[end+1:])
		if len(fields) == 0 {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: value in %q: %w", line, err)
		}
		out[RequestKey{Verb: labels["verb"], Group: labels["group"], Resource: labels["resource"],
			Subresource: labels["subresource"]}] += v
	}
	return out, sc.Err()
}

// parseLabels parses `a="x",b="y\"z"`.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return nil, fmt.Errorf("metrics: bad labels %q", s)
		}
		key := strings.TrimSpace(s[:eq])
		i := eq + 2
		var b strings.Builder
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				default:
					b.WriteByte(s[i])
				}
				continue
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("metrics: unterminated label value in %q", s)
		}
		out[key] = b.String()
		s = strings.TrimPrefix(s[i+1:], ",")
	}
	return out, nil
}

// Sub is c minus before, series by series (series absent before count from zero).
func (c RequestCounts) Sub(before RequestCounts) RequestCounts {
	out := RequestCounts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// ByVerb sums the counters per verb.
func (c RequestCounts) ByVerb() map[string]float64 {
	out := map[string]float64{}
	for k, v := range c {
		out[k.Verb] += v
	}
	return out
}

// Total is the sum of every counter.
func (c RequestCounts) Total() float64 {
	t := 0.0
	for _, v := range c {
		t += v
	}
	return t
}

// WithoutScrapes drops the requests for /metrics itself (the measurement's own).
func (c RequestCounts) WithoutScrapes() RequestCounts {
	out := RequestCounts{}
	for k, v := range c {
		if k.Resource == "" && k.Subresource == "/metrics" {
			continue
		}
		out[k] = v
	}
	return out
}

// Top lists the n largest series, largest first, as "VERB resource=N".
func (c RequestCounts) Top(n int) []string {
	keys := make([]RequestKey, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if c[keys[i]] != c[keys[j]] {
			return c[keys[i]] > c[keys[j]]
		}
		return keys[i].String() < keys[j].String()
	})
	var out []string
	for i, k := range keys {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("%s=%g", k, c[k]))
	}
	return out
}

// scrapeRequestTotals reads the apiserver's /metrics with an admin client.
func scrapeRequestTotals(ctx context.Context, rc rest.Interface) (RequestCounts, error) {
	b, err := rc.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("apiserver /metrics: %w", err)
	}
	return ParseRequestTotals(string(b))
}

// ClassifyRequest names a client request as the apiserver's metrics do: LIST, WATCH, GET, POST, PUT,
// PATCH, DELETE, DELETECOLLECTION for resources; "GET /path" for everything else (discovery,
// /version, /openapi).
func ClassifyRequest(method string, u *url.URL) (verb, resource string) {
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	var rest []string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		rest = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		rest = parts[3:]
	}
	if len(rest) == 0 {
		return method + " /" + firstTwo(parts), ""
	}
	if rest[0] == "namespaces" && len(rest) >= 3 {
		rest = rest[2:]
	}
	resource = rest[0]
	named := len(rest) >= 2
	switch method {
	case http.MethodGet:
		q := u.Query()
		if w := q.Get("watch"); w == "true" || w == "1" {
			return "WATCH", resource
		}
		if named {
			return "GET", resource
		}
		return "LIST", resource
	case http.MethodDelete:
		if !named {
			return "DELETECOLLECTION", resource
		}
		return "DELETE", resource
	}
	return method, resource
}

func firstTwo(parts []string) string {
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, "/")
}

// RequestLog counts a client's requests by verb, and remembers when each LIST was sent.
type RequestLog struct {
	mu    sync.Mutex
	verbs map[string]int
	res   map[string]int
	lists []time.Time
}

// NewRequestLog returns an empty log.
func NewRequestLog() *RequestLog {
	return &RequestLog{verbs: map[string]int{}, res: map[string]int{}}
}

func (l *RequestLog) record(req *http.Request) {
	verb, res := ClassifyRequest(req.Method, req.URL)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.verbs[verb]++
	l.res[verb+" "+res]++
	if verb == "LIST" {
		l.lists = append(l.lists, time.Now())
	}
}

// Verbs is a copy of the per-verb counters.
func (l *RequestLog) Verbs() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.verbs))
	for k, v := range l.verbs {
		out[k] = v
	}
	return out
}

// Detail is a copy of the per verb-and-resource counters.
func (l *RequestLog) Detail() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.res))
	for k, v := range l.res {
		out[k] = v
	}
	return out
}

// ListsSince counts the LISTs sent at or after t.
func (l *RequestLog) ListsSince(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.lists {
		if !at.Before(t) {
			n++
		}
	}
	return n
}

// Wrap is a rest.Config WrapTransport that records every request.
func (l *RequestLog) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		l.record(req)
		return rt.RoundTrip(req)
	})
}

// Kube connects to kubeconfig's cluster as ConnectKube would, with userAgent, every request recorded
// in l.
func (l *RequestLog) Kube(kubeconfig, userAgent string) (*platform.Kube, error) {
	cfg, ctxName, err := platform.LoadKubeConfig(platform.KubeOptions{Kubeconfig: kubeconfig}, platform.MapLookup(nil))
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.WrapTransport = l.Wrap
	return platform.NewKube(cfg, ctxName, userAgent)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// DiffCounts is after minus before, dropping zeros.
func DiffCounts(after, before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// FormatCounts prints counters sorted by key, "K=V K=V".
func FormatCounts[V int | float64](m map[string]V) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// procStatusKiB reads a "Name:   N kB" field of /proc/self/status.
func procStatusKiB(field string) (int64, error) {
	return procFileKiB("/proc/self/status", field)
}

// procFileKiB reads a "Name:   N kB" field of a /proc file (status, smaps_rollup).
func procFileKiB(path, field string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseStatusKiB(string(b), field)
}

func parseStatusKiB(status, field string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != field {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("/proc/self/status: no %s", field)
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is a process's user + system CPU time so far, from /proc/PID/stat (0 when unreadable).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime + stime (fields 14 and 15, in clock ticks of 10 ms) of a /proc/PID/stat line;
// the command name in parentheses may hold spaces.
func parseStatCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}
