package steps

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clubcedille/cedille-tui/internal/download"
)

// commands are the instructions' shell commands: their lines indented by four spaces, as Markdown
// code blocks are.
func commands(lines []string) []string {
	var out []string
	for _, l := range lines {
		if c, ok := strings.CutPrefix(l, CommandIndent); ok {
			out = append(out, c)
		}
	}
	return out
}

// TestUSBInstructionsWorkFromAnywhere: the check and the write the ISO step prints are run as printed,
// through sh, from another directory than the ISO's, on an ISO downloaded (with its .sha256) by the
// download package — in a directory whose name holds a space and a quote.
func TestUSBInstructionsWorkFromAnywhere(t *testing.T) {
	iso := bytes.Repeat([]byte("talos"), 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "metal-amd64.iso", time.Unix(0, 0), bytes.NewReader(iso))
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "my isos", "op's")
	res, err := download.Get(context.Background(), download.Request{URL: srv.URL + "/metal-amd64.iso",
		Dest: filepath.Join(dir, "metal-amd64-omni-cedille-v1.8.0.iso")})
	if err != nil {
		t.Fatal(err)
	}
	cmds := commands(USBInstructions(res.Path))
	var check, write string
	for _, c := range cmds {
		switch {
		case strings.Contains(c, "sha256sum -c"):
			check = c
		case strings.Contains(c, " dd "):
			write = c
		}
	}
	if check == "" || write == "" {
		t.Fatalf("no sha256sum -c or dd command among %q", cmds)
	}

	elsewhere := t.TempDir()
	run := func(cmd string) string {
		t.Helper()
		c := exec.Command("sh", "-c", cmd)
		c.Dir = elsewhere
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s (from %s): %v\n%s", cmd, elsewhere, err, out)
		}
		return string(out)
	}
	if out := run(check); !strings.Contains(out, "metal-amd64-omni-cedille-v1.8.0.iso: OK") {
		t.Errorf("%s said %q", check, out)
	}

	// The write, aimed at a file instead of the key, and without sudo (the test runs as whoever it is).
	key := filepath.Join(t.TempDir(), "key")
	if !strings.Contains(write, KeyPlaceholder) || !strings.Contains(write, "sudo dd ") {
		t.Fatalf("the write command %q names no %s or is not a sudo dd", write, KeyPlaceholder)
	}
	run(strings.NewReplacer(KeyPlaceholder, key, "sudo ", "").Replace(write))
	if got, err := os.ReadFile(key); err != nil || !bytes.Equal(got, iso) {
		t.Errorf("dd wrote %d bytes (%v), want the ISO's %d", len(got), err, len(iso))
	}
}
