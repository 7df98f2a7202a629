package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/muster-app/muster/mail"
)

const resetPasswordUsage = `usage:
  muster reset-password -email EMAIL [-database-url URL] [-base-url URL]`

// resetPasswordCmd prints a one-time password reset link for an account,
// for a lone admin who is locked out (no other admin to send one, no working
// email). It never takes the new password as a flag: that would land in the
// shell's history and the process list. The person sets it on the link's page.
func resetPasswordCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("muster reset-password", flag.ContinueOnError)
	email := fs.String("email", "", "email of the account (required)")
	dbURL := fs.String("database-url", "", "database URL (default: MUSTER_DATABASE_URL or muster.db)")
	baseURL := fs.String("base-url", "", "public URL of this Muster, for the link (default: MUSTER_BASE_URL or http://localhost:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || fs.NArg() > 0 {
		return errors.New(resetPasswordUsage)
	}
	cfg, err := commandConfig(*dbURL, *baseURL)
	if err != nil {
		return err
	}
	ctx := context.Background()
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	token, acc, err := store.CreatePasswordResetLink(ctx, *email)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Password reset link for %s (%s):\n\n%s\n\n", acc.Name, acc.Email, mail.ResetLink(cfg.BaseURL, token))
	fmt.Fprintf(out, "Open it within an hour to set a new password; it works once. Setting the password signs %s out everywhere.\n", acc.Email)
	fmt.Fprintf(out, "If two-factor sign-in is on and the device is lost, sign in with a recovery code.\n")
	return nil
}
