//go:build linux

package textpages

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The test binary's own code: advised, still running, and marked so in /proc/self/smaps.
func TestMapSmall(t *testing.T) {
	n, err := MapSmall()
	if err != nil {
		t.Fatal(err)
	}
	if n.Advised == 0 {
		t.Fatal("nothing advised")
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		t.Fatal(err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]string{} // permissions of each mapping of the binary → its VmFlags
	var perms string
	for _, line := range strings.Split(string(smaps), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && f[4] == strconv.FormatUint(st.Ino, 10):
			perms = f[1]
		case len(f) >= 5 && strings.Contains(f[0], "-"):
			perms = ""
		case perms != "" && len(f) > 0 && f[0] == "VmFlags:":
			flags[perms] += " " + strings.Join(f[1:], " ")
		}
	}
	if !strings.Contains(flags["r-xp"], " nh") {
		t.Errorf("the code's mapping has VmFlags %q, want nh (no huge pages); mappings: %v", flags["r-xp"], keys(flags))
	}
	if strings.Contains(flags["rw-p"], " nh") {
		t.Errorf("the writable data was advised too: VmFlags %q", flags["rw-p"])
	}
	// The code runs on after its pages were dropped: a second call reads and advises as much.
	if again, err := MapSmall(); err != nil || again.Advised != n.Advised || again.Huge != 0 || again.Dropped {
		t.Errorf("second call: %+v, %v; want %d bytes advised, none in 2 MiB pages", again, err, n.Advised)
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
