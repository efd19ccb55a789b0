package health

// Databases builds the databases layer (era 2): CloudNativePG's Clusters. (To be written.)
func Databases(o Objects) LayerReport { return NewLayer(LayerDatabases, nil) }

// PGBackupFindings are CloudNativePG's continuous archiving and last backup, for the backups layer.
// (To be written.)
func PGBackupFindings(o Objects) []Finding { return nil }
