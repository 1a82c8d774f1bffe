# Writes OUT, a C++ source holding the text of IN (docs/openapi.yaml) as kOpenApiYaml.
file(READ "${IN}" text)
file(WRITE "${OUT}" "// Generated from docs/openapi.yaml by http/dialects/embed_openapi.cmake.\n#include <string_view>\nnamespace eventsd::http {\nextern const std::string_view kOpenApiYaml;\nconst std::string_view kOpenApiYaml = R\"openapi(${text})openapi\";\n}  // namespace eventsd::http\n")
