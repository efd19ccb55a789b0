// Package textpages keeps the running binary's code and read-only data mapped in small pages.
//
// A kernel whose page cache holds the executable in large folios (ext4 and others since Linux 6.x) maps
// them 2 MiB at a time into a process that runs it: a byte of code touched once at start-up then makes
// 2 MiB of the binary count in the process's resident set. For a Go binary of 100 MB of which the
// console runs a small part, that is most of its RSS. MapSmall opts the binary's read-only segments out
// of huge pages (MADV_NOHUGEPAGE) and drops what is mapped so far (MADV_DONTNEED: these pages are never
// written, so they come back from the file unchanged), so that only the pages the process touches from
// then on are mapped again.
//
// The kernel maps a large folio of the page cache whole at the first fault in it, with small pages as
// with a 2 MiB one, so advice alone is not enough when the page cache holds the binary in 2 MiB folios
// (as it does for a binary the linker or a copy has just written): MapSmall then also asks the page
// cache to drop the parts no process maps, which are read again from the disk in readahead-sized folios.
// Later runs find those and pay nothing more.
package textpages

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Segment is a part of the executable loaded read-only (an ELF PT_LOAD without the write flag): the
// file bytes from Off, at the address Vaddr (plus the load bias of a position-independent binary), Size
// bytes long.
type Segment struct{ Off, Vaddr, Size uint64 }

// Result says what MapSmall did.
type Result struct {
	// Advised is how many bytes of code and read-only data were advised and unmapped.
	Advised int64
	// Huge is how many of them the kernel had mapped in 2 MiB pages: the page cache held them in 2 MiB
	// folios; when that is most of the start-up's code, the page cache was asked to drop them (Dropped).
	Huge    int64
	Dropped bool
}

// Span is an address range [Start, End) of the process; Huge is how many bytes of it the kernel maps in
// 2 MiB pages (smaps' FilePmdMapped); Written says some of its pages are the process's own copies
// (smaps' Anonymous: a debugger's breakpoints), which unmapping would lose.
type Span struct {
	Start, End uintptr
	Huge       int64
	Written    bool
}

// Len is the span's size in bytes.
func (s Span) Len() uintptr { return s.End - s.Start }

// mapping is a mapping of /proc/self/smaps (or maps, without hugeKiB).
type mapping struct {
	start, end, off  uint64
	writable         bool
	hugeKiB, anonKiB int64
}

// ReadOnlySpans gives the address ranges of the read-only segments of the executable whose inode is
// given, as /proc/self/smaps (or maps) shows it mapped: each segment's pages, kept only when mappings of that
// inode without write permission cover them whole. A position-independent executable (pie) is placed
// by the mapping of its file offset 0. A page the dynamic loader relocated and then protected (RELRO)
// belongs to a writable segment, at another address: it is never part of a span.
func ReadOnlySpans(maps io.Reader, inode uint64, segs []Segment, pie bool) ([]Span, error) {
	ms, err := parseMaps(maps, inode)
	if err != nil {
		return nil, err
	}
	var bias uint64
	if pie {
		found := false
		for _, g := range segs {
			if g.Off != 0 {
				continue
			}
			for _, m := range ms {
				if m.off == 0 {
					bias, found = m.start-pageDown(g.Vaddr), true
					break
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("maps: the executable's first page is not mapped")
		}
	}
	var out []Span
	for _, g := range segs {
		s := Span{Start: uintptr(bias + pageDown(g.Vaddr)), End: uintptr(bias + pageUp(g.Vaddr+g.Size))}
		if s.End > s.Start && readOnlyCovered(ms, uint64(s.Start), uint64(s.End)) {
			for _, m := range ms {
				if m.start >= uint64(s.Start) && m.end <= uint64(s.End) {
					s.Huge += m.hugeKiB << 10
					s.Written = s.Written || m.anonKiB > 0
				}
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// parseMaps reads the mappings of one inode from /proc/self/smaps or maps: a mapping's line, then (in
// smaps) its "Key: value" lines.
func parseMaps(r io.Reader, inode uint64) ([]mapping, error) {
	var out []mapping
	mine := false // the lines that follow are about a mapping of the inode
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if strings.HasSuffix(f[0], ":") {
			if mine && (f[0] == "FilePmdMapped:" || f[0] == "Anonymous:") && len(f) >= 2 {
				kib, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil {
					return nil, fmt.Errorf("smaps: bad line %q", sc.Text())
				}
				if m := &out[len(out)-1]; f[0] == "Anonymous:" {
					m.anonKiB = kib
				} else {
					m.hugeKiB = kib
				}
			}
			continue
		}
		mine = false
		if len(f) < 5 {
			continue
		}
		if ino, err := strconv.ParseUint(f[4], 10, 64); err != nil || ino != inode {
			continue
		}
		start, end, ok := strings.Cut(f[0], "-")
		s, err1 := strconv.ParseUint(start, 16, 64)
		e, err2 := strconv.ParseUint(end, 16, 64)
		off, err3 := strconv.ParseUint(f[2], 16, 64)
		if !ok || err1 != nil || err2 != nil || err3 != nil || e <= s {
			return nil, fmt.Errorf("maps: bad line %q", sc.Text())
		}
		out = append(out, mapping{start: s, end: e, off: off, writable: strings.Contains(f[1], "w")})
		mine = true
	}
	return out, sc.Err()
}

// readOnlyCovered tells whether mappings without write permission cover [start, end) whole.
func readOnlyCovered(ms []mapping, start, end uint64) bool {
	for at := start; at < end; {
		next := at
		for _, m := range ms {
			if !m.writable && m.start <= at && at < m.end {
				next = m.end
				break
			}
		}
		if next == at {
			return false
		}
		at = next
	}
	return true
}

func pageDown(n uint64) uint64 { return n &^ 4095 }

// pageUp rounds n up to a 4 KiB page: a segment's last page is mapped whole.
func pageUp(n uint64) uint64 { return (n + 4095) &^ 4095 }
