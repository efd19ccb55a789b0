package wizard

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/steps"
	"github.com/clubcedille/cedille-tui/internal/ui/common"
	"github.com/clubcedille/cedille-tui/internal/ui/theme"
	"github.com/clubcedille/cedille-tui/internal/units"
)

// The ISO, cluster and Vault forms are huh forms embedded in the model (or run on their own in
// accessible mode). Their values live in plain structs; parsing and checking them are plain functions.
// The Vault forms name files and client IDs only: every secret is asked during the step's run (prompt.go).

// CommonExtensions are the system extensions offered by name; others are typed, comma-separated.
var CommonExtensions = []string{
	"siderolabs/iscsi-tools",
	"siderolabs/util-linux-tools",
	"siderolabs/intel-ucode",
	"siderolabs/amd-ucode",
	"siderolabs/qemu-guest-agent",
}

// isoValues are the ISO form's fields.
type isoValues struct {
	Talos, Arch      string
	Extensions       []string // among CommonExtensions
	Other            string   // more extensions, comma-separated
	KernelArgs       string   // space-separated
	Dir, Preset      string
	versions         []string // offered, newest first
	versionsFromOmni bool
	arches           []string
	commonExtensions []string
}

// newISOValues reads the plan's ISO choices, with the newest offered version when none is chosen.
func newISOValues(p plan.ISO, inv *plan.Inventory) isoValues {
	v := isoValues{Talos: p.TalosVersion, Arch: p.Arch, KernelArgs: strings.Join(p.KernelArgs, " "),
		Dir: p.Dir, Preset: p.Preset, arches: []string{"amd64", "arm64"}, commonExtensions: CommonExtensions}
	if inv != nil && len(inv.TalosVersions) > 0 {
		v.versions = slices.Clone(inv.TalosVersions)
		slices.Reverse(v.versions)
		v.versionsFromOmni = true
		chosen := v.versions[0] // the newest, unless the plan names an offered one
		for _, o := range v.versions {
			if plan.Canonical(o) == plan.Canonical(v.Talos) {
				chosen = o // the offered spelling, so the Select finds it
			}
		}
		v.Talos = chosen
	}
	if v.Arch == "" {
		v.Arch = plan.DefaultArch
	}
	if v.Preset == "" {
		v.Preset = plan.DefaultPreset
	}
	var other []string
	for _, e := range p.Extensions {
		if slices.Contains(CommonExtensions, e) {
			v.Extensions = append(v.Extensions, e)
		} else {
			other = append(other, e)
		}
	}
	v.Other = strings.Join(other, ", ")
	return v
}

