package scim

import "strings"

// projection is a request's attributes or excludedAttributes (RFC 7644
// §3.4.2.5): attribute paths such as userName, name.givenName or
// urn:…:enterprise:2.0:User:department. id, schemas and meta always stay.
type projection struct {
	include, exclude []attrPath
}

type attrPath struct{ top, sub string } // lower-case; top may be a URN

func newProjection(attributes, excluded string) projection {
	return projection{include: parsePaths(attributes), exclude: parsePaths(excluded)}
}

func parsePaths(list string) []attrPath {
	var out []attrPath
	for _, p := range strings.Split(list, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		lowerExt := strings.ToLower(enterpriseURN)
		switch {
		case strings.HasPrefix(p, lowerExt+":"):
			name, _, _ := strings.Cut(strings.TrimPrefix(p, lowerExt+":"), ".")
			out = append(out, attrPath{top: lowerExt, sub: name})
			continue
		case p == lowerExt:
			out = append(out, attrPath{top: lowerExt})
			continue
		case strings.HasPrefix(p, "urn:"):
			if i := strings.LastIndexByte(p, ':'); i >= 0 {
				p = p[i+1:]
			}
		}
		top, sub, _ := strings.Cut(p, ".")
		out = append(out, attrPath{top: top, sub: sub})
	}
	return out
}

// wants: the caller asked for attribute top (with any sub-attribute) or
// did not restrict them; Groups use it to skip loading members.
func (p projection) wants(top string) bool {
	for _, x := range p.exclude {
		if x.top == top && x.sub == "" {
			return false
		}
	}
	if len(p.include) == 0 {
		return true
	}
	for _, x := range p.include {
		if x.top == top {
			return true
		}
	}
	return false
}

var alwaysReturned = map[string]bool{"id": true, "schemas": true, "meta": true}

// apply cuts a rendered resource down to what was asked for.
func (p projection) apply(res map[string]any) map[string]any {
	if len(p.include) == 0 && len(p.exclude) == 0 {
		return res
	}
	keys := make(map[string]string, len(res)) // lower-case → key
	for k := range res {
		keys[strings.ToLower(k)] = k
	}
	if len(p.include) > 0 {
		out := make(map[string]any, len(p.include)+3)
		for k, v := range res {
			if alwaysReturned[k] {
				out[k] = v
			}
		}
		for _, x := range p.include {
			k, ok := keys[x.top]
			if !ok {
				continue
			}
			if x.sub == "" {
				out[k] = res[k]
				continue
			}
			out[k] = merge(out[k], keepSub(res[k], x.sub))
		}
		res = out
	}
	for _, x := range p.exclude {
		k, ok := keys[x.top]
		if !ok || alwaysReturned[k] {
			continue
		}
		if x.sub == "" {
			delete(res, k)
		} else if v, ok := res[k]; ok {
			res[k] = dropSub(v, x.sub)
		}
	}
	return res
}

// keepSub keeps one sub-attribute of a complex value or of each element of
// a multi-valued one.
func keepSub(v any, sub string) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if strings.EqualFold(k, sub) {
				out[k] = x
			}
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			out[i] = keepSub(e, sub).(map[string]any)
		}
		return out
	case []any: // a stored document's list
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = keepSub(e, sub)
		}
		return out
	}
	return v
}

func dropSub(v any, sub string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if !strings.EqualFold(k, sub) {
				out[k] = x
			}
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			out[i] = dropSub(e, sub).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = dropSub(e, sub)
		}
		return out
	}
	return v
}

// merge joins two projections of the same attribute (name.givenName and
// name.familyName both asked for).
func merge(have, add any) any {
	switch a := add.(type) {
	case map[string]any:
		if h, ok := have.(map[string]any); ok {
			for k, v := range a {
				h[k] = v
			}
			return h
		}
	case []map[string]any:
		if h, ok := have.([]map[string]any); ok && len(h) == len(a) {
			for i := range a {
				for k, v := range a[i] {
					h[i][k] = v
				}
			}
			return h
		}
	case []any:
		if h, ok := have.([]any); ok && len(h) == len(a) {
			for i := range a {
				h[i] = merge(h[i], a[i])
			}
			return h
		}
	}
	return add
}
