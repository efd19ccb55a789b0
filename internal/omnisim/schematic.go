package omnisim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Schematic is the Talos image factory's schematic: the image customization whose canonical YAML
// form, hashed with SHA-256, is the schematic ID. Field names, order and omitempty rules follow the
// image factory's own type, because any difference changes the ID. Only the fields the simulator
// can produce are modelled.
type Schematic struct {
	Overlay       Overlay       `yaml:"overlay,omitempty"`
	Customization Customization `yaml:"customization"`
}

// Customization is the Talos image customization part of a Schematic.
type Customization struct {
	ExtraKernelArgs  []string         `yaml:"extraKernelArgs,omitempty"`
	Meta             []MetaValue      `yaml:"meta,omitempty"`
	SystemExtensions SystemExtensions `yaml:"systemExtensions,omitempty"`
	SecureBoot       SecureBoot       `yaml:"secureboot,omitempty"`
}

// MetaValue is one initial META partition entry.
type MetaValue struct {
	Key   uint8  `yaml:"key"`
	Value string `yaml:"value"`
}

// SystemExtensions lists the official Talos system extensions baked into the image.
type SystemExtensions struct {
	OfficialExtensions []string `yaml:"officialExtensions,omitempty"`
}

// Overlay is the board overlay (single-board computers); empty for bare-metal x86 machines.
type Overlay struct {
	Image   string         `yaml:"image"`
	Name    string         `yaml:"name"`
	Options map[string]any `yaml:"options,omitempty"`
}

// SecureBoot holds the secure boot options of the image.
type SecureBoot struct {
	IncludeWellKnownCertificates bool `yaml:"includeWellKnownCertificates,omitempty"`
}

// Marshal returns the canonical YAML representation of the schematic.
func (s Schematic) Marshal() ([]byte, error) {
	return yaml.Marshal(s)
}

// ID returns the schematic ID: the hex SHA-256 of the canonical YAML, as the image factory computes it.
func (s Schematic) ID() (string, error) {
	data, err := s.Marshal()
	if err != nil {
		return "", err
	}

	sum := sha256.Sum256(data)

	return hex.EncodeToString(sum[:]), nil
}

// ParseSchematic parses a raw schematic YAML, rejecting unknown fields as the image factory does.
func ParseSchematic(data []byte) (Schematic, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)

	var s Schematic
	if err := dec.Decode(&s); err != nil {
		return Schematic{}, fmt.Errorf("invalid schematic: %w", err)
	}

	return s, nil
}

// SideroLink defaults used for the kernel arguments the simulator adds to every schematic.
const (
	DefaultSiderolinkAPIURL = "https://omni.cedille.invalid:8090"
	DefaultJoinToken        = "omnisim-join-token"
	siderolinkListenHost    = "fdae:41e4:649b:9303::1"
	siderolinkEventsPort    = 8091
	siderolinkLogsPort      = 8092
)

// SiderolinkKernelArgs returns the three kernel arguments Omni puts in front of the requested ones so
// that a machine booted from the image joins it: `siderolink.api` (with the join token),
// `talos.events.sink` and `talos.logging.kernel` (on Omni's SideroLink address).
func SiderolinkKernelArgs(apiURL, joinToken string) ([]string, error) {
	u, err := url.Parse(apiURL)
	if err != nil {
		return nil, fmt.Errorf("siderolink API URL: %w", err)
	}

	q := u.Query()
	q.Add("jointoken", joinToken)
	u.RawQuery = q.Encode()

	return []string{
		"siderolink.api=" + u.String(),
		"talos.events.sink=" + net.JoinHostPort(siderolinkListenHost, strconv.Itoa(siderolinkEventsPort)),
		"talos.logging.kernel=tcp://" + net.JoinHostPort(siderolinkListenHost, strconv.Itoa(siderolinkLogsPort)),
	}, nil
}
