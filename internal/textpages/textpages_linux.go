//go:build linux

package textpages

import (
	"debug/elf"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// dropAbove is how much of the binary must be mapped in 2 MiB pages for MapSmall to drop it from the
// page cache: most of what the start-up ran, as in a binary just written. The few folios this very code
// runs in while it drops the rest stay large, and must not make every later run drop (and read from the
// disk) again.
const dropAbove = 16 << 20

// MapSmall advises the kernel to map the running binary's code and read-only data in small pages only
// and unmaps what is mapped now; where the page cache holds most of them in 2 MiB folios, it asks it to
// drop them. Call it once, early in main. The cost is the first run of each piece of code after it: a minor
// page fault, and, after a drop, a read from the disk (once per binary written: later runs find small
// folios). Segments holding pages the process wrote itself (a debugger's breakpoints) stay mapped.
func MapSmall() (Result, error) {
	var r Result
	segs, pie, err := readOnlySegments("/proc/self/exe")
	if err != nil {
		return r, err
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return r, err
	}
	defer exe.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(exe.Fd()), &st); err != nil {
		return r, err
	}
	smaps, err := os.Open("/proc/self/smaps")
	if err != nil {
		return r, err
	}
	spans, err := ReadOnlySpans(smaps, st.Ino, segs, pie)
	smaps.Close()
	if err != nil {
		return r, err
	}
	for _, s := range spans {
		if err := madvise(s, unix.MADV_NOHUGEPAGE); err != nil {
			return r, fmt.Errorf("madvise(NOHUGEPAGE) %#x-%#x: %w", s.Start, s.End, err)
		}
		if s.Written {
			continue // a debugger's breakpoints: left mapped as they are
		}
		if err := madvise(s, unix.MADV_DONTNEED); err != nil {
			return r, fmt.Errorf("madvise(DONTNEED) %#x-%#x: %w", s.Start, s.End, err)
		}
		r.Advised += int64(s.Len())
		r.Huge += s.Huge
	}
	if r.Huge < dropAbove {
		return r, nil
	}
	// Only folios no process maps are dropped (another run keeps its own), and only clean ones: a binary
	// still being written back to the disk keeps its 2 MiB folios this time.
	for _, g := range segs {
		if err := unix.Fadvise(int(exe.Fd()), int64(g.Off), int64(g.Size), unix.FADV_DONTNEED); err != nil {
			return r, fmt.Errorf("fadvise(DONTNEED): %w", err)
		}
	}
	r.Dropped = true
	return r, nil
}

// readOnlySegments lists the executable's loaded segments without the write flag, and whether it is
// position-independent.
func readOnlySegments(path string) ([]Segment, bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	var out []Segment
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W == 0 {
			out = append(out, Segment{Off: p.Off, Vaddr: p.Vaddr, Size: p.Memsz})
		}
	}
	return out, f.Type == elf.ET_DYN, nil
}

// madvise gives advice on a span of the process's own mappings (not Go memory, hence no []byte).
func madvise(s Span, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, s.Start, s.Len(), uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
