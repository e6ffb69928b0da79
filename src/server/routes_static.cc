// GET /media/<sha>.<ext> and the web UI at / (docs/API.md, "Media and the web UI").
#include <httplib.h>

#include "server/routes.h"

namespace ensemble::server {

void add_static_routes(Router& router, ServerContext& ctx) {
  router.get(R"(/media/([^/]+))", "/media/{file}",
             [&ctx](const httplib::Request& req, httplib::Response& res) {
               const auto f = ctx.files.media(path_param(req, 1));
               if (!f) throw Error(ErrorCode::kNotFound, "no such media file");
               res.set_header("Cache-Control", "public, max-age=31536000, immutable");
               res.set_header("X-Content-Type-Options", "nosniff");
               res.set_content(f->body, f->content_type.c_str());
             });
  // Everything else under GET: a file of the web UI. Unknown /api/ paths stay JSON 404s.
  router.get_fallback(R"(/(.*))", "/{static}", [&ctx, &router](const httplib::Request& req,
                                                                  httplib::Response& res) {
    if (req.path.rfind("/api/", 0) == 0 || req.path == "/api") {
      if (router.path_known(req.path)) {
        throw HttpError(405, "method_not_allowed", "GET is not allowed on " + req.path);
      }
      throw Error(ErrorCode::kNotFound, "no route for GET " + req.path);
    }
    const auto f = ctx.files.web(req.path);
    if (!f) throw Error(ErrorCode::kNotFound, "no such file: " + req.path);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-cache");
    res.set_content(f->body, f->content_type.c_str());
  });
}

}  // namespace ensemble::server
