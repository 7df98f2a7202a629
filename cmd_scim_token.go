package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/muster-app/muster/models"
)

const scimTokenUsage = `usage:
  muster scim-token create -workspace SLUG -name NAME
  muster scim-token list   -workspace SLUG
  muster scim-token revoke -workspace SLUG -id ID`

// scimTokenCmd creates, lists and revokes a workspace's SCIM tokens from a
// shell, for installs scripted end to end (the browser's SCIM page does the
// same). What it prints goes to out.
func scimTokenCmd(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(scimTokenUsage)
	}
	action, args := args[0], args[1:]
	if action == "-h" || action == "-help" || action == "--help" || action == "help" {
		fmt.Fprintln(out, scimTokenUsage)
		return flag.ErrHelp
	}
	fs := flag.NewFlagSet("muster scim-token "+action, flag.ContinueOnError)
	slug := fs.String("workspace", "", "slug of the workspace (required)")
	var name, id *string
	switch action {
	case "create":
		name = fs.String("name", "", "who uses the token, such as Okta or Entra ID (required)")
	case "list":
	case "revoke":
		id = fs.String("id", "", "id of the token to revoke, from `muster scim-token list` (required)")
	default:
		return fmt.Errorf("unknown scim-token action %q\n%s", action, scimTokenUsage)
	}
	dbURL := fs.String("database-url", "", "database URL (default: MUSTER_DATABASE_URL or muster.db)")
	baseURL := fs.String("base-url", "", "public URL of this Muster, for the SCIM base URL (default: MUSTER_BASE_URL or http://localhost:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" || (name != nil && *name == "") || (id != nil && *id == "") || fs.NArg() > 0 {
		return errors.New(scimTokenUsage)
	}
	cfg, err := commandConfig(*dbURL, *baseURL)
	if err != nil {
		return err
	}
	ctx := context.Background()
	store, ws, err := openWorkspace(ctx, cfg, *slug)
	if err != nil {
		return err
	}
	defer store.DB().Close()
	switch action {
	case "create":
		return createSCIMToken(ctx, store, ws, *name, cfg.BaseURL, out)
	case "list":
		return listSCIMTokens(ctx, store, ws, out)
	default:
		return revokeSCIMToken(ctx, store, ws, *id, out)
	}
}

func createSCIMToken(ctx context.Context, store *models.Store, ws *models.Workspace, name, baseURL string, out io.Writer) error {
	token, t, err := store.CreateSCIMToken(ctx, models.SystemActor, ws, name)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return errors.New(verr.Fields["name"])
	}
	if err != nil {
		return err
	}
	// The token on a line of its own, so it is easy to select or to cut
	// out with a script.
	fmt.Fprintf(out, "Created the SCIM token %q for %s (id %s).\n\n%s\n\n", t.Name, ws.Name, t.ID, token)
	fmt.Fprintf(out, "Copy it now: it is shown only this once (Muster stores only its hash).\n")
	fmt.Fprintf(out, "SCIM base URL: %s/scim/v2\n", baseURL)
	return nil
}

func listSCIMTokens(ctx context.Context, store *models.Store, ws *models.Workspace, out io.Writer) error {
	tokens, err := store.SCIMTokens(ctx, ws.ID)
	if err != nil {
		return err
	}
	if len(tokens) == 0 {
		fmt.Fprintf(out, "%s has no SCIM tokens.\n", ws.Name)
		return nil
	}
	const layout = "2006-01-02 15:04 UTC"
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tPREFIX\tOWNER\tCREATED\tLAST USED\tSTATUS")
	for _, t := range tokens {
		lastUsed, status := "never", "active"
		if t.LastUsedAt != nil {
			lastUsed = t.LastUsedAt.UTC().Format(layout)
		}
		if t.RevokedAt != nil {
			status = "revoked " + t.RevokedAt.UTC().Format(layout)
		} else if t.Disabled() != "" {
			status = "disabled: owner " + t.OwnerStatus
		}
		fmt.Fprintf(w, "%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.CreatedByName, t.CreatedAt.UTC().Format(layout), lastUsed, status)
	}
	return w.Flush()
}

func revokeSCIMToken(ctx context.Context, store *models.Store, ws *models.Workspace, id string, out io.Writer) error {
	tokens, err := store.SCIMTokens(ctx, ws.ID)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if t.ID != id {
			continue
		}
		if t.RevokedAt != nil {
			fmt.Fprintf(out, "The SCIM token %q was already revoked on %s.\n", t.Name, t.RevokedAt.UTC().Format("2006-01-02 15:04 UTC"))
			return nil
		}
		if _, err := store.RevokeSCIMToken(ctx, models.SystemActor, ws, id); err != nil {
			return err
		}
		fmt.Fprintf(out, "Revoked the SCIM token %q. Requests with it fail from now on (within a second on a running server).\n", t.Name)
		return nil
	}
	return fmt.Errorf("%s has no SCIM token with id %q (see muster scim-token list)", ws.Name, id)
}
