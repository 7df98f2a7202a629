package scim

import (
	stderrors "errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/elimity-com/scim/errors"

	"github.com/muster-app/muster/models"
)

// scimError is the library's error document (schemas, status as a string,
// scimType, detail). Values, not pointers: that is what it marshals.
func scimError(status int, scimType errors.ScimType, detail string) errors.ScimError {
	if detail == "" {
		detail = http.StatusText(status)
	}
	return errors.ScimError{Status: status, ScimType: scimType, Detail: detail}
}

func fail(status int, scimType errors.ScimType, detail string) response {
	return response{status: status, body: scimError(status, scimType, detail)}
}

func tooLarge() response {
	return fail(http.StatusRequestEntityTooLarge, "", fmt.Sprintf(
		"The request body is larger than maxPayloadSize (%d bytes); send fewer operations per /Bulk request (at most %d).", MaxPayloadSize, MaxOperations))
}

func notFoundPath(path string) response {
	return fail(http.StatusNotFound, "", "There is no SCIM endpoint at "+Prefix+path+".")
}

func notAllowed(allow string) response {
	res := fail(http.StatusMethodNotAllowed, "", "This endpoint answers "+allow+".")
	res.allow = allow
	return res
}

func notFound(kind, id string) response {
	return fail(http.StatusNotFound, "", kind+" "+id+" does not exist in this workspace.")
}

func badRequest(scimType errors.ScimType, detail string) response {
	return fail(http.StatusBadRequest, scimType, detail)
}

func (s *Server) internal(err error) response {
	s.log.Error("scim: request failed", "err", err)
	return fail(http.StatusInternalServerError, "", "Something went wrong on Muster's side; the change was not made. Please retry.")
}

// fromDomain renders an error of the domain layer. Rule violations are the
// IdP's to fix (4xx with the domain's own words); anything else is ours.
func (s *Server) fromDomain(err error, kind, id string) response {
	var (
		verr *models.ValidationError
		cerr *models.ConflictError
		perr *models.PreconditionFailedError
		rerr *models.RateLimitedError
		ferr *models.FilterError
		forb *models.ForbiddenError
		serr errors.ScimError
	)
	switch {
	case stderrors.As(err, &forb):
		return forbidden(forb)
	case stderrors.Is(err, models.ErrNotFound):
		return notFound(kind, id)
	case stderrors.As(err, &serr):
		return response{status: serr.Status, body: serr}
	case stderrors.As(err, &verr):
		return badRequest(errors.ScimTypeInvalidValue, fieldMessages(verr.Fields))
	case stderrors.As(err, &cerr):
		if cerr.Code == models.ConflictUniqueness || cerr.Code == models.ConflictMember ||
			cerr.Code == models.ConflictPending || cerr.Code == models.ConflictDeactivated {
			return fail(http.StatusConflict, errors.ScimTypeUniqueness, cerr.Message)
		}
		// The last Admin, a built-in role: the request can never succeed.
		return badRequest(errors.ScimTypeMutability, cerr.Message)
	case stderrors.As(err, &perr):
		return fail(http.StatusPreconditionFailed, "", fmt.Sprintf(
			"%s %s has changed since that version: it is now at version %d. Read it again and retry.", kind, id, perr.Version))
	case stderrors.As(err, &rerr):
		return response{status: http.StatusTooManyRequests, retry: rerr.RetryAfter, body: scimError(http.StatusTooManyRequests, "", rerr.Error())}
	case stderrors.As(err, &ferr):
		return badRequest(errors.ScimTypeInvalidFilter, ferr.Msg)
	case stderrors.Is(err, models.ErrQueryTimeout):
		// Retryable, unlike a 400: a quieter moment, a narrower filter
		// (three characters or more for co, sw and ew) or smaller pages.
		return fail(http.StatusServiceUnavailable, "", "The query took too long and was stopped. "+
			"Retry later, or narrow it: co, sw and ew on userName, emails, name and displayName with three or more characters, or a smaller count.")
	}
	return s.internal(err)
}

func fieldMessages(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msgs := make([]string, len(keys))
	for i, k := range keys {
		msgs[i] = fields[k]
	}
	return strings.Join(msgs, " ")
}
