package server

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPI is the OpenAPI 3 document of the API, served at
// /api/v1/openapi.json. TestOpenAPI keeps it true: every route is documented
// with its method and every documented operation is a route, and the
// documented schemas have the JSON fields of the Go types.
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, OpenAPI)
}
