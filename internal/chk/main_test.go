package chk

import (
	_ "charm.land/bubbles/v2/help"
	_ "charm.land/bubbles/v2/table"
	_ "charm.land/bubbletea/v2"
	_ "charm.land/lipgloss/v2"
	_ "github.com/charmbracelet/x/exp/teatest/v2"
	_ "github.com/cosi-project/runtime/pkg/state/impl/inmem"
	_ "github.com/cosi-project/runtime/pkg/state/protobuf/server"
	_ "github.com/hashicorp/vault/api"
	_ "github.com/siderolabs/omni/client/pkg/client"
	_ "github.com/siderolabs/omni/client/pkg/omni/resources/omni"
	_ "github.com/spf13/cobra"
	_ "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	_ "k8s.io/client-go/dynamic/fake"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/kubernetes/fake"
)
