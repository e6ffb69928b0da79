#include "server/http.h"

#include <httplib.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "server/metrics.h"

namespace ensemble::server {

namespace {

using Clock = std::chrono::steady_clock;

// The route label and start time of the request this worker thread is handling: httplib runs
// pre-routing, the handler and the logger of one request on one thread.
thread_local std::string tl_route;
thread_local Clock::time_point tl_start{};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void send_json(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  // Invalid UTF-8 in stored text (a catalog title) must not turn a response into a 500.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message) {
  send_json(res, {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}},
            status);
}

std::string media_url(const std::string& media_path) {
  if (media_path.empty()) return "";
  return "/media/" + std::filesystem::path(media_path).filename().string();
}

void rewrite_images(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "image" && it->is_string()) {
        const auto p = it->get<std::string>();
        if (p.rfind("/media/", 0) != 0) *it = media_url(p);
      } else {
        rewrite_images(*it);
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) rewrite_images(e);
  }
}

std::string path_param(const httplib::Request& req, int i) {
  if (static_cast<size_t>(i) >= req.matches.size()) return "";
  return req.matches[i].str();
}

int query_int(const httplib::Request& req, const char* name, int def, int lo, int hi) {
  if (!req.has_param(name)) return def;
  const std::string v = req.get_param_value(name);
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || n < lo || n > hi) {
    throw HttpError(400, "invalid_argument",
                    std::string(name) + " must be an integer between " + std::to_string(lo) +
                        " and " + std::to_string(hi));
  }
  return static_cast<int>(n);
}

bool is_json(const httplib::Request& req) {
  const auto ct = lower(req.get_header_value("Content-Type"));
  return ct.rfind("application/json", 0) == 0;
}

bool is_multipart(const httplib::Request& req) { return req.is_multipart_form_data(); }

nlohmann::json json_body(const httplib::Request& req) {
  if (!is_json(req)) {
    throw HttpError(415, "unsupported_media_type", "send Content-Type: application/json");
  }
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw HttpError(400, "bad_request", "the request body is not valid JSON");
  if (!j.is_object()) throw HttpError(400, "bad_request", "the request body must be a JSON object");
  return j;
}

Router::Router(httplib::Server& server, Metrics& metrics) : server_(server), metrics_(metrics) {}

Handler Router::wrap(std::string label, Handler h) {
  return [label = std::move(label), h = std::move(h)](const httplib::Request& req,
                                                       httplib::Response& res) {
    tl_route = label;
    try {
      h(req, res);
    } catch (const HttpError& e) {
      send_error(res, e.status(), e.code(), e.what());
    } catch (const Error& e) {
      send_error(res, http_status_for(e.code()), to_string(e.code()), e.what());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ensemble serve: internal error on %s %s: %s\n", req.method.c_str(),
                   req.path.c_str(), e.what());
      send_error(res, 500, "internal", std::string("internal error: ") + e.what());
    }
  };
}

void Router::get(const std::string& regex, const std::string& label, Handler h) {
  patterns_.emplace_back(regex);
  server_.Get(regex, wrap(label, std::move(h)));
}

void Router::post(const std::string& regex, const std::string& label, Handler h) {
  patterns_.emplace_back(regex);
  server_.Post(regex, wrap(label, std::move(h)));
}

void Router::get_fallback(const std::string& regex, const std::string& label, Handler h) {
  server_.Get(regex, wrap(label, std::move(h)));
}

bool Router::path_known(const std::string& path) const {
  for (const auto& p : patterns_) {
    if (std::regex_match(path, p)) return true;
  }
  return false;
}

void Router::install_hooks() {
  server_.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    tl_route = "other";
    tl_start = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Statuses httplib sets itself (no route, body over the limit, malformed multipart) arrive here
  // with an empty body: give them the JSON error shape too.
  server_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    switch (res.status) {
      case 404:
        if (req.path.rfind("/api/", 0) == 0 && path_known(req.path)) {
          send_error(res, 405, "method_not_allowed", req.method + " is not allowed on " + req.path);
        } else {
          send_error(res, 404, "not_found", "no route for " + req.method + " " + req.path);
        }
        break;
      case 413:
        send_error(res, 413, "too_large", "the request body is over the server's upload limit");
        break;
      case 414:
        send_error(res, 414, "uri_too_long", "the request URI is too long");
        break;
      case 400:
        send_error(res, 400, "bad_request", "malformed request (headers, multipart body or encoding)");
        break;
      default:
        send_error(res, res.status, res.status >= 500 ? "internal" : "bad_request",
                   "request failed with status " + std::to_string(res.status));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        send_error(res, 500, "internal", "internal error: " + what);
      });
  server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double s = tl_start == Clock::time_point{}
                         ? 0.0
                         : std::chrono::duration<double>(Clock::now() - tl_start).count();
    metrics_.record(tl_route.empty() ? "other" : tl_route, req.method, res.status, s);
    tl_route.clear();
    tl_start = {};
  });
}

}  // namespace ensemble::server
