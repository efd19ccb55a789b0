package health

import (
	"strings"
	"testing"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/siderolabs/omni/client/api/omni/specs"
	"github.com/siderolabs/omni/client/pkg/omni/resources/omni"
)

// clusterStatus is an Omni ClusterStatus as Omni writes it.
func clusterStatus(id string, spec *specs.ClusterStatusSpec) *omni.ClusterStatus {
	c := omni.NewClusterStatus(id)
	c.TypedSpec().Value = spec
	return c
}

// healthyCluster is the status of a running cluster of n machines (era 1: Kubernetes 1.27.3, Talos 1.5.5,
// written without "v" as Omni copies them from the Cluster spec).
func healthyCluster(n uint32) *specs.ClusterStatusSpec {
	return &specs.ClusterStatusSpec{
		Available: true, Ready: true, KubernetesAPIReady: true, ControlplaneReady: true, HasConnectedControlPlanes: true,
		Phase:        specs.ClusterStatusSpec_RUNNING,
		Machines:     &specs.Machines{Total: n, Healthy: n, Connected: n, Requested: n},
		TalosVersion: "1.5.5", KubernetesVersion: "1.27.3",
	}
}

// clusterMachine is a ClusterMachineStatus with the labels Omni puts on it: cluster, node name and,
// when connected, the connected label.
func clusterMachine(id, nodeName, cluster string, connected bool, spec *specs.ClusterMachineStatusSpec) *omni.ClusterMachineStatus {
	c := omni.NewClusterMachineStatus(id)
	c.TypedSpec().Value = spec
	l := c.Metadata().Labels()
	if cluster != "" {
		l.Set(omni.LabelCluster, cluster)
	}
	if nodeName != "" {
		l.Set(omni.ClusterMachineStatusLabelNodeName, nodeName)
	}
	if connected {
		l.Set(omni.MachineStatusLabelConnected, "")
	}
	return c
}

func runningMachine() *specs.ClusterMachineStatusSpec {
	return &specs.ClusterMachineStatusSpec{Ready: true, Stage: specs.ClusterMachineStatusSpec_RUNNING,
		ConfigUpToDate: true, ConfigApplyStatus: specs.ConfigApplyStatus_APPLIED}
}

// with changes a copy of a healthy spec.
func with[T any](spec *T, change func(*T)) *T {
	change(spec)
	return spec
}