// SplitList reads a comma-separated list: items trimmed, empty ones dropped.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// extensions is the chosen extensions: the common ones in their order, then the typed ones, once each.
func (v isoValues) extensions() []string {
	var out []string
	for _, e := range CommonExtensions {
		if slices.Contains(v.Extensions, e) {
			out = append(out, e)
		}
	}
	for _, e := range SplitList(v.Other) {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// applyTo writes the form into the plan's ISO.
func (v isoValues) applyTo(i plan.ISO) plan.ISO {
	i.TalosVersion = strings.TrimSpace(v.Talos)
	i.Arch = v.Arch
	i.Extensions = v.extensions()
	i.KernelArgs = strings.Fields(v.KernelArgs)
	i.Dir = strings.TrimSpace(v.Dir)
	i.Preset = strings.TrimSpace(v.Preset)
	return i
}

// checkExtensions refuses a typed extension that is not a name.
func checkExtensions(s string) error {
	for _, e := range SplitList(s) {
		if strings.ContainsAny(e, " \t") {
			return fmt.Errorf("%q is not an extension name like siderolabs/iscsi-tools (separate them with commas)", e)
		}
	}
	return nil
}

func checkPreset(s string) error {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "/\\ ") {
		return fmt.Errorf("a preset name is one word, like %s", plan.DefaultPreset)
	}
	return nil
}

func checkVersion(field string) func(string) error {
	return func(s string) error {
		p := plan.New()
		p.ISO.TalosVersion, p.Cluster.KubernetesVersion = s, s
		return firstProblem(p.Validate(nil).Only(field))
	}
}

// firstProblem is a field's refusal: the first of its problems, without the path (the field names it).
func firstProblem(ps plan.Problems) error {
	if len(ps) == 0 {
		return nil
	}
	return errors.New(ps[0].Message)
}

// keepEmpty lets an accessible prompt's empty answer through: it keeps the default shown.
func keepEmpty(accessible bool, check func(string) error) func(string) error {
	if !accessible {
		return check
	}
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

// inputTitle shows, in accessible mode, the value an empty answer keeps.
func inputTitle(title, value string, accessible bool) string {
	if accessible && value != "" {
		return title + " [" + value + "; enter keeps it]"
	}
	return title
}

// isoForm builds the ISO form over v (three pages: version and architecture, extensions, the rest).
func isoForm(v *isoValues, accessible bool) *huh.Form {
	var version huh.Field
	if v.versionsFromOmni {
		version = huh.NewSelect[string]().Title("Talos version").
			Description("offered by this Omni, newest first").
			Value(&v.Talos).Options(huh.NewOptions(v.versions...)...).Height(min(len(v.versions)+2, 7))
	} else {
		version = huh.NewInput().Title(inputTitle("Talos version", v.Talos, accessible)).Description("Omni's versions could not be read: type one, like 1.11.5").
			Value(&v.Talos).Validate(keepEmpty(accessible, checkVersion("iso.talosVersion")))
	}
	arch := huh.NewSelect[string]().Title("Architecture").Value(&v.Arch).Options(huh.NewOptions(v.arches...)...)
	exts := huh.NewMultiSelect[string]().Title("System extensions").
		Description("x or space toggles; none is needed for Mayastor").
		Value(&v.Extensions).Options(huh.NewOptions(v.commonExtensions...)...).Height(len(v.commonExtensions) + 2)
	other := huh.NewInput().Title(inputTitle("Other extensions", v.Other, accessible)).Description("comma-separated, e.g. siderolabs/nut-client").
		Value(&v.Other).Validate(checkExtensions)
	kargs := huh.NewInput().Title(inputTitle("Extra kernel arguments", v.KernelArgs, accessible)).Description("space-separated; Omni adds its own SideroLink ones").
		Value(&v.KernelArgs)
	dir := huh.NewInput().Title(inputTitle("Download directory", v.Dir, accessible)).Description("empty: the current directory").Value(&v.Dir)
	preset := huh.NewInput().Title(inputTitle("Preset name", v.Preset, accessible)).Description("the choices are saved under it for machines added later").
		Value(&v.Preset).Validate(keepEmpty(accessible, checkPreset))
	return huh.NewForm(
		huh.NewGroup(version, arch),
		huh.NewGroup(exts, other),
		huh.NewGroup(kargs, dir, preset),
	)
}

// clusterValues are the cluster form's fields.
type clusterValues struct {
	Name, Kubernetes string
	versions         []string // supported by the chosen Talos, newest first
	talos            string
}

func newClusterValues(p plan.Plan, inv *plan.Inventory) clusterValues {
	p = p.WithDefaults()
	v := clusterValues{Name: p.Cluster.Name, Kubernetes: p.Cluster.KubernetesVersion, talos: p.Cluster.TalosVersion}
	if inv != nil {
		v.versions = slices.Clone(inv.KubernetesVersions[plan.Canonical(v.talos)])
		slices.Reverse(v.versions)
	}
	if len(v.versions) > 0 && !slices.Contains(v.versions, v.Kubernetes) {
		v.Kubernetes = v.versions[0]
	}
	return v
}

func checkClusterName(s string) error {
	p := plan.New()
	p.Cluster.Name = s
	return firstProblem(p.Validate(nil).Only("cluster.name"))
}

// clusterForm builds the cluster form over v.
func clusterForm(v *clusterValues, accessible bool) *huh.Form {
	name := huh.NewInput().Title(inputTitle("Cluster name", v.Name, accessible)).Description("the Omni cluster; you type it again to confirm the wipe").
		Value(&v.Name).Validate(keepEmpty(accessible, checkClusterName))
	var kube huh.Field
	if len(v.versions) > 0 {
		kube = huh.NewSelect[string]().Title("Kubernetes version").
			Description("supported by Talos " + plan.Canonical(v.talos) + ", newest first").
			Value(&v.Kubernetes).Options(huh.NewOptions(v.versions...)...).Height(min(len(v.versions)+2, 7))
	} else {
		kube = huh.NewInput().Title(inputTitle("Kubernetes version", v.Kubernetes, accessible)).Description("like 1.34.1").
			Value(&v.Kubernetes).Validate(keepEmpty(accessible, checkVersion("cluster.kubernetesVersion")))
	}
	return huh.NewForm(huh.NewGroup(name, kube))
}

// vaultInitValues are the vault-init form's fields.
type vaultInitValues struct {
	Shares, Threshold string
	// Keys are the custodians' PGP public key files, comma-separated, one per share.
	Keys string
	// Dir is where the encrypted shares are exported (only with Keys).
	Dir string
	// RootKey is the PGP key file the root token is exported encrypted to.
	RootKey string
	// isoDir is where the root token goes when Dir is empty.
	isoDir string
}

// newVaultInitValues reads the plan's Vault section (the split's defaults when none is chosen).
func newVaultInitValues(p plan.Plan) vaultInitValues {
	v := p.Vault.WithDefaults()
	out := vaultInitValues{Shares: strconv.Itoa(v.Shares), Threshold: strconv.Itoa(v.Threshold),
		RootKey: v.RootToken.PGPKey, isoDir: p.ISO.Dir}
	var keys []string
	for _, c := range v.Custodians {
		if c.PGPKey != "" {
			keys = append(keys, c.PGPKey)
		}
		if c.ShareFile != "" && out.Dir == "" {
			out.Dir = filepath.Dir(c.ShareFile)
		}
	}
	out.Keys = strings.Join(keys, ", ")
	return out
}

// count reads a whole number of the form (0 when it is not one).
func count(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}

// applyTo writes the form into the plan's Vault section: one custodian per key file (none: the plain
// ceremony, each share shown once), their exported shares as <dir>/share-<n>.asc, the root token's key
// and its file <dir, else the ISO's directory, else the current one>/root-token.asc.
func (v vaultInitValues) applyTo(old plan.Vault) plan.Vault {
	out := old
	out.Shares, out.Threshold = count(v.Shares), count(v.Threshold)
	dir := strings.TrimSpace(v.Dir)
	out.Custodians = nil
	for i, k := range SplitList(v.Keys) {
		c := plan.Custodian{PGPKey: k}
		if i < len(old.Custodians) {
			c.Name = old.Custodians[i].Name
		}
		if dir != "" {
			c.ShareFile = filepath.Join(dir, fmt.Sprintf("share-%d.asc", i+1))
		}
		out.Custodians = append(out.Custodians, c)
	}
	out.RootToken = plan.RootTokenExport{}
	if k := strings.TrimSpace(v.RootKey); k != "" {
		out.RootToken.PGPKey = k
		out.RootToken.File = filepath.Join(cmp.Or(dir, strings.TrimSpace(v.isoDir)), "root-token.asc")
	}
	return out
}

// vaultInitProblems are the plan's problems in what the vault-init form fills.
func vaultInitProblems(p plan.Plan) plan.Problems {
	return p.ValidateVault(false).Only("vault.shares", "vault.threshold", "vault.custodians", "vault.rootToken")
}

// vaultSplitProblem checks a split with the plan's own rules (path vault.shares or vault.threshold).
func vaultSplitProblem(path string, shares, threshold int) error {
	p := plan.New()
	p.Vault.Shares, p.Vault.Threshold = shares, threshold
	return firstProblem(p.ValidateVault(false).Only(path))
}

func checkShares(s string) error {
	n := count(s)
	if n < 1 {
		return fmt.Errorf("%q: a number of shares, 1 to 255", strings.TrimSpace(s))
	}
	return vaultSplitProblem("vault.shares", n, 1)
}

func (v *vaultInitValues) checkThreshold(s string) error {
	t := count(s)
	if t < 1 {
		return fmt.Errorf("%q: how many shares unseal Vault, at least 1", strings.TrimSpace(s))
	}
	n := count(v.Shares)
	if n < 1 {
		n = plan.DefaultShares
	}
	return vaultSplitProblem("vault.threshold", n, t)
}

func (v *vaultInitValues) checkKeys(s string) error {
	keys := SplitList(s)
	if len(keys) == 0 {
		return nil
	}
	if n := max(count(v.Shares), 1); len(keys) != n {
		return fmt.Errorf("%s for %s: give one per share, in the custodians' order (or none)",
			units.Count(len(keys), "key file"), units.Count(n, "share"))
	}
	// The files themselves are read by the step (Update does no I/O): one it cannot read fails the
	// step with the field's path, and e comes back here.
	return nil
}

func (v *vaultInitValues) checkDir(s string) error {
	dir := strings.TrimSpace(s)
	if dir == "" {
		return nil
	}
	if len(SplitList(v.Keys)) == 0 {
		return errors.New("only with the custodians' PGP keys: a plaintext share is never written to a file")
	}
	return nil
}

// vaultInitForm builds the vault-init form over v: the split, then the custodians' keys and exports.
func vaultInitForm(v *vaultInitValues, accessible bool) *huh.Form {
	shares := huh.NewInput().Title(inputTitle("Key shares", v.Shares, accessible)).
		Description("one per custodian (Vault's default: 5)").Value(&v.Shares).Validate(keepEmpty(accessible, checkShares))
	threshold := huh.NewInput().Title(inputTitle("Threshold", v.Threshold, accessible)).
		Description("how many of the shares unseal Vault (default 3)").Value(&v.Threshold).
		Validate(keepEmpty(accessible, v.checkThreshold))
	keys := huh.NewInput().Title(inputTitle("Custodians' PGP public key files (optional)", v.Keys, accessible)).
		Description("comma-separated, one per share; empty = each share is shown on screen once").
		Value(&v.Keys).Validate(v.checkKeys)
	dir := huh.NewInput().Title(inputTitle("Export the encrypted shares to directory (optional, only with PGP keys)", v.Dir, accessible)).
		Description("created if missing: share-1.asc, share-2.asc…; an existing file is never overwritten").Value(&v.Dir).Validate(v.checkDir)
	root := huh.NewInput().Title(inputTitle("Root token PGP key file (optional)", v.RootKey, accessible)).
		Description("the root token is exported encrypted to it, as root-token.asc").Value(&v.RootKey)
	return huh.NewForm(huh.NewGroup(shares, threshold), huh.NewGroup(keys, dir, root))
}

// vaultBootstrapValues are the vault-bootstrap form's fields: the GitHub OAuth clients' IDs (their
// secrets are asked, masked, while the step runs).
type vaultBootstrapValues struct {
	ArgoCD, Grafana string
}

func newVaultBootstrapValues(v plan.Vault) vaultBootstrapValues {
	return vaultBootstrapValues{ArgoCD: v.SSO.ArgoCD.ClientID, Grafana: v.SSO.Grafana.ClientID}
}

// applyTo writes the client IDs; a client without an ID stays manual, so it keeps no secret file.
func (v vaultBootstrapValues) applyTo(old plan.Vault) plan.Vault {
	set := func(c plan.SSOClient, id string) plan.SSOClient {
		c.ClientID = strings.TrimSpace(id)
		if c.ClientID == "" {
			c.ClientSecretFile = ""
		}
		return c
	}
	old.SSO.ArgoCD = set(old.SSO.ArgoCD, v.ArgoCD)
	old.SSO.Grafana = set(old.SSO.Grafana, v.Grafana)
	return old
}

func checkClientID(name string) func(string) error {
	return func(s string) error {
		p := plan.New()
		c := plan.SSOClient{ClientID: strings.TrimSpace(s)}
		if name == "argocd" {
			p.Vault.SSO.ArgoCD = c
		} else {
			p.Vault.SSO.Grafana = c
		}
		return firstProblem(p.ValidateVault(false).Only("vault.sso." + name + ".clientID"))
	}
}

// vaultBootstrapForm builds the vault-bootstrap form over v.
func vaultBootstrapForm(v *vaultBootstrapValues, accessible bool) *huh.Form {
	argo := huh.NewInput().Title(inputTitle("ArgoCD Dex GitHub client ID (optional)", v.ArgoCD, accessible)).
		Description("empty: ArgoCD's GitHub login stays manual; its secret is asked, hidden, during the run").
		Value(&v.ArgoCD).Validate(checkClientID("argocd"))
	graf := huh.NewInput().Title(inputTitle("Grafana GitHub client ID (optional)", v.Grafana, accessible)).
		Description("empty: Grafana's GitHub login stays manual; its secret is asked, hidden, during the run").
		Value(&v.Grafana).Validate(checkClientID("grafana"))
	return huh.NewForm(huh.NewGroup(argo, graf))
}

// huhTheme follows the wizard's theme: Charm's colours, or none under NO_COLOR (bold and reverse only).
func huhTheme(t theme.Theme) huh.Theme {
	if t.Color {
		dark := t.Dark
		return huh.ThemeFunc(func(bool) *huh.Styles { return huh.ThemeCharm(dark) })
	}
	return huh.ThemeFunc(func(bool) *huh.Styles {
		s := huh.ThemeBase(false)
		plain := lipgloss.NewStyle()
		btn := plain.Padding(0, 2).MarginRight(1)
		s.Focused.FocusedButton = btn.Reverse(true)
		s.Focused.BlurredButton = btn
		s.Focused.TextInput.Placeholder = plain
		s.Focused.Title = plain.Bold(true)
		s.Focused.SelectedOption = plain.Bold(true)
		s.Blurred = s.Focused
		s.Blurred.Base = s.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
		s.Blurred.MultiSelectSelector = plain.SetString("  ")
		s.Blurred.SelectSelector = plain.SetString("  ")
		s.Blurred.NextIndicator = plain
		s.Blurred.PrevIndicator = plain
		s.Help = help.Styles{Ellipsis: plain, ShortKey: plain.Bold(true), ShortDesc: plain, ShortSeparator: plain,
			FullKey: plain.Bold(true), FullDesc: plain, FullSeparator: plain}
		return s
	})
}

// formScreen is a step's form, embedded in the pane: its answers are applied to the plan when it is
// submitted, and answers the plan refuses open it again with the problem flashed.
type formScreen struct {
	*session
	c     control
	spec  *FormSpec
	id    steps.ID
	form  *huh.Form
	bound BoundForm // the form's answers' apply, and its notes
	read  bool      // the bound form's Read is done for this submission
}

// formReadMsg is the end of a submitted form's Read.
type formReadMsg struct {
	form *formScreen
	err  error
}

// newFormScreen opens the current step's form over the plan's values.
func newFormScreen(s *session, c control, spec *FormSpec) (*formScreen, tea.Cmd) {
	f := &formScreen{session: s, c: c, spec: spec, id: s.stepID()}
	return f, f.open()
}

// open builds the form afresh from the plan.
func (m *formScreen) open() tea.Cmd {
	m.read = false
	m.bound = m.spec.Build(m.sv.Plan, m.inv, false)
	m.form = m.bound.Form.WithTheme(huhTheme(m.theme)).WithShowHelp(true).WithWidth(m.rightWidth())
	init := m.form.Init()
	m.SetSize(m.rightWidth(), m.paneHeight())
	return init
}

func (m *formScreen) SetSize(w, h int) {
	m.form.WithWidth(w)
	m.form.Update(tea.WindowSizeMsg{Width: w, Height: max(h-2, 1)})
}

func (m *formScreen) Capturing() bool { return true }
func (m *formScreen) Hint() string {
	return "fill the form: enter next, shift+tab back; saved when submitted; ctrl+c quits"
}

func (m *formScreen) ShortHelp() []key.Binding {
	k := m.keys
	bs := []key.Binding{withHelp(k.Enter, "next"), key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back"))}
	if m.formCancellable() {
		bs = append(bs, withHelp(k.Back, "cancel"))
	}
	return bs
}

// The steps' forms, bound to the plan: each builds its form over the plan's values and applies the
// answers with their checks, the same code for the full screen and --accessible (flow.go registers them).

func isoBound(p plan.Plan, inv *plan.Inventory, accessible bool) BoundForm {
	v := newISOValues(p.ISO, inv)
	return BoundForm{Form: isoForm(&v, accessible), Apply: func(p *plan.Plan) plan.Problems {
		p.ISO = v.applyTo(p.ISO)
		return p.Validate(inv).Only("iso")
	}}
}

func clusterBound(p plan.Plan, inv *plan.Inventory, accessible bool) BoundForm {
	v := newClusterValues(p, inv)
	return BoundForm{Form: clusterForm(&v, accessible), Apply: func(p *plan.Plan) plan.Problems {
		p.Cluster.Name = strings.TrimSpace(v.Name)
		p.Cluster.KubernetesVersion = strings.TrimSpace(v.Kubernetes)
		return nil
	}}
}

func vaultInitBound(p plan.Plan, _ *plan.Inventory, accessible bool) BoundForm {
	v := newVaultInitValues(p)
	return BoundForm{Form: vaultInitForm(&v, accessible), Apply: func(p *plan.Plan) plan.Problems {
		p.Vault = v.applyTo(p.Vault)
		return vaultInitProblems(*p)
	}}
}

func vaultBootstrapBound(p plan.Plan, _ *plan.Inventory, accessible bool) BoundForm {
	v := newVaultBootstrapValues(p.Vault)
	return BoundForm{Form: vaultBootstrapForm(&v, accessible), Apply: func(p *plan.Plan) plan.Problems {
		p.Vault = v.applyTo(p.Vault)
		return p.ValidateVault(false).Only("vault.sso")
	}}
}

// Update passes a message to the form and acts on its submission; esc leaves it when the step has an
// outcome to go back to.
func (m *formScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.keys.Back) {
		return m, m.cancel()
	}
	if r, ok := msg.(formReadMsg); ok {
		if r.form != m {
			return m, nil
		}
		if r.err != nil {
			m.c.setFlash(r.err.Error(), true)
			return m, m.open()
		}
		m.read = true
		return m, m.submit()
	}
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	if m.form.State == huh.StateCompleted {
		return m, tea.Batch(cmd, m.submit())
	}
	return m, cmd
}

// formCancellable tells whether esc leaves the form: only when the step has an outcome to go back to.
func (m *session) formCancellable() bool {
	st := m.st[m.cur]
	return st.state == steps.Done || st.state == steps.Failed || st.ran
}

// cancel leaves the form unsaved: back to the step's outcome when it has one. Otherwise the form stays,
// and the flash says what works there: in a form q is typed into the field, ctrl+c quits.
func (m *formScreen) cancel() tea.Cmd {
	if m.formCancellable() {
		return m.c.outcome()
	}
	m.c.setFlash("this step needs its form: fill it, or ctrl+c to quit (what is saved stays saved)", false)
	return nil
}

// submit saves the form's answers in the plan, then runs the step (or, for a step that wipes, opens its
// review); answers with a problem reopen the form, the problem flashed.
func (m *formScreen) submit() tea.Cmd {
	if read := m.bound.Read; read != nil && !m.read {
		return func() tea.Msg { return formReadMsg{form: m, err: read()} }
	}
	name := m.confirmName()
	if ps := m.bound.Apply(&m.sv.Plan); len(ps) > 0 {
		m.c.setFlash(ps[0].String(), true)
		return m.open()
	}
	m.c.setFlash("", false) // what it said was about the form
	if m.confirmName() != name {
		m.confirmed = "" // a confirmation names the cluster it was typed for
	}
	if m.ui(m.cur).Confirm != nil {
		return m.c.review()
	}
	return m.c.run()
}

// confirmName is the name a confirmation is typed for: the review's, else the cluster's.
func (m *formScreen) confirmName() string {
	if r := m.ui(m.cur).Confirm; r != nil {
		return r.Name(m.sv.Plan)
	}
	return m.sv.Plan.Cluster.Name
}

func (m *formScreen) View() string {
	title := m.theme.Label.Render(m.o.Steps[m.cur].Title())
	if rec, ok := m.sv.Steps[m.id]; ok && rec.State == steps.Failed && m.st[m.cur].state != steps.Done {
		title += "  " + m.theme.Error.Render("last run failed: ") + rec.Detail
	}
	view := title + "\n\n" + m.form.View()
	if m.bound.Notes != nil {
		view += "\n\n" + strings.Join(m.bound.Notes(m.theme, m.rightWidth(), m.paneHeight()-lipgloss.Height(view)-1), "\n")
	}
	return view
}

// storageNotes are what the storage form shows under it, in at most room lines: the DiskPools the plan
// makes and the problems of the values being typed.
func storageNotes(v *storageValues, t theme.Theme, w, room int) []string {
	if room <= 0 {
		return nil
	}
	p := v.base
	p.Storage = v.applyTo(p.Storage)
	var probs []string
	for _, pr := range v.problems() {
		probs = append(probs, styled(t.Error, "✖ "+pr.String(), w)...)
	}
	pools := poolLines(p, w)
	for i, l := range pools {
		pools[i] = common.Fit(l, w)
		if i < 2 {
			pools[i] = t.Subtle.Render(pools[i]) // what the list is; the pools themselves stand out
		}
	}
	if len(probs) >= room {
		return probs[:room]
	}
	if keep := room - len(probs); len(pools) > keep {
		more := t.Subtle.Render(fmt.Sprintf("  … %d more lines", len(pools)-keep+1))
		pools = append(pools[:keep-1:keep-1], more)
	}
	return append(pools, probs...)
}
