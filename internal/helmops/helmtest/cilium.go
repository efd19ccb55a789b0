package helmtest

import "helm.sh/helm/v3/pkg/chart"

// Cilium is a small cilium chart: the agent's DaemonSet named cilium (its API server from k8sServiceHost
// and k8sServicePort, as the real chart's KUBERNETES_SERVICE_HOST/PORT), the operator's Deployment, and
// the cilium-config ConfigMap with the real chart's keys for the values an install sets.
func Cilium(version string) *chart.Chart {
	ds := `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: cilium, namespace: {{ .Release.Namespace }}, labels: {k8s-app: cilium}}
spec:
  selector: {matchLabels: {k8s-app: cilium}}
  template:
    metadata: {labels: {k8s-app: cilium}}
    spec:
      hostNetwork: true
      tolerations: [{operator: Exists}]
      containers:
        - name: cilium-agent
          image: "quay.io/cilium/cilium:v{{ .Chart.Version }}"
          env:
            - {name: KUBERNETES_SERVICE_HOST, value: {{ .Values.k8sServiceHost | quote }}}
            - {name: KUBERNETES_SERVICE_PORT, value: {{ .Values.k8sServicePort | quote }}}
`
	op := `apiVersion: apps/v1
kind: Deployment
metadata: {name: cilium-operator, namespace: {{ .Release.Namespace }}}
spec:
  replicas: 1
  selector: {matchLabels: {name: cilium-operator}}
  template:
    metadata: {labels: {name: cilium-operator}}
    spec:
      hostNetwork: true
      containers: [{name: cilium-operator, image: "quay.io/cilium/operator-generic:v{{ .Chart.Version }}"}]
`
	cm := `apiVersion: v1
kind: ConfigMap
metadata: {name: cilium-config, namespace: {{ .Release.Namespace }}}
data:
  kube-proxy-replacement: {{ .Values.kubeProxyReplacement | quote }}
  ipam: {{ .Values.ipam.mode | quote }}
  enable-gateway-api: {{ .Values.gatewayAPI.enabled | quote }}
  enable-l2-announcements: {{ .Values.l2announcements.enabled | quote }}
  cgroup-root: {{ .Values.cgroup.hostRoot | quote }}
`
	values := `kubeProxyReplacement: "false"
k8sServiceHost: ""
k8sServicePort: ""
ipam: {mode: cluster-pool}
gatewayAPI: {enabled: false}
l2announcements: {enabled: false}
cgroup: {autoMount: {enabled: true}, hostRoot: /run/cilium/cgroupv2}
`
	return Chart("cilium", version, values, map[string]string{"agent.yaml": ds, "operator.yaml": op, "config.yaml": cm})
}
