package download

import (
	"fmt"
	"github.com/clubcedille/cedille-tui/internal/units"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// progressEvery bounds the callbacks to about 10 a second: enough for a smooth bar, and a TUI redraw
	// per 256 KB read would cost more than the download.
	progressEvery = 100 * time.Millisecond
	// rateWindow is the time constant of the rate's moving average: long enough that a Wi-Fi hiccup does
	// not make the ETA jump, short enough to follow a real change of speed.
	rateWindow = 3 * time.Second
)

// meter turns byte counts into throttled Progress callbacks. A nil callback makes every method a no-op.
type meter struct {
	fn  func(Progress)
	now func() time.Time
	p   Progress
	// last is the time of the last callback; at and atDone the last rate sample.
	last    time.Time
	at      time.Time
	atDone  int64
	sampled bool
}

func newMeter(fn func(Progress), now func() time.Time) *meter {
	return &meter{fn: fn, now: now}
}

// begin starts a phase — reading back bytes already on disk (verifying) or downloading — at done of
// total bytes. The rate starts afresh: a disk reads far faster than the network delivers.
func (m *meter) begin(done, total int64, resumed, verifying bool) {
	if m.fn == nil {
		return
	}
	m.p = Progress{Done: done, Total: total, ETA: -1, Resumed: resumed, Verifying: verifying}
	m.at, m.atDone, m.sampled = m.now(), done, false
}

// add counts n more bytes and calls back if the last call is old enough.
func (m *meter) add(n int64) {
	if m.fn == nil || n == 0 {
		return
	}
	m.p.Done += n
	now := m.now()
	if now.Sub(m.last) < progressEvery {
		return
	}
	if now.Sub(m.at) >= progressEvery {
		m.sample(now)
	}
	m.last = now
	m.fn(m.p)
}

// end makes the last call: everything is done, whatever the throttle says.
func (m *meter) end() {
	if m.fn == nil {
		return
	}
	now := m.now()
	m.sample(now)
	if m.p.Total < 0 {
		m.p.Total = m.p.Done
	}
	m.p.ETA = 0
	m.last = now
	m.fn(m.p)
}

// sample folds the rate since the last sample into an exponential moving average whose weight follows
// the elapsed time, so irregular callbacks do not skew it.
func (m *meter) sample(now time.Time) {
	dt := now.Sub(m.at).Seconds()
	if dt <= 0 {
		return
	}
	inst := float64(m.p.Done-m.atDone) / dt
	if m.sampled {
		m.p.Rate += (1 - math.Exp(-dt/rateWindow.Seconds())) * (inst - m.p.Rate)
	} else {
		m.p.Rate = inst
	}
	m.at, m.atDone, m.sampled = now, m.p.Done, true
	m.p.ETA = -1
	if m.p.Total >= 0 && m.p.Rate > 0 {
		m.p.ETA = time.Duration(float64(m.p.Total-m.p.Done) / m.p.Rate * float64(time.Second))
	}
}

const (
	barMin = 5
	barMax = 30
)

// FormatProgress renders p on one line of at most width cells, e.g.
// "[██████░░░░] 61% 183.2 MB/300.0 MB 12.4 MB/s ETA 9s". When narrow, the bar goes first, then the rate,
// then the total, then the size, then the ETA; the percentage goes last. Units are decimal (MB = 10⁶ B),
// as disks and the image factory count. With an unknown total there is no bar, percentage or ETA.
func FormatProgress(p Progress, width int) string {
	if width <= 0 {
		return ""
	}
	done := units.Binary(uint64(p.Done))
	var rate, eta string
	if p.Rate > 0 {
		rate = units.Binary(uint64(int64(p.Rate))) + "/s"
	}
	if p.Total < 0 {
		return fitFirst(width, join(done, rate), done)
	}
	if p.ETA >= 0 {
		eta = "ETA " + units.Duration(p.ETA.Round(time.Second))
	}
	frac := 1.0
	if p.Total > 0 {
		frac = min(1, max(0, float64(p.Done)/float64(p.Total)))
	}
	pct := fmt.Sprintf("%d%%", int(frac*100))
	sizes := done + "/" + units.Binary(uint64(p.Total))
	full := join(pct, sizes, rate, eta)
	if n := min(barMax, width-cells(full)-3); n >= barMin {
		return bar(frac, n) + " " + full
	}
	return fitFirst(width, full, join(pct, sizes, eta), join(pct, done, eta), join(pct, eta), pct)
}

// fitFirst returns the first candidate that fits, else the last one cut to width.
func fitFirst(width int, candidates ...string) string {
	for _, c := range candidates {
		if cells(c) <= width {
			return c
		}
	}
	last := candidates[len(candidates)-1]
	return string([]rune(last)[:width])
}

func bar(frac float64, n int) string {
	filled := int(frac * float64(n))
	return "[" + strings.Repeat("█", filled) + strings.Repeat("░", n-filled) + "]"
}

// join joins the non-empty fields with spaces.
func join(fields ...string) string {
	var b strings.Builder
	for _, f := range fields {
		if f == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String()
}

// cells is the width of the strings FormatProgress builds: every rune it uses is one cell wide.
func cells(s string) int { return utf8.RuneCountInString(s) }