func TestOmniCluster(t *testing.T) {
	tearingDown := clusterStatus("old", healthyCluster(3))
	tearingDown.Metadata().SetPhase(resource.PhaseTearingDown)
	tests := []struct {
		name      string
		c         *omni.ClusterStatus
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"running and ready", clusterStatus("cedille-cluster", healthyCluster(6)), OK,
			"RUNNING, 6/6 machines healthy, Kubernetes v1.27.3, Talos v1.5.5", ""},
		{"destroying", clusterStatus("k8s-test", with(healthyCluster(3), func(s *specs.ClusterStatusSpec) {
			s.Phase = specs.ClusterStatusSpec_DESTROYING
		})), Degraded, "being destroyed", "cluster template delete"},
		{"tearing down", tearingDown, Degraded, "being destroyed", ""},
		{"nothing allocated although requested", clusterStatus("k8s-poc", &specs.ClusterStatusSpec{
			Phase: specs.ClusterStatusSpec_SCALING_UP, Machines: &specs.Machines{Requested: 3}}),
			Down, "no machine allocated (3 requested)", "MachineClasses"},
		{"nothing reported yet", clusterStatus("new", &specs.ClusterStatusSpec{}), Unknown, "no machine allocated or reported", ""},
		{"no control plane connected", clusterStatus("c", with(healthyCluster(6), func(s *specs.ClusterStatusSpec) {
			s.HasConnectedControlPlanes, s.Available, s.KubernetesAPIReady, s.Ready = false, false, false, false
			s.Machines.Connected, s.Machines.Healthy = 3, 3
		})), Down, "no control-plane machine connected to Omni (3/6 machines healthy)", "runbook: " + RunbookNodeLost},
		{"apid down on every control plane", clusterStatus("c", with(healthyCluster(6), func(s *specs.ClusterStatusSpec) {
			s.Available, s.Ready = false, false
		})), Down, "apid", RunbookNodeLost},
		{"kubernetes API down", clusterStatus("c", with(healthyCluster(6), func(s *specs.ClusterStatusSpec) {
			s.KubernetesAPIReady, s.Ready = false, false
		})), Down, "Kubernetes API not ready", "etcd"},
		{"control plane not ready", clusterStatus("c", with(healthyCluster(6), func(s *specs.ClusterStatusSpec) {
			s.ControlplaneReady, s.Ready = false, false
			s.Machines.Healthy = 5
		})), Degraded, "control plane not ready (5/6 machines healthy)", "Pod findings"},
		{"a worker lost", clusterStatus("c", with(healthyCluster(6), func(s *specs.ClusterStatusSpec) {
			s.Ready = false
			s.Machines.Connected, s.Machines.Healthy = 5, 5
		})), Degraded, "5 of 6 machines connected", RunbookNodeLost},
		{"a worker unhealthy", clusterStatus("c", with(healthyCluster(6), func(s *specs.ClusterStatusSpec) {
			s.Ready = false
			s.Machines.Healthy = 5
		})), Degraded, "5 of 6 machines healthy", "Machine findings"},
		{"scaling up, waiting for a machine", clusterStatus("c", with(healthyCluster(3), func(s *specs.ClusterStatusSpec) {
			s.Phase, s.Machines.Requested = specs.ClusterStatusSpec_SCALING_UP, 4
		})), Degraded, "SCALING_UP: 3 machines allocated, 4 requested", "machine classes"},
		{"phase unknown", clusterStatus("c", with(healthyCluster(3), func(s *specs.ClusterStatusSpec) {
			s.Phase = specs.ClusterStatusSpec_UNKNOWN
		})), Unknown, "phase UNKNOWN", ""},
		{"running but not ready", clusterStatus("c", with(healthyCluster(3), func(s *specs.ClusterStatusSpec) {
			s.Ready = false
		})), Degraded, "RUNNING but not ready", ""},
		{"versions already prefixed", clusterStatus("c", with(healthyCluster(1), func(s *specs.ClusterStatusSpec) {
			s.TalosVersion, s.KubernetesVersion = "v1.8.0", ""
		})), OK, "1/1 machines healthy, Talos v1.8.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := OmniCluster(tt.c)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reasonHas)
			}
			if !strings.Contains(f.Hint, tt.hintHas) || (f.Status != OK) == (f.Hint == "") {
				t.Errorf("hint %q, want ~%q (and a hint exactly when not OK)", f.Hint, tt.hintHas)
			}
			if f.Object != "OmniCluster/"+tt.c.Metadata().ID() {
				t.Errorf("object %q", f.Object)
			}
		})
	}
}

