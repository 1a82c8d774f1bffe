// Everything a handler needs, in one include: the application (app.h), the request and its
// parameters (request.h), errors and responses (errors.h).
#pragma once

#include "http/api/app.h"
#include "http/api/errors.h"
#include "http/api/request.h"
