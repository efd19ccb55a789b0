package wizard

import (
	"math"
	"time"

	"github.com/clubcedille/cedille-tui/internal/download"
)

// rateWindow is the time constant of the rate's moving average (as the download package's own meter):
// a Wi-Fi hiccup does not make the ETA jump.
const rateWindow = 3 * time.Second

// minSample is the shortest interval a rate is measured over.
const minSample = 100 * time.Millisecond

// meter follows a step's byte counter from its events' timestamps: pure, so the same events give the
// same rate and ETA.
type meter struct {
	done, total int64
	started     bool
	// at and atDone are the last rate sample.
	at      time.Time
	atDone  int64
	rate    float64
	sampled bool
}

// next folds one event (done of total bytes, reported at at) into the meter.
func (m meter) next(done, total int64, at time.Time) meter {
	if !m.started || done < m.atDone {
		return meter{done: done, total: total, started: true, at: at, atDone: done}
	}
	m.done, m.total = done, total
	dt := at.Sub(m.at)
	if dt < minSample {
		return m
	}
	inst := float64(done-m.atDone) / dt.Seconds()
	if m.sampled {
		m.rate += (1 - math.Exp(-dt.Seconds()/rateWindow.Seconds())) * (inst - m.rate)
	} else {
		m.rate = inst
	}
	m.at, m.atDone, m.sampled = at, done, true
	return m
}

// progress is the meter as download.FormatProgress takes it.
func (m meter) progress() download.Progress {
	p := download.Progress{Done: m.done, Total: m.total, Rate: m.rate, ETA: -1}
	switch {
	case m.total > 0 && m.done >= m.total:
		p.ETA = 0
	case m.total > 0 && m.rate > 0:
		p.ETA = time.Duration(float64(m.total-m.done) / m.rate * float64(time.Second))
	}
	return p
}
