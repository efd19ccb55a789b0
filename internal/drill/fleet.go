package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/clubcedille/cedille-tui/internal/runbook"
)

// A fleet drill is a drill on the simulated era-2 fleet (`demo --era 2 --drill NAME`): the fault
// injected across the fleet, the person running the drill's runbook on each cluster from that cluster's
// console, each cluster's run observed through its own audit trail. Its times are the fleet's: detection
// until the runbook was first started on any cluster, response until the first action (or manual step)
// anywhere, repair until the runbook's last postcheck held on every cluster.

// FleetSim is the simulated fleet a fleet drill breaks, and mends where only hands could (*demo.Fleet).
type FleetSim interface {
	Clusters() []string
	FleetPowerLoss(ctx context.Context) error
	FleetPowerBack(ctx context.Context, cluster string) error
}

// FleetScenario is one fleet drill: the fault it injects across the fleet, the runbook that repairs it on
// each cluster, and what the simulation does when a manual step of that runbook is ticked on a cluster.
type FleetScenario struct {
	Name, Title, Runbook string
	// Look says in one short line what to look for in a fleet of that many clusters, after "DRILL name: "
	// on the banner.
	Look   func(clusters int) string
	Inject func(ctx context.Context, s FleetSim) error
	// Next is what the banner adds once the runbook's step of that ID is done on a cluster.
	Next map[string]string
	// Hands are what the simulation does, after a short boot, when the runbook's manual step of that ID
	// is ticked on the cluster.
	Hands map[string]func(ctx context.Context, s FleetSim, cluster string) error
}

// FleetScenarios lists every fleet drill, by name.
func FleetScenarios() []FleetScenario {
	return []FleetScenario{
		{Name: "cold-start", Title: "the power came back across the fleet: two thirds of the VMs off, pods fail their mounts, a database crash-loops",
			Runbook: "cold-start",
			Look: func(n int) string {
				return fmt.Sprintf("power's back: %d clusters Down — open one, r on a stuck pod", n)
			},
			Next: map[string]string{"survey": "tick power: the cluster's VMs boot",
				"storage":      "the CephCluster connected: its CSI plugins are stale (csi-plugins-stale)",
				"restart-pods": "a database pod still crash-looping? delete it (x)",
				"synced":       "next cluster: esc, then enter on another"},
			Inject: func(ctx context.Context, s FleetSim) error { return s.FleetPowerLoss(ctx) },
			Hands: map[string]func(context.Context, FleetSim, string) error{
				"power": func(ctx context.Context, s FleetSim, cluster string) error { return s.FleetPowerBack(ctx, cluster) },
			}},
	}
}

// LookupFleet finds a fleet drill by name.
func LookupFleet(name string) (FleetScenario, error) {
	return find(FleetScenarios(), func(s FleetScenario) string { return s.Name }, name, "fleet drill", "the drills of --era 2 are")
}

// ListFleet is `--era 2 --drill list`, as List.
func ListFleet(has func(runbook string) bool) string {
	var b strings.Builder
	b.WriteString("Drills on the fleet (cedille-tui demo --era 2 --drill NAME):\n")
	for _, s := range FleetScenarios() {
		rb := "runbook " + s.Runbook + " on each cluster"
		if !has(s.Runbook) {
			rb = "runbook " + s.Runbook + ", not in this build yet"
		}
		fmt.Fprintf(&b, "  %-18s %s (%s)\n", s.Name, s.Title, rb)
	}
	return b.String()
}

// ClusterProgress is the drill's runbook on one cluster.
type ClusterProgress struct {
	Cluster string
	Progress
}

// FleetProgress is a fleet drill as it stands: each cluster's run, in the fleet's order.
type FleetProgress struct {
	Injected time.Time
	Clusters []ClusterProgress
}

// Detected is when the runbook was first started on a cluster (zero: not yet).
func (p FleetProgress) Detected() time.Time {
	return p.first(func(c Progress) time.Time { return c.Detected })
}

// Responded is when the first action or manual step was done on a cluster (zero: not yet).
func (p FleetProgress) Responded() time.Time {
	return p.first(func(c Progress) time.Time { return c.Responded })
}

// Repaired is when the runbook's last postcheck had held on every cluster (zero: not yet).
func (p FleetProgress) Repaired() time.Time {
	var last time.Time
	for _, c := range p.Clusters {
		if c.Repaired.IsZero() {
			return time.Time{}
		}
		if c.Repaired.After(last) {
			last = c.Repaired
		}
	}
	return last
}

