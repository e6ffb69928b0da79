// Internal HTTP plumbing shared by the route files: the router (route patterns with metrics labels,
// error mapping), JSON responses and errors, request parsing helpers. httplib types are only
// forward-declared here; httplib.h is included by the .cc files.
#pragma once

#include <functional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/util/error.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ensemble::server {

class Metrics;

// An HTTP-level refusal that is not a library error: 400 bad_request (malformed body), 401, 403,
// 405, 415. Library errors stay ensemble::Error and are mapped with http_status_for().
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);
void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message);

// "/media/<sha><ext>" for a path in the media folder (as SearchHit::image and friends give it);
// "" for an empty path.
std::string media_url(const std::string& media_path);
// Rewrites every "image" string member of objects in j (recursively) from a media path to its URL.
void rewrite_images(nlohmann::json& j);

// The i-th regex capture of the route (1-based).
std::string path_param(const httplib::Request& req, int i);
// An integer query parameter in [lo, hi], def when absent. HttpError 400 otherwise.
int query_int(const httplib::Request& req, const char* name, int def, int lo, int hi);
// The request body as a JSON object. HttpError 415 unless the content type is JSON, 400 when it
// does not parse or is not an object.
nlohmann::json json_body(const httplib::Request& req);
bool is_json(const httplib::Request& req);
bool is_multipart(const httplib::Request& req);

// Registers handlers on the httplib server: each is wrapped so that any exception becomes a JSON
// error (ensemble::Error via http_status_for, HttpError as given, anything else 500) and the request
// is labelled with its route pattern for /metrics.
class Router {
 public:
  Router(httplib::Server& server, Metrics& metrics);
  void get(const std::string& regex, const std::string& label, Handler h);
  void post(const std::string& regex, const std::string& label, Handler h);
  // A GET route that catches what no other route matched (the web UI); not counted by path_known.
  void get_fallback(const std::string& regex, const std::string& label, Handler h);
  // Whether some route (of any method) matches the path: a 404 there is really a 405.
  bool path_known(const std::string& path) const;
  // Installs the pre-routing, error and logging hooks (call once, after the routes).
  void install_hooks();

 private:
  Handler wrap(std::string label, Handler h);
  httplib::Server& server_;
  Metrics& metrics_;
  std::vector<std::regex> patterns_;
};

}  // namespace ensemble::server
