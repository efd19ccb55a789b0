package health

// Network builds the network layer (era 2): MetalLB and Cilium LB-IPAM pools, Services of type
// LoadBalancer. (To be written.)
func Network(o Objects) LayerReport { return NewLayer(LayerNetwork, nil) }
