package drill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/atomicfile"
	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// Options shape a drill's run.
type Options struct {
	// Boot is how long the simulation takes to do what a ticked manual step asks (a machine's boot, the
	// custodians' shares): DefaultBoot when 0, none when negative (tests).
	Boot time.Duration
	Now  func() time.Time
}

// clock is the boot the options ask for (DefaultBoot when 0, none when negative) and the clock.
func (o Options) clock() (time.Duration, func() time.Time) {
	boot, now := o.Boot, o.Now
	if now == nil {
		now = time.Now
	}
	switch {
	case boot == 0:
		boot = DefaultBoot
	case boot < 0:
		boot = 0
	}
	return boot, now
}

// DefaultBoot is a simulated machine's boot, or the custodians' ceremony.
const DefaultBoot = 4 * time.Second

// Drill is one drill running on a simulated platform: the fault injected, the run observed through the
// audit records it is given (Sink), the hands of its manual steps played. Safe for concurrent use.
type Drill struct {
	sc     Scenario
	sim    Sim
	target runbook.Target
	boot   time.Duration
	now    func() time.Time
	ctx    context.Context

	mu      sync.Mutex
	obs     *Observer
	handErr []error
	hands   sync.WaitGroup
	changed chan struct{}
}

// Start injects sc's fault into sim, rb being the runbook that repairs it, and starts the clock. ctx
// bounds the hands the drill plays later.
func Start(ctx context.Context, sc Scenario, rb runbook.Runbook, sim Sim, o Options) (*Drill, error) {
	if rb.Name != sc.Runbook {
		return nil, fmt.Errorf("drill %s is repaired by runbook %s, not %s", sc.Name, sc.Runbook, rb.Name)
	}
	d := &Drill{sc: sc, sim: sim, ctx: ctx, changed: make(chan struct{}, 1)}
	d.boot, d.now = o.clock()
	t, err := sc.Inject(ctx, sim)
	if err != nil {
		return nil, fmt.Errorf("drill %s: the fault could not be injected: %w", sc.Name, err)
	}
	d.target = t
	d.obs = NewObserver(rb, d.now())
	return d, nil
}

// Scenario is the drill's scenario.
func (d *Drill) Scenario() Scenario { return d.sc }

// Target is what the drill's runbook is aimed at (the zero Target: the platform).
func (d *Drill) Target() runbook.Target { return d.target }

// Sink is next, telling the drill each record it wrote: the engine's and the dispatcher's audit sink.
// A record next refused is not observed.
func (d *Drill) Sink(next func(audit.Record) error) func(audit.Record) error {
	return func(r audit.Record) error {
		if err := next(r); err != nil {
			return err
		}
		d.Observe(r)
		return nil
	}
}

// Observe takes one record of the audit trail, as written now, and plays the hands of a manual step it
// says was ticked.
func (d *Drill) Observe(r audit.Record) {
	d.mu.Lock()
	ticked := d.obs.Observe(r, d.now())
	hand := d.sc.Hands[ticked]
	if hand != nil {
		d.hands.Add(1)
	}
	d.mu.Unlock()
	d.signal()
	if hand == nil {
		return
	}
	go playHand(d.ctx, d.boot, &d.hands, func(ctx context.Context) error { return hand(ctx, d.sim, d.target) }, func(err error) {
		d.mu.Lock()
		if err != nil {
			d.handErr = append(d.handErr, fmt.Errorf("the simulation could not do step %s: %w", ticked, err))
		}
		d.mu.Unlock()
		d.signal()
	})
}

// playHand does hand after boot (unless ctx ends first) and tells done what came of it; wg.Done once
// over. It is run as a goroutine, wg.Add(1) done before.
func playHand(ctx context.Context, boot time.Duration, wg *sync.WaitGroup, hand func(context.Context) error, done func(error)) {
	defer wg.Done()
	if boot > 0 {
		t := time.NewTimer(boot)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	done(hand(ctx))
}

func (d *Drill) signal() { signal(d.changed) }

// signal says on changed, without waiting, that something changed.
func signal(changed chan struct{}) {
	select {
	case changed <- struct{}{}:
	default:
	}
}

// Changed receives when the drill's progress changed (the banner is to be drawn again).
func (d *Drill) Changed() <-chan struct{} { return d.changed }

// Progress is the drill as it stands.
func (d *Drill) Progress() Progress {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.obs.Progress()
}

// Banner is the console's line about the drill now.
func (d *Drill) Banner() string {
	d.mu.Lock()
	err := errors.Join(d.handErr...)
	d.mu.Unlock()
	if err != nil {
		return "DRILL " + d.sc.Name + ": " + oneLine(err.Error())
	}
	return Banner(d.sc, d.Progress(), d.now())
}

// Wait waits for the hands the drill plays, and says what they could not do.
func (d *Drill) Wait() error {
	d.hands.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return errors.Join(d.handErr...)
}

// Report is the drill's report as it stands, naming the run's incident report.
func (d *Drill) Report(incident string) Report {
	return Report{Scenario: d.sc, Target: d.target, Progress: d.Progress(), Incident: incident}
}

// Write writes the report in dir (made 0700) as <date>-<drill>.md, and returns its path.
func Write(dir string, r Report) (string, error) {
	return writeIn(dir, fmt.Sprintf("%s-%s.md", r.Progress.Injected.UTC().Format("2006-01-02-150405"), r.Scenario.Name), r.Markdown())
}

// writeIn writes text in dir (made 0700) as name, and returns its path.
func writeIn(dir, name, text string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, atomicfile.Write(path, []byte(text), 0o600)
}
