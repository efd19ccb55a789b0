package steps

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/clubcedille/cedille-tui/internal/download"
	"github.com/clubcedille/cedille-tui/internal/plan"
	"github.com/clubcedille/cedille-tui/internal/units"
	"github.com/cosi-project/runtime/pkg/safe"
	mgmt "github.com/siderolabs/omni/client/api/omni/management"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	"go.yaml.in/yaml/v3"
)

// ISOStep has Omni build the Talos image for the plan's choices (a schematic at the image factory, with
// Omni's SideroLink join arguments), downloads it resumably with its SHA-256 written beside it, and saves
// the choices as a preset so a machine added later boots the same image.
type ISOStep struct{}

func (ISOStep) ID() ID           { return ISO }
func (ISOStep) Title() string    { return "Talos ISO" }
func (ISOStep) Fields() []string { return []string{"iso"} }

func (ISOStep) Describe(p plan.Plan) []string {
	ext := "none"
	if len(p.ISO.Extensions) > 0 {
		ext = strings.Join(p.ISO.Extensions, ", ")
	}
	return []string{
		fmt.Sprintf("create the image factory schematic: Talos %s %s, extensions %s, extra kernel args %q",
			plan.Canonical(p.ISO.TalosVersion), p.ISO.Arch, ext, strings.Join(p.ISO.KernelArgs, " ")),
		"download the ISO to " + isoPath(p.ISO) + " (resumable), its SHA-256 to " + isoPath(p.ISO) + ".sha256",
		"save the choices as preset " + p.ISO.Preset,
	}
}

// isoPath is where the ISO goes: Dir/metal-<arch>-omni-<preset>-<version>.iso.
func isoPath(i plan.ISO) string {
	name := fmt.Sprintf("metal-%s-omni-%s-%s.iso", i.Arch, i.Preset, plan.Canonical(i.TalosVersion))
	if i.SecureBoot {
		name = strings.TrimSuffix(name, ".iso") + "-secureboot.iso"
	}
	return filepath.Join(i.Dir, name)
}

// Check holds when the ISO of the current choices is on disk with its matching .sha256.
func (s ISOStep) Check(_ context.Context, _ *Env, p plan.Plan) (Outcome, error) {
	i := p.ISO
	switch {
	case i.File == "" || i.SHA256 == "":
		return Outcome{Detail: "not downloaded yet"}, nil
	case i.Built != i.Choices():
		return Outcome{Detail: "the choices changed since " + i.File + " was built"}, nil
	}
	fi, err := os.Stat(i.File)
	if err != nil || fi.Size() == 0 {
		return Outcome{Detail: i.File + " is missing"}, nil
	}
	sum, err := os.ReadFile(i.File + ".sha256")
	if err != nil || !strings.HasPrefix(string(sum), i.SHA256) {
		return Outcome{Detail: i.File + ".sha256 is missing or does not match"}, nil
	}
	return Outcome{Holds: true, Detail: fmt.Sprintf("%s (%s), SHA-256 %s", i.File, units.Binary(uint64(fi.Size())), SplitDigest(i.SHA256))}, nil
}

func (s ISOStep) Run(ctx context.Context, e *Env, p *plan.Plan, emit func(Event)) (Result, error) {
	if ps := p.Validate(nil).Only("iso"); len(ps) > 0 {
		return Result{}, ps
	}
	om, err := e.omni()
	if err != nil {
		return Result{}, err
	}
	resp, err := om.Client.Management().CreateSchematic(ctx, &mgmt.CreateSchematicRequest{
		Extensions: p.ISO.Extensions, ExtraKernelArgs: p.ISO.KernelArgs, TalosVersion: plan.Canonical(p.ISO.TalosVersion),
		MediaId:                  mediaID(p.ISO),
		SiderolinkGrpcTunnelMode: mgmt.CreateSchematicRequest_AUTO,
	})
	if err != nil {
		return Result{}, fmt.Errorf("create the schematic: %w", om.Classify(err))
	}
	emit(Event{Step: ISO, Message: "schematic " + resp.GetSchematicId()})
	fc, err := safe.StateGetByID[*omni.FeaturesConfig](ctx, om.State(), omni.FeaturesConfigID)
	if err != nil {
		return Result{}, fmt.Errorf("read Omni's image factory address: %w", om.Classify(err))
	}
	base := fc.TypedSpec().Value.GetImageFactoryBaseUrl()
	if base == "" {
		return Result{}, fmt.Errorf("Omni reports no image factory address (FeaturesConfig): check Omni's --image-factory-address")
	}
	u, err := imageURL(base, resp.GetSchematicId(), p.ISO)
	if err != nil {
		return Result{}, err
	}
	expect := pinnedDigest(e, p.ISO, resp.GetSchematicId())
	if dir := p.ISO.Dir; dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Result{}, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	dest, err := filepath.Abs(isoPath(p.ISO)) // the instructions' commands work from anywhere
	if err != nil {
		return Result{}, err
	}
	emit(Event{Step: ISO, Message: "downloading " + u})
	res, err := download.Get(ctx, download.Request{URL: u, Dest: dest, HTTPClient: e.HTTP, ExpectSHA256: expect,
		Progress: func(pr download.Progress) {
			emit(Event{Step: ISO, Done: pr.Done, Total: pr.Total, Unit: "B", Message: ""})
		}})
	if err != nil {
		return Result{}, err
	}
	p.ISO.SchematicID, p.ISO.File, p.ISO.SHA256, p.ISO.Built = resp.GetSchematicId(), res.Path, res.SHA256, p.ISO.Choices()
	emit(Event{Step: ISO, Message: fmt.Sprintf("saved to %s (%s), SHA-256 %s", res.Path, units.Binary(uint64(res.Size)),
		SplitDigest(res.SHA256))})
	if err := savePreset(e, p.ISO); err != nil {
		emit(Event{Step: ISO, Message: "preset not saved: " + err.Error()})
	} else {
		emit(Event{Step: ISO, Message: "choices saved as preset " + p.ISO.Preset})
	}
	for _, l := range USBInstructions(res.Path) {
		emit(Event{Step: ISO, Message: l})
	}
	return ISOResult(*p), nil
}

