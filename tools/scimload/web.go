package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// csrfField is the sign-in form's hidden CSRF token.
var csrfField = regexp.MustCompile(`name="_csrf"\s+value="([^"]+)"`)

// signIn signs in through the sign-in form, as a browser without
// JavaScript does (GET /signin for the CSRF cookie and token, then POST),
// and keeps the session cookie for every later page. Redirects are not
// followed from here on, so a page that sends back to /signin counts as an
// error instead of a fast 200.
func (l *loader) signIn(app, email, password string) error {
	if email == "" || password == "" {
		return errors.New("members needs -email and -password (or MUSTER_LOAD_PASSWORD)")
	}
	jar, _ := cookiejar.New(nil)
	l.client.Jar = jar
	l.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := l.client.Get(app + "/signin")
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(b)
	if m == nil {
		return fmt.Errorf("GET /signin: %d, no CSRF token in the form", res.StatusCode)
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}}
	res, err = l.client.Post(app+"/signin", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || strings.HasPrefix(res.Header.Get("Location"), "/signin") {
		return fmt.Errorf("sign in as %s: %d %s %.300s", email, res.StatusCode, res.Header.Get("Location"), b)
	}
	return nil
}

// page GETs one page with the session; anything but 200 is an error.
func (l *loader) page(u string) (int, error) {
	res, err := l.client.Get(u)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, fmt.Errorf("GET %s: %d %s %.300s", u, res.StatusCode, res.Header.Get("Location"), b)
	}
	return res.StatusCode, nil
}
