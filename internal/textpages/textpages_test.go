package textpages

import (
	"reflect"
	"strings"
	"testing"
)

// The segments and maps of a cgo build (dynamically linked, non-PIE): the read-only data ends in the
// same file page as the writable segment begins, and the dynamic loader protects that page (RELRO).
var cgoSegs = []Segment{
	{Off: 0, Vaddr: 0x400000, Size: 0x193ba08},
	{Off: 0x193c000, Vaddr: 0x1d3c000, Size: 0x2b6c0d9},
	{Off: 0x44a9000, Vaddr: 0x48a9000, Size: 0x365f4b8},
}

const cgoMaps = `00400000-01d3c000 r--p 00000000 fe:00 42 /tmp/loadgen
01d3c000-048a9000 r-xp 0193c000 fe:00 42 /tmp/loadgen
048a9000-07f09000 r--p 044a9000 fe:00 42 /tmp/loadgen
07f09000-07f0a000 r--p 07b08000 fe:00 42 /tmp/loadgen
07f0a000-080cf000 rw-p 07b09000 fe:00 42 /tmp/loadgen
080cf000-0a35e000 rw-p 00000000 00:00 0
7f00e0000000-7f00e0021000 r--p 00000000 fe:00 77 /usr/lib/x86_64-linux-gnu/libc.so.6
`

func TestReadOnlySpans(t *testing.T) {
	tests := []struct {
		name  string
		maps  string
		inode uint64
		segs  []Segment
		pie   bool
		want  []Span
	}{
		{name: "cgo build: the three read-only segments, not the RELRO page after them",
			maps: cgoMaps, inode: 42, segs: cgoSegs,
			want: []Span{{Start: 0x400000, End: 0x1d3c000}, {Start: 0x1d3c000, End: 0x48a9000}, {Start: 0x48a9000, End: 0x7f09000}}},
		{name: "another inode's mappings are not the binary's", maps: cgoMaps, inode: 77, segs: cgoSegs},
		{name: "a segment mapped writable (debugger, relocation) is left alone",
			maps:  "00400000-00402000 r-xp 00000000 fe:00 5 /bin/x\n00402000-00403000 rw-p 00002000 fe:00 5 /bin/x\n",
			inode: 5, segs: []Segment{{Off: 0, Vaddr: 0x400000, Size: 0x2000}, {Off: 0x2000, Vaddr: 0x402000, Size: 0x800}},
			want: []Span{{Start: 0x400000, End: 0x402000}}},
		{name: "a segment only partly mapped is left alone",
			maps:  "00400000-00401000 r-xp 00000000 fe:00 5 /bin/x\n",
			inode: 5, segs: []Segment{{Off: 0, Vaddr: 0x400000, Size: 0x2000}}},
		{name: "a position-independent binary is placed by its first page",
			maps: "55d0c0000000-55d0c0002000 r--p 00000000 fe:00 9 /bin/pie\n" +
				"55d0c0002000-55d0c0005000 r-xp 00002000 fe:00 9 /bin/pie\n" +
				"55d0c0006000-55d0c0007000 rw-p 00005000 fe:00 9 /bin/pie\n",
			inode: 9, pie: true,
			segs: []Segment{{Off: 0, Vaddr: 0, Size: 0x1800}, {Off: 0x2000, Vaddr: 0x2000, Size: 0x2100}},
			want: []Span{{Start: 0x55d0c0000000, End: 0x55d0c0002000}, {Start: 0x55d0c0002000, End: 0x55d0c0005000}}},
		{name: "nothing mapped", maps: "", inode: 5, segs: cgoSegs},
		{name: "smaps: what the kernel maps in 2 MiB pages is counted, the other mappings' lines skipped",
			maps: "00400000-00800000 r-xp 00000000 fe:00 5 /bin/x\nRss: 4096 kB\nFilePmdMapped: 2048 kB\n" +
				"VmFlags: rd ex mr mw me\n" +
				"00800000-00a00000 r--p 00400000 fe:00 5 /bin/x\nFilePmdMapped: 0 kB\n" +
				"00a00000-00a01000 rw-p 00600000 fe:00 5 /bin/x\nFilePmdMapped: 0 kB\n" +
				"7f0000000000-7f0000400000 r--p 00000000 fe:00 6 /lib/big\nFilePmdMapped: 4096 kB\n",
			inode: 5,
			segs:  []Segment{{Off: 0, Vaddr: 0x400000, Size: 0x400000}, {Off: 0x400000, Vaddr: 0x800000, Size: 0x1ff000}},
			want:  []Span{{Start: 0x400000, End: 0x800000, Huge: 2 << 20}, {Start: 0x800000, End: 0x9ff000}}},
		{name: "smaps: a segment with pages of the process's own (breakpoints) is marked written",
			maps: "00400000-00402000 r-xp 00000000 fe:00 5 /bin/x\nAnonymous: 4 kB\nFilePmdMapped: 0 kB\n" +
				"00402000-00404000 r--p 00002000 fe:00 5 /bin/x\nAnonymous: 0 kB\n",
			inode: 5,
			segs:  []Segment{{Off: 0, Vaddr: 0x400000, Size: 0x2000}, {Off: 0x2000, Vaddr: 0x402000, Size: 0x2000}},
			want:  []Span{{Start: 0x400000, End: 0x402000, Written: true}, {Start: 0x402000, End: 0x404000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadOnlySpans(strings.NewReader(tt.maps), tt.inode, tt.segs, tt.pie)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("spans = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestReadOnlySpansErrors(t *testing.T) {
	tests := []struct {
		name, maps string
		pie        bool
	}{
		{name: "a bad range", maps: "00400000+00402000 r-xp 00000000 fe:00 5 /bin/x\n"},
		{name: "a bad offset", maps: "00400000-00402000 r-xp zz fe:00 5 /bin/x\n"},
		{name: "an empty range", maps: "00402000-00400000 r-xp 00000000 fe:00 5 /bin/x\n"},
		{name: "a bad smaps size", maps: "00400000-00402000 r-xp 00000000 fe:00 5 /bin/x\nFilePmdMapped: lots kB\n"},
		{name: "a bad anonymous size", maps: "00400000-00402000 r-xp 00000000 fe:00 5 /bin/x\nAnonymous: -- kB\n"},
		{name: "a position-independent binary without its first page",
			maps: "55d0c0002000-55d0c0005000 r-xp 00002000 fe:00 5 /bin/pie\n", pie: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs := []Segment{{Off: 0, Vaddr: 0x400000, Size: 0x2000}}
			if _, err := ReadOnlySpans(strings.NewReader(tt.maps), 5, segs, tt.pie); err == nil {
				t.Error("no error")
			}
		})
	}
}