func TestMachineInCluster(t *testing.T) {
	connected := &specs.MachineStatusSpec{Connected: true, TalosVersion: "v1.5.5", Cluster: "cedille-cluster"}
	cms := func(change func(*specs.ClusterMachineStatusSpec)) *omni.ClusterMachineStatus {
		return clusterMachine("id", "worker-2", "cedille-cluster", true, with(runningMachine(), change))
	}
	same := func(*specs.ClusterMachineStatusSpec) {}
	tests := []struct {
		name      string
		m         *specs.MachineStatusSpec
		c         *omni.ClusterMachineStatus
		want      Status
		reasonHas string
		hintHas   string
	}{
		{"running and ready", connected, cms(same), OK, "connected, Talos v1.5.5, RUNNING in cedille-cluster", ""},
		{"no cluster membership: the machine alone", connected, nil, OK, "connected, Talos v1.5.5", ""},
		{"lost power: Down with the last known stage", &specs.MachineStatusSpec{Cluster: "cedille-cluster"},
			cms(func(s *specs.ClusterMachineStatusSpec) { s.Ready = false }),
			Down, "not connected to Omni (last known: RUNNING in cedille-cluster)", "runbook: " + RunbookNodeLost},
		{"running, not ready", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.Ready = false }),
			Degraded, "RUNNING in cedille-cluster but not ready", "talosctl -n <node> services"},
		{"installing, in maintenance: the stage speaks", &specs.MachineStatusSpec{Connected: true, Maintenance: true, Cluster: "cedille-cluster"}, cms(func(s *specs.ClusterMachineStatusSpec) {
			s.Ready, s.Stage, s.ConfigUpToDate = false, specs.ClusterMachineStatusSpec_INSTALLING, false
		}), Degraded, "INSTALLING in cedille-cluster", "wait"},
		{"upgrading", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_UPGRADING }),
			Degraded, "UPGRADING", "Talos upgrade"},
		{"rebooting", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_REBOOTING }),
			Degraded, "REBOOTING", "wait"},
		{"shutting down", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_SHUTTING_DOWN }),
			Degraded, "SHUTTING_DOWN", RunbookNodeLost},
		{"powered off", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_POWERED_OFF }),
			Down, "POWERED_OFF", RunbookNodeLost},
		{"leaving the cluster", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_DESTROYING }),
			Degraded, "leaving the cluster (DESTROYING)", "scaling down"},
		{"stage unknown", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_UNKNOWN }),
			Unknown, "stage UNKNOWN", "wait for Omni"},
		{"config error beats a running stage", connected, cms(func(s *specs.ClusterMachineStatusSpec) {
			s.LastConfigError, s.ConfigApplyStatus = "machine.network.interfaces[1]: no device matches hardwareAddr 24:6e:96:0b:81:a5\ndetails", specs.ConfigApplyStatus_FAILED
		}), Degraded, "config error: machine.network.interfaces[1]: no device matches hardwareAddr 24:6e:96:0b:81:a5 …", "config patch"},
		{"config apply failed without text", connected, cms(func(s *specs.ClusterMachineStatusSpec) {
			s.ConfigApplyStatus = specs.ConfigApplyStatus_FAILED
		}), Degraded, "config apply failed", "config patch"},
		{"config not up to date", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.ConfigUpToDate = false }),
			Degraded, "config not up to date", "applying"},
		{"config error while installing: both said", connected, cms(func(s *specs.ClusterMachineStatusSpec) {
			s.Stage, s.LastConfigError = specs.ClusterMachineStatusSpec_INSTALLING, "invalid install disk /dev/sdb"
		}), Degraded, "INSTALLING in cedille-cluster; config error: invalid install disk /dev/sdb", ""},
		{"a machine error and a not-ready stage", &specs.MachineStatusSpec{Connected: true, LastError: "etcd: context deadline exceeded"}, cms(func(s *specs.ClusterMachineStatusSpec) { s.Ready = false }),
			Degraded, "last error: etcd: context deadline exceeded; RUNNING in cedille-cluster but not ready", "logs"},
		{"removed from Omni while a member", connected, cms(func(s *specs.ClusterMachineStatusSpec) { s.IsRemoved = true }),
			Down, "removed from Omni but still a member in cedille-cluster", "machine set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MachineInCluster(machine("id", "worker-2", tt.m), tt.c)
			if f.Status != tt.want || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %v %q, want %v ~%q", f.Status, f.Reason, tt.want, tt.reasonHas)
			}
			if !strings.Contains(f.Hint, tt.hintHas) || (f.Status != OK) == (f.Hint == "") {
				t.Errorf("hint %q, want ~%q (and a hint exactly when not OK)", f.Hint, tt.hintHas)
			}
			if f.Object != "Machine/worker-2" {
				t.Errorf("object %q", f.Object)
			}
		})
	}
}