func (p FleetProgress) first(at func(Progress) time.Time) time.Time {
	var first time.Time
	for _, c := range p.Clusters {
		if t := at(c.Progress); !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first
}

// Detection, Response and Repair are the fleet's times from the injection (0 while not reached).
func (p FleetProgress) Detection() time.Duration { return runbook.Span(p.Injected, p.Detected()) }
func (p FleetProgress) Response() time.Duration  { return runbook.Span(p.Injected, p.Responded()) }
func (p FleetProgress) Repair() time.Duration    { return runbook.Span(p.Injected, p.Repaired()) }

// FleetDrill is one fleet drill running on the simulated fleet. Safe for concurrent use.
type FleetDrill struct {
	sc   FleetScenario
	sim  FleetSim
	boot time.Duration
	now  func() time.Time
	ctx  context.Context

	mu       sync.Mutex
	injected time.Time
	order    []string
	obs      map[string]*Observer
	handErr  []error
	hands    sync.WaitGroup
	changed  chan struct{}
}

// StartFleet injects sc's fault into the fleet, rb being the runbook that repairs it on each cluster, and
// starts the clock. ctx bounds the hands the drill plays later.
func StartFleet(ctx context.Context, sc FleetScenario, rb runbook.Runbook, sim FleetSim, o Options) (*FleetDrill, error) {
	if rb.Name != sc.Runbook {
		return nil, fmt.Errorf("drill %s is repaired by runbook %s, not %s", sc.Name, sc.Runbook, rb.Name)
	}
	d := &FleetDrill{sc: sc, sim: sim, ctx: ctx, obs: map[string]*Observer{}, changed: make(chan struct{}, 1)}
	d.boot, d.now = o.clock()
	if err := sc.Inject(ctx, sim); err != nil {
		return nil, fmt.Errorf("drill %s: the fault could not be injected: %w", sc.Name, err)
	}
	d.injected = d.now()
	d.order = sim.Clusters()
	for _, c := range d.order {
		d.obs[c] = NewObserver(rb, d.injected)
	}
	return d, nil
}

// Scenario is the drill's scenario.
func (d *FleetDrill) Scenario() FleetScenario { return d.sc }

// Sink is next, telling the drill each record the cluster's console wrote (its engine's and its
// dispatcher's audit sink).
func (d *FleetDrill) Sink(cluster string, next func(audit.Record) error) func(audit.Record) error {
	return func(r audit.Record) error {
		if err := next(r); err != nil {
			return err
		}
		d.Observe(cluster, r)
		return nil
	}
}

// Observe takes one record of the cluster's audit trail, as written now, and plays the hands of a
// manual step it says was ticked. A cluster not in the fleet is ignored.
func (d *FleetDrill) Observe(cluster string, r audit.Record) {
	d.mu.Lock()
	o := d.obs[cluster]
	if o == nil {
		d.mu.Unlock()
		return
	}
	ticked := o.Observe(r, d.now())
	hand := d.sc.Hands[ticked]
	if hand != nil {
		d.hands.Add(1)
	}
	d.mu.Unlock()
	signal(d.changed)
	if hand == nil {
		return
	}
	go playHand(d.ctx, d.boot, &d.hands, func(ctx context.Context) error { return hand(ctx, d.sim, cluster) }, func(err error) {
		d.mu.Lock()
		if err != nil {
			d.handErr = append(d.handErr, fmt.Errorf("the simulation could not do step %s on %s: %w", ticked, cluster, err))
		}
		d.mu.Unlock()
		signal(d.changed)
	})
}

// Changed receives when the drill's progress changed (the banner is to be drawn again).
func (d *FleetDrill) Changed() <-chan struct{} { return d.changed }

// Progress is the drill as it stands.
func (d *FleetDrill) Progress() FleetProgress {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := FleetProgress{Injected: d.injected}
	for _, c := range d.order {
		p.Clusters = append(p.Clusters, ClusterProgress{Cluster: c, Progress: d.obs[c].Progress()})
	}
	return p
}

// Wait waits for the hands the drill plays, and says what they could not do.
func (d *FleetDrill) Wait() error {
	d.hands.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	return errors.Join(d.handErr...)
}

// Banner is the console's line about the drill now.
func (d *FleetDrill) Banner() string {
	d.mu.Lock()
	err := errors.Join(d.handErr...)
	d.mu.Unlock()
	if err != nil {
		return "DRILL " + d.sc.Name + ": " + oneLine(err.Error())
	}
	return FleetBanner(d.sc, d.Progress(), d.now())
}

// FleetBanner is the console's one line about a fleet drill as it stands at now: what to look for until
// the runbook starts anywhere, then how many clusters are repaired and the last cluster's step, then the
// fleet's times.
func FleetBanner(s FleetScenario, p FleetProgress, now time.Time) string {
	head := "DRILL " + s.Name + ": "
	elapsed := runbook.ReportTime(runbook.Span(p.Injected, now).Truncate(time.Second))
	if p.Detected().IsZero() {
		return fmt.Sprintf("%s%s · %s", head, s.Look(len(p.Clusters)), elapsed)
	}
	repaired, ended, failed := 0, 0, ""
	var last Mark
	lastCluster := ""
	for _, c := range p.Clusters {
		if !c.Repaired.IsZero() {
			repaired++
		}
		if !c.Ended.IsZero() {
			ended++
			if c.Outcome != "done" && failed == "" {
				failed = c.Cluster + ": " + c.Outcome
			}
		}
		if n := len(c.Marks); n > 0 && c.Marks[n-1].At.After(last.At) {
			last, lastCluster = c.Marks[n-1], c.Cluster
		}
	}
	switch {
	case failed != "":
		return head + "over on " + failed + " — q: the report"
	case ended == len(p.Clusters) || !p.Repaired().IsZero():
		return fmt.Sprintf("%sdone across the fleet: detection %s, response %s, repair %s — q: the report", head,
			runbook.ReportTime(p.Detection()), runbook.ReportTime(p.Response()), runbook.ReportTime(p.Repair()))
	}
	line := fmt.Sprintf("%s%s · %d of %d clusters repaired", head, elapsed, repaired, len(p.Clusters))
	if lastCluster != "" {
		what := "step " + last.Step + " done"
		if next := s.Next[last.Step]; next != "" {
			what = next
		}
		line += " · " + lastCluster + ": " + what
	}
	return line
}

// FleetReport is a finished (or stopped) fleet drill.
type FleetReport struct {
	Scenario FleetScenario
	Progress FleetProgress
	// Incidents are the paths of each cluster's run's incident report, by cluster.
	Incidents map[string]string
}

// Report is the drill's report as it stands, naming each cluster's incident report.
func (d *FleetDrill) Report(incidents map[string]string) FleetReport {
	return FleetReport{Scenario: d.sc, Progress: d.Progress(), Incidents: incidents}
}

// Times is the one line of the fleet's three times.
func (r FleetReport) Times() string {
	p := r.Progress
	return times(p.Detection(), p.Response(), p.Repair())
}

// Markdown is the drill's report: the fleet's times, then each cluster's run.
func (r FleetReport) Markdown() string {
	var b strings.Builder
	p := r.Progress
	fmt.Fprintf(&b, "# Drill %s across the fleet: %s\n\n", r.Scenario.Name, r.Scenario.Title)
	names := make([]string, len(p.Clusters))
	for i, c := range p.Clusters {
		names[i] = c.Cluster
	}
	fmt.Fprintf(&b, "Fault injected at %s UTC into the demo's simulated fleet (%s); repaired with runbook `%s` on each cluster.\n\n",
		p.Injected.UTC().Format("2006-01-02 15:04:05"), strings.Join(names, ", "), r.Scenario.Runbook)
	b.WriteString("## Times\n\n| cluster | detection | response | repair |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| the fleet | %s | %s | %s |\n", runbook.ReportTime(p.Detection()), runbook.ReportTime(p.Response()), runbook.ReportTime(p.Repair()))
	for _, c := range p.Clusters {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Cluster, runbook.ReportTime(c.Detection()), runbook.ReportTime(c.Response()), runbook.ReportTime(c.Repair()))
	}
	b.WriteString("\nFrom the fault's injection: detection until the runbook was first started on a cluster, response until the first action (or manual step) was done on one, repair until its last postcheck had held on every cluster.\n")
	for _, c := range p.Clusters {
		fmt.Fprintf(&b, "\n## %s", c.Cluster)
		if c.Run != "" {
			fmt.Fprintf(&b, " (run %s)", c.Run)
		}
		b.WriteString("\n\n")
		writeRun(&b, "###", c.Progress, r.Incidents[c.Cluster])
	}
	return b.String()
}

// WriteFleet writes the report in dir (made 0700) as <date>-fleet-<drill>.md, and returns its path.
func WriteFleet(dir string, r FleetReport) (string, error) {
	return writeIn(dir, fmt.Sprintf("%s-fleet-%s.md", r.Progress.Injected.UTC().Format("2006-01-02-150405"), r.Scenario.Name), r.Markdown())
}
