package runbooks

import (
	"context"
	"fmt"
	"time"

	"github.com/clubcedille/cedille-tui/internal/actions"
	"github.com/clubcedille/cedille-tui/internal/gitops"
	"github.com/clubcedille/cedille-tui/internal/gitops/argocd"
	"github.com/clubcedille/cedille-tui/internal/health"
	"github.com/clubcedille/cedille-tui/internal/runbook"
	"github.com/clubcedille/cedille-tui/internal/vcluster"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VClusterRegistration is `vcluster-registration`: a vcluster ArgoCD cannot reach — its cluster Secret
// missing, or stale (other credentials, another server, a corrupted config). It repairs it the way the
// install's vclusters step registers (gitops.Inspect and gitops.Wanted, shared with it): the precheck
// reads the vcluster's StatefulSet, its own Secret vc-<name>, the cluster Secret, and makes real requests
// with the registered credentials and with the vcluster's own (credentials that do not answer are never
// registered); register-vcluster writes the cluster Secret from the vcluster's Secret; the postcheck
// wants a request with exactly the registered credentials to authenticate — the connection ArgoCD makes.
// No credential is ever shown or kept: the previews name the fields that change, the verdicts and the
// progress lines name Secrets, servers and users.
func VClusterRegistration() runbook.Runbook {
	return runbook.Runbook{Name: health.RunbookVClusterRegist, Title: "A vcluster not registered in ArgoCD, or registered with stale credentials",
		Summary: "check the vcluster runs and its own credentials answer, write ArgoCD's cluster Secret from them, check a request with exactly those credentials",
		Kinds:   []string{"VCluster"},
		Steps: []runbook.Step{
			{ID: "registration", Kind: runbook.Precheck, Title: "Read the vcluster, its own credentials and its ArgoCD registration; try both", Check: registrationCheck},
			{ID: "register", Kind: runbook.Action, Title: "Write ArgoCD's cluster Secret from the vcluster's own Secret", Do: "register-vcluster", Objects: vclusterObject},
			{ID: "connected", Kind: runbook.Postcheck, Title: "Wait until a request with exactly the registered credentials authenticates", Wait: registrationAnswers,
				Every: 2 * time.Second, Timeout: 2 * time.Minute},
		}}
}

// regFacts are what the precheck reads; judgeRegistration makes the verdict of them.
type regFacts struct {
	target runbook.Target
	sts    *appsv1.StatefulSet // nil: absent
	st     gitops.Standing     // holds credentials: only its fault, problem, server and user are read here
	// own is what a request with the vcluster's own credentials (the ones register-vcluster would
	// write) said, when the registration is missing or stale: the user, or why it failed.
	ownUser string
	ownErr  error
	others  []string // other ArgoCD cluster Secrets that register the vcluster too
}

// readRegistration reads the facts, as the console's own identity.
func readRegistration(ctx context.Context, w runbook.World, t runbook.Target) (regFacts, error) {
	f := regFacts{target: t}
	if w.Kube == nil {
		return f, fmt.Errorf("no cluster to read %s from", t)
	}
	sts, err := w.Kube.AppsV1().StatefulSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return f, nil
	case err != nil:
		return f, fmt.Errorf("read StatefulSet %s/%s: %w", t.Namespace, t.Name, err)
	}
	f.sts = sts
	if f.st, err = gitops.Inspect(ctx, w.Kube, actions.ArgoNamespace, t.Name, t.Namespace, "", gitops.Check); err != nil {
		return f, err
	}
	if f.st.Fault == gitops.NotRegistered || f.st.Fault == gitops.Stale {
		f.ownUser, f.ownErr = gitops.Check(ctx, f.st.Want)
	}
	list, err := w.Kube.CoreV1().Secrets(actions.ArgoNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: argocd.SecretTypeLabel + "=" + argocd.SecretTypeCluster})
	if err != nil {
		return f, fmt.Errorf("list ArgoCD's cluster Secrets in %s: %w", actions.ArgoNamespace, err)
	}
	for _, s := range list.Items {
		if s.Name != argocd.ClusterSecretName(t.Name) && argocd.RegistersVCluster(s.Name, s.Labels, t.Name, t.Namespace) {
			f.others = append(f.others, s.Namespace+"/"+s.Name)
		}
	}
	return f, nil
}

