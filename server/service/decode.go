package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// DecodeJSON decodes one JSON value from r into v strictly: unknown fields,
// trailing data and wrong types are errors, and every error says what and
// where in words fit for a client.
func DecodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Invalid(jsonCode(err), "%s", describeJSON(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("invalid_json", "unexpected data after the JSON value")
	}
	return nil
}

func decodeStrict(raw []byte, v any) error {
	err := DecodeJSON(bytes.NewReader(raw), v)
	var e *Error
	if errors.As(err, &e) {
		return errors.New(e.Msg)
	}
	return err
}

func jsonCode(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return "wrong_type"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "unknown_field"
	}
	return "invalid_json"
}

func describeJSON(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		where := te.Field
		if where == "" {
			where = "the value"
		}
		return fmt.Sprintf("%s: want %s, got JSON %s", where, te.Type, te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, io.EOF):
		return "empty body: want a JSON value"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return msg
}