// TestClusterMachineAlone: a ClusterMachineStatus with no MachineStatus is its own machine finding, named
// by its node name, and without Omni's connected label it is unreachable.
func TestClusterMachineAlone(t *testing.T) {
	tests := []struct {
		name       string
		c          *omni.ClusterMachineStatus
		want       Status
		wantObject string
		reasonHas  string
	}{
		{"connected and running", clusterMachine("id-1", "worker-9", "k8s-shared", true, runningMachine()),
			OK, "Machine/worker-9", "RUNNING in k8s-shared; no MachineStatus"},
		{"no connected label", clusterMachine("id-2", "worker-8", "k8s-shared", false, runningMachine()),
			Down, "Machine/worker-8", "not connected to Omni (last known: RUNNING in k8s-shared); no MachineStatus"},
		{"powered off by its provider needs no connection", clusterMachine("id-3", "", "", false,
			with(runningMachine(), func(s *specs.ClusterMachineStatusSpec) { s.Stage = specs.ClusterMachineStatusSpec_POWERED_OFF })),
			Down, "Machine/id-3", "POWERED_OFF; no MachineStatus"},
		{"removed", clusterMachine("id-4", "worker-7", "k8s-shared", false,
			with(runningMachine(), func(s *specs.ClusterMachineStatusSpec) { s.IsRemoved = true })),
			Down, "Machine/worker-7", "removed from Omni"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ClusterMachine(tt.c)
			if f.Status != tt.want || f.Object != tt.wantObject || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Fatalf("got %+v, want %v %s ~%q", f, tt.want, tt.wantObject, tt.reasonHas)
			}
		})
	}
}

// TestMachineFindingsFold: one finding per machine, whichever side is missing.
func TestMachineFindingsFold(t *testing.T) {
	ms := []*omni.MachineStatus{
		machine("a", "worker-1", &specs.MachineStatusSpec{Connected: true}),
		machine("b", "worker-2", &specs.MachineStatusSpec{Connected: true}),
	}
	cms := []*omni.ClusterMachineStatus{
		clusterMachine("b", "worker-2", "c", true, with(runningMachine(), func(s *specs.ClusterMachineStatusSpec) {
			s.Stage = specs.ClusterMachineStatusSpec_BOOTING
		})),
		clusterMachine("c", "worker-3", "c", true, runningMachine()),
	}
	fs := machineFindings(ms, cms)
	got := map[string]Status{}
	for _, f := range fs {
		got[f.Object] = f.Status
	}
	want := map[string]Status{"Machine/worker-1": OK, "Machine/worker-2": Degraded, "Machine/worker-3": OK}
	if len(fs) != len(want) {
		t.Fatalf("%d findings: %+v", len(fs), fs)
	}
	for o, s := range want {
		if got[o] != s {
			t.Errorf("%s = %v, want %v", o, got[o], s)
		}
	}
}

func TestCombine(t *testing.T) {
	tests := []struct {
		name string
		vs   []verdict
		want verdict
	}{
		{"none is OK", nil, verdict{status: OK}},
		{"all OK: every reason in order", []verdict{{OK, "connected", "", ""}, {OK, "RUNNING", "", ""}}, verdict{OK, "connected, RUNNING", "", ""}},
		{"worst first, OK reasons dropped", []verdict{{OK, "connected", "", ""}, {Unknown, "stage UNKNOWN", "wait", ""}, {Degraded, "config error", "fix it", ""}},
			verdict{Degraded, "config error; stage UNKNOWN", "fix it", ""}},
		{"hint of the worst that has one, with its demo phrasing", []verdict{{Down, "off", "", ""}, {Degraded, "config error", "fix it", demoElsewhere}},
			verdict{Down, "off; config error", "fix it", demoElsewhere}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := combine(tt.vs...); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