// judgeRegistration says whether the runbook applies, and why. It applies to a running vcluster whose
// registration is missing or stale and whose own credentials answer; not to one registered and
// reachable, one that does not run or has not written its credentials, nor one whose registration
// already says what its own Secret says (writing it again would change nothing).
func judgeRegistration(f regFacts) runbook.Verdict {
	t := f.target
	sts := t.Namespace + "/" + t.Name
	if f.sts == nil {
		return runbook.Verdict{Why: "no StatefulSet " + sts + ": no vcluster there to register"}
	}
	want := int32(1)
	if f.sts.Spec.Replicas != nil {
		want = *f.sts.Spec.Replicas
	}
	ready := fmt.Sprintf("StatefulSet %s: %d/%d ready", sts, f.sts.Status.ReadyReplicas, want)
	v := runbook.Verdict{Details: []string{ready}}
	if want == 0 || f.sts.Status.ReadyReplicas == 0 {
		v.Why = ready + ": a vcluster that does not run cannot be registered (nothing answers its credentials) — " +
			fmt.Sprintf("look at pod %s-0 in %s first (vcluster resume when it was paused), then run this again", t.Name, t.Namespace)
		return v
	}
	secret := t.Namespace + "/" + vcluster.KubeconfigSecret(t.Name)
	reg := actions.ArgoNamespace + "/" + argocd.ClusterSecretName(t.Name)
	if f.st.Fault == gitops.NoCredentials {
		v.Why = f.st.Problem + ": the vcluster writes it once it runs — restart pod " + t.Name + "-0 if it was deleted, then run this again"
		return v
	}
	v.Details = append(v.Details, "credentials: Secret "+secret+" (CA, client certificate and key)", "server: "+f.st.Server)
	v.Facts = map[string]string{"server": f.st.Server, "registration": reg}
	for _, o := range f.others {
		v.Details = append(v.Details, "ArgoCD Secret "+o+" registers it too: once "+reg+" works, delete "+o+" (two registrations of one server confuse ArgoCD)")
	}
	switch f.st.Fault {
	case gitops.Registered:
		v.Details = append(v.Details, fmt.Sprintf("ArgoCD: Secret %s matches it; a request with its credentials authenticated as %s", reg, f.st.User))
		v.Why = t.Name + " is registered and reachable: nothing to repair"
		return v
	case gitops.Unreachable:
		v.Details = append(v.Details, "ArgoCD: Secret "+reg+" matches the vcluster's own Secret")
		v.Why = fmt.Sprintf("%s is registered as its own Secret says, but a request with those credentials fails (%s): writing them again would not help — "+
			"check the server answers at %s and that the vcluster's certificates are current", t.Name, f.st.Problem, f.st.Server)
		return v
	}
	state := "absent"
	if f.st.Fault == gitops.Stale {
		state = "stale (other credentials, another server or a corrupted config)"
	}
	v.Details = append(v.Details, "ArgoCD: Secret "+reg+" "+state)
	if f.ownErr != nil {
		v.Why = fmt.Sprintf("%s: %s, but the vcluster's own credentials do not answer either (%v): registering them would not connect ArgoCD — "+
			"check the server and the vcluster's certificates first", t.Name, f.st.Problem, f.ownErr)
		return v
	}
	v.Details = append(v.Details, fmt.Sprintf("a request to %s with the vcluster's own credentials authenticated as %s", f.st.Server, f.ownUser))
	v.Applies, v.Why = true, t.Name+": "+f.st.Problem
	return v
}

func registrationCheck(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Verdict, error) {
	f, err := readRegistration(ctx, w, t)
	if err != nil {
		return runbook.Verdict{}, err
	}
	return judgeRegistration(f), nil
}

// vclusterObject is what register-vcluster acts on: the run's vcluster.
func vclusterObject(_ context.Context, _ runbook.World, t runbook.Target) ([]actions.Target, error) {
	return []actions.Target{{Kind: actions.KindVCluster, Namespace: t.Namespace, Name: t.Name}}, nil
}

// registrationAnswers reads the registration again: done once it says what the vcluster's own Secret
// says and a request with exactly its credentials authenticates (what ArgoCD's connection does; no
// ArgoCD controller's state is read).
func registrationAnswers(ctx context.Context, w runbook.World, t runbook.Target) (runbook.Progress, error) {
	if w.Kube == nil {
		return runbook.Progress{}, fmt.Errorf("no cluster to read %s from", t)
	}
	st, err := gitops.Inspect(ctx, w.Kube, actions.ArgoNamespace, t.Name, t.Namespace, "", gitops.Check)
	if err != nil {
		return runbook.Progress{}, err
	}
	reg := actions.ArgoNamespace + "/" + argocd.ClusterSecretName(t.Name)
	if st.Fault != gitops.Registered {
		return runbook.Progress{Line: fmt.Sprintf("%s: %s", reg, st.Problem)}, nil
	}
	return runbook.Progress{Done: true, Line: fmt.Sprintf("%s registers %s; a request with exactly its credentials authenticated as %s", reg, st.Server, st.User)}, nil
}
