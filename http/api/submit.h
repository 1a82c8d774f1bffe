// Awaiting the writer from a coroutine without blocking an I/O thread: the command is queued, the
// coroutine suspends, and the writer's callback resumes it on its own executor once the outcome
// is durable. submit() is what a write route does with its parsed body: command, queue, outcome.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <variant>

#include "commands/event_input.h"
#include "commands/writer.h"
#include "http/api/api.h"

namespace eventsd::http {

// The command a request's parsed input makes, on behalf of the request's token; a 400 naming the
// field when the input was refused.
template <class Body>
Command command_from(const Request& req, std::variant<Body, FieldError> parsed) {
  if (auto* e = std::get_if<FieldError>(&parsed)) throw bad_param(e->field, e->message);
  return Command{req.principal.tenant, req.principal.token_id, std::get<Body>(std::move(parsed))};
}

// Queues the command (`bytes`: its request body's size, counted against the writer's queue) and
// resumes with its outcome once it is durable and visible; a full queue is a 503 `overloaded`.
template <class CompletionToken = boost::asio::use_awaitable_t<>>
auto async_submit(Writer& writer, Command command, std::size_t bytes = 0, CompletionToken&& token = {}) {
  namespace asio = boost::asio;
  return asio::async_initiate<CompletionToken, void(Outcome)>(
      [&writer, bytes](auto handler, Command command) {
        using H = decltype(handler);
        // The executor is tracked as outstanding work, so the io_context keeps running (and
        // shutdown keeps draining) while the writer holds the command.
        auto ex = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
        auto shared = std::make_shared<H>(std::move(handler));
        const bool queued = writer.submit(std::move(command), [shared, ex](Outcome outcome) {
          asio::post(ex, [shared, outcome = std::move(outcome)]() mutable {
            (*shared)(std::move(outcome));
          });
        }, bytes);
        if (!queued) {
          asio::post(ex, [shared]() mutable {
            (*shared)(Outcome(Rejection{503, "overloaded", "too many writes are waiting; retry later", "", 1}));
          });
        }
      },
      token, std::move(command));
}

// Throws the ApiError a rejected outcome stands for, else returns the expected alternative.
template <class T>
T expect(Outcome outcome) {
  if (auto* r = std::get_if<Rejection>(&outcome)) {
    ApiError error(r->status, r->code, r->message, r->field);
    if (r->retry_after) error.retry_after = r->retry_after;
    throw error;
  }
  return std::get<T>(std::move(outcome));
}

// The command the request's parsed body makes (command_from), submitted to the writer of the
// request's tenant with the body's size counted against its queue; resumes with the outcome
// `Expected` (expect). `req` is the caller's, which awaits this at once.
template <class Expected, class Body>
boost::asio::awaitable<Expected> submit(App& app, const Request& req, std::variant<Body, FieldError> parsed) {
  Command command = command_from(req, std::move(parsed));
  co_return expect<Expected>(
      co_await async_submit(app.engine(req.principal.tenant).writer, std::move(command), req.raw.body().size()));
}

}  // namespace eventsd::http
