package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/clubcedille/cedille-tui/internal/audit"
	"github.com/spf13/cobra"
)

func (c *cli) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Work with the SSH console's audit trail",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.auditVerifyCmd())
	return cmd
}

func (c *cli) auditVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify FILE",
		Short: "Check an audit trail's hash chain and name its first broken record",
		Long: `Check the hash chain of an audit trail (JSON Lines, one record per line, each carrying the SHA-256
of the line before it; the first one's is 64 zeros).

Exit code: 0 when the chain holds: the number of records and the last one's SHA-256 are printed. 1 when
it does not, with the first broken record's line and what is wrong with it — edited, deleted, reordered,
or torn (the last line cut short by a crash) —, or when the file cannot be read.

A chain shows any change before its last record. The last record edited, or the last records cut off
whole, leave a valid chain: compare the printed SHA-256 with the last record's hash kept elsewhere.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("cannot read the audit trail: %w", err)
			}
			defer f.Close()
			head, err := audit.VerifyHead(f)
			var broken *audit.BrokenError
			if errors.As(err, &broken) {
				return fmt.Errorf("%s: %w (the %d records before it hold)", args[0], err, head.Seq)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "%s: %d records, the chain holds; the last one's SHA-256 is %s\n", args[0], head.Seq, head.Hash)
			return nil
		},
	}
}