func mediaID(i plan.ISO) string {
	if i.SecureBoot {
		return "iso-" + i.Arch + "-secureboot"
	}
	return "iso-" + i.Arch
}

// imageURL is the image factory's address of the ISO: BASE/image/SCHEMATIC/VERSION/metal-ARCH.iso.
func imageURL(base, schematic string, i plan.ISO) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("Omni's image factory address %q is not a URL", base)
	}
	file := "metal-" + i.Arch + ".iso"
	if i.SecureBoot {
		file = "metal-" + i.Arch + "-secureboot.iso"
	}
	return u.JoinPath("image", schematic, plan.Canonical(i.TalosVersion), file).String(), nil
}

// CommandIndent starts a line that is a shell command to copy, as in a Markdown code block: the wizard
// never wraps such a line inside a word, and the command works from any directory.
const CommandIndent = "    "

// KeyPlaceholder stands for the USB key in the write command: the operator puts the key's by-id name there.
const KeyPlaceholder = "/dev/disk/by-id/usb-YOUR-KEY"

// USBInstructions say how to check the ISO and write it to a USB key, naming the key by its stable path.
// Each command changes to the ISO's directory first (its .sha256 names the file, not its path), so it
// works from wherever it is pasted; path is the ISO's absolute path.
func USBInstructions(path string) []string {
	cd := "cd " + shellQuote(filepath.Dir(path)) + " && "
	name := shellQuote(filepath.Base(path))
	return []string{
		"check the ISO (it prints OK):",
		CommandIndent + cd + "sha256sum -c " + shellQuote(filepath.Base(path)+".sha256"),
		"to write it to a USB key (the key is erased), find the key's name with",
		CommandIndent + "ls -l /dev/disk/by-id/usb-*",
		"then write it, with the key's name for " + filepath.Base(KeyPlaceholder) + ":",
		CommandIndent + cd + "sudo dd if=" + name + " of=" + KeyPlaceholder + " bs=4M conv=fsync status=progress",
		"boot each machine from the key: it joins Omni in maintenance mode. Remove the key after the install: " +
			"the install disk is named by its by-id path, which the key's removal does not change",
	}
}

// shellQuote makes s one word for sh: as it is when it holds nothing sh would read specially, else in
// single quotes (each quote inside closes them, is escaped, and opens them again).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SplitDigest writes a hex SHA-256 as two groups of 32 digits, which a person compares more easily than
// 64 in a row, and which fit a narrow screen whole.
func SplitDigest(sum string) string {
	if len(sum) != 64 {
		return sum
	}
	return sum[:32] + " " + sum[32:]
}

// presetPath is where a preset is saved: ConfigDir/presets/NAME.yaml.
func presetPath(e *Env, name string) string {
	return filepath.Join(e.ConfigDir, "presets", name+".yaml")
}

func savePreset(e *Env, i plan.ISO) error {
	if e.ConfigDir == "" {
		return fmt.Errorf("no config directory")
	}
	b, err := yaml.Marshal(i)
	if err != nil {
		return err
	}
	path := presetPath(e, i.Preset)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// loadPreset reads a saved preset.
func loadPreset(e *Env, name string) (plan.ISO, error) {
	b, err := os.ReadFile(presetPath(e, name))
	if err != nil {
		return plan.ISO{}, err
	}
	var i plan.ISO
	return i, yaml.Unmarshal(b, &i)
}

// pinnedDigest is the SHA-256 the image of these choices must have, "" when none is known: the digest
// recorded in the plan, else in the saved preset of the same name, when the same choices were built into
// the same schematic before. So a machine added later — even from another checkout of the state — gets
// the same ISO, or a clear mismatch.
func pinnedDigest(e *Env, i plan.ISO, schematic string) string {
	if i.Built == i.Choices() && i.SchematicID == schematic && i.SHA256 != "" {
		return i.SHA256
	}
	if pre, err := loadPreset(e, i.Preset); err == nil && pre.Built == i.Choices() && pre.SchematicID == schematic {
		return pre.SHA256
	}
	return ""
}
